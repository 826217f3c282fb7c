"""Tremplin: the online home of a network of social-economy project holders."""

from tremplin.platform import create_app

__all__ = ["create_app"]
