"""The ``nextbar`` command line: each command runs a flow or reads the warehouse.

``app`` holds the shared options; ``data`` (init, ingest, sql), ``models`` (train, models),
``daily`` (run, replay, serve), ``demo`` and ``gc`` register their commands on it.
"""

from __future__ import annotations

import os

from rich.markup import escape

from flows.cli.app import app
from flows.output import err_console

# isort: off
# The import order is the order of the commands in --help.
from flows.cli import data, models, daily, demo, gc
# isort: on

__all__ = ["app", "daily", "data", "demo", "gc", "main", "models"]


def main() -> None:
    """Entry point: one-line errors and a non-zero exit, tracebacks only with --debug."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        if os.environ.get("NEXTBAR_DEBUG"):
            raise
        err_console.print(
            f"[red]error:[/red] {type(exc).__name__}: {escape(str(exc))}", highlight=False
        )
        raise SystemExit(1) from None
