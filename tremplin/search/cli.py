"""`flask search …`: rebuild the index from the database, safely while the site runs."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from tremplin.search.storage import RebuildRunning

search_cli = AppGroup("search", help="Index de recherche.")


@search_cli.command("reindex")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Ne rien faire si l’index contient déjà des documents (et date de cette version).",
)
def reindex(if_empty: bool) -> None:
    """Rebuild the search index from the database.

    A new index is built beside the live one, then swapped in: searches keep working,
    and what is written meanwhile is replayed into the new index before the swap."""
    service = current_app.extensions["search"]
    if if_empty and not service.backend.needs_rebuild():
        click.echo(
            f"Index de recherche déjà rempli ({service.backend.count()} documents) : rien à faire."
        )
        return
    started = time.monotonic()
    try:
        count = service.indexer.rebuild()
    except RebuildRunning:
        raise click.ClickException("Une reconstruction de l’index est déjà en cours.") from None
    click.echo(
        f"Index de recherche reconstruit : {count} documents en {time.monotonic() - started:.1f} s."
    )


@search_cli.command("stats")
def stats() -> None:
    """Count the indexed documents by type."""
    from collections import Counter

    service = current_app.extensions["search"]
    counts = Counter(doc["type"] for doc in service.backend.documents())
    for name, n in sorted(counts.items()):
        click.echo(f"{name}: {n}")
    click.echo(f"total: {sum(counts.values())}")


def init_app(app: Flask) -> None:
    if search_cli.name not in app.cli.commands:
        app.cli.add_command(search_cli)
