"""The ``nextbar`` command line: each command runs a flow or reads the warehouse.

``app`` holds the shared options; ``data`` (init, ingest), ``sql``, ``models`` (train, models),
``daily`` (run, replay, serve), ``demo``, ``config`` and ``gc`` register their commands on it.
An error ends the command with one stderr line, ``error: …``, and nothing after it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sys
import threading
from typing import NoReturn

from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.exceptions import Abort

from flows.cli.app import app
from pipeline.errors import NextbarError, error_text

# isort: off
# The import order is the order of the commands in --help.
from flows.cli import data, sql, models, daily, demo, config, gc
# isort: on

__all__ = ["app", "config", "daily", "data", "demo", "error_line", "gc", "main", "models", "sql"]

# An error line names the input and the reason; a 4 KB junk header must not become a 4 KB line.
MAX_ERROR_CHARS = 400
# A longer word (a 500-character symbol, a column name from a junk header) keeps both ends.
MAX_WORD_CHARS = 80
_LONG_WORD = re.compile(rf"\S{{{MAX_WORD_CHARS + 1},}}")
# "BTC-USD: BTC-USD: …", where a flow prefixes a message that already names its symbol.
_REPEATED_PREFIX = re.compile(r"(?<![^\s;])([^\s:;]+): (?:\1: )+")


def _middle_cut(text: str, limit: int) -> str:
    half = (limit - 1) // 2
    return text if len(text) <= limit else text[:half] + "…" + text[len(text) - half :]


def error_line(exc: BaseException) -> str:
    """The one line an error is shown as: one space between words, a symbol named once per
    message, long words and then the line cut in their middle (keeping the reason)."""
    text = " ".join(error_text(exc).split())
    text = _REPEATED_PREFIX.sub(r"\1: ", text)
    text = _LONG_WORD.sub(lambda m: _middle_cut(m[0], MAX_WORD_CHARS), text)
    return _middle_cut(text, MAX_ERROR_CHARS)


def _as_script() -> bool:
    """Whether this process is the ``nextbar`` command (not a test calling :func:`main`)."""
    script = getattr(sys.modules.get("__main__"), "__file__", None) or ""
    return os.path.basename(script) == "nextbar"


def _end(code: int, error: str | None = None, context: tuple[str, ...] = ()) -> NoReturn:
    """Exit with ``code``, the ``error:`` line (after ``context``, on a terminal) last.

    As the ``nextbar`` command, the interpreter's own shutdown work runs first (threads, atexit:
    Prefect's server and log workers), then the process ends without the module teardown in
    which native libraries report objects still alive (nanobind's "leaked instances").
    """
    script = _as_script()
    if script:
        getattr(threading, "_shutdown", lambda: None)()
        atexit._run_exitfuncs()
    with contextlib.suppress(BrokenPipeError, ValueError):  # a reader that left (`| head`)
        sys.stdout.flush()
    if error is not None:
        tty = sys.stderr.isatty()
        colour = tty and not os.environ.get("NO_COLOR")
        lines = [*(context if tty else ()), ("\x1b[31merror:\x1b[0m " if colour else "error: ")]
        sys.stderr.write("\n".join(lines) + error + "\n")
    sys.stderr.flush()
    if script:
        os._exit(code)
    raise SystemExit(code)


def main() -> None:
    """Entry point: one-line errors and a non-zero exit, tracebacks only with --debug."""
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()
        _end(exc.exit_code)
    except ClickException as exc:
        # Usage errors (a bad option value, a missing option) name the option; one line too.
        _end(exc.exit_code, error_line(NextbarError(exc.format_message())))
    except Abort:
        _end(130, "aborted")
    except SystemExit as exc:  # click's own exit, e.g. 1 when the reader of stdout left
        _end(exc.code if isinstance(exc.code, int) else 1)
    except Exception as exc:
        if os.environ.get("NEXTBAR_DEBUG"):
            raise
        _end(1, error_line(exc), getattr(exc, "context", ()))
    _end(code if isinstance(code, int) else 0)
