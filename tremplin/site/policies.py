"""Who may do what on the front door's pages."""

from __future__ import annotations

from typing import Any

from tremplin.platform.policies import is_admin


def can_edit_legal_pages(user: Any) -> bool:
    """Legal texts bind the association: administrators only."""
    return is_admin(user)
