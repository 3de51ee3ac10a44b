"""The ``nextbar`` command line: each command runs a flow or reads the warehouse.

``app`` holds the shared options; ``data`` (init, ingest, sql), ``models`` (train, models),
``daily`` (run, replay, serve), ``demo``, ``config`` and ``gc`` register their commands on it.
"""

from __future__ import annotations

import os

from rich.markup import escape
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.exceptions import Abort

from flows.cli.app import app
from flows.output import err_console
from pipeline.errors import NextbarError, error_text

# isort: off
# The import order is the order of the commands in --help.
from flows.cli import data, models, daily, demo, config, gc
# isort: on

__all__ = ["app", "config", "daily", "data", "demo", "error_line", "gc", "main", "models"]

# An error line names the input and the reason; a 4 KB junk header must not become a 4 KB line.
MAX_ERROR_CHARS = 400


def error_line(exc: BaseException) -> str:
    """The one line an error is shown as, cut to MAX_ERROR_CHARS."""
    text = " ".join(error_text(exc).split())
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text


def _fail(text: str, code: int) -> SystemExit:
    err_console.print(f"[red]error:[/red] {escape(text)}", highlight=False)
    return SystemExit(code)


def main() -> None:
    """Entry point: one-line errors and a non-zero exit, tracebacks only with --debug."""
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except ClickException as exc:
        # Usage errors (a bad option value, a missing option) name the option; one line too.
        raise _fail(error_line(NextbarError(exc.format_message())), exc.exit_code) from None
    except Abort:
        raise _fail("aborted", 130) from None
    except Exception as exc:
        if os.environ.get("NEXTBAR_DEBUG"):
            raise
        raise _fail(error_line(exc), 1) from None
    if isinstance(code, int) and code:
        raise SystemExit(code)
