"""Printing frames for people (rich tables fitted to the terminal) and programs (CSV, JSON).

A table keeps its key columns first and shows as many columns as the terminal's width holds;
the rest are named under it (``--wide`` or ``--format csv`` shows them). Each column has one
number format, a missing value is always shown as ``—``, and dates are ISO in every format.
pandas is imported when a frame is printed: a command that prints none loads none.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

# One width for everything printed: the terminal's, else $COLUMNS, else 80 (Rich's rule).
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

MISSING = "—"
TEXT_FOLD = 24  # a text column (a path, a message) wraps to this width rather than be left out
# Columns read as ratios (3 decimals); other floats are prices or price errors (to the tick).
_RATIO = re.compile(r"skill|accuracy|coverage|p_value|mape|statistic|share|ratio|_rate|pct")


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _is_missing(value: object) -> bool:
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _iso(value: object, timespec: str = "auto") -> object:
    """A date as YYYY-MM-DD, a timestamp as ISO 8601; anything else as it is."""
    import pandas as pd

    if isinstance(value, pd.Timestamp | datetime):
        naive_midnight = value.tzinfo is None and value == pd.Timestamp(value).normalize()
        return value.date().isoformat() if naive_midnight else value.isoformat(timespec=timespec)
    if isinstance(value, date):
        return value.isoformat()
    return value


def iso_dates(frame: pd.DataFrame, timespec: str = "auto") -> pd.DataFrame:
    """``frame`` with every date and timestamp column as ISO text (missing: None)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values) or values.dtype == object:
            iso = [None if _is_missing(v) else _iso(v, timespec) for v in values]
            out[column] = pd.Series(iso, index=out.index, dtype=object)
    return out


def column_format(values: pd.Series, name: str) -> Callable[[object], str]:
    """How every cell of one column is written: ratios to 3 decimals, prices to the tick (2),
    small floats of other kinds to 4; integers and text as they are."""
    import pandas as pd

    if pd.api.types.is_float_dtype(values):
        if _RATIO.search(name):
            spec = ",.3f"
        else:
            finite = values.abs().dropna()
            spec = ",.2f" if finite.empty or finite.median() >= 1 else ",.4f"
        return lambda v: MISSING if _is_missing(v) else format(float(v), spec)  # type: ignore[arg-type]
    return lambda v: MISSING if _is_missing(v) else str(v)


def _table(frame: pd.DataFrame, columns: Sequence[str], title: str | None) -> Table:
    import pandas as pd

    table = Table(title=title, show_lines=False)
    formats = [column_format(frame[c], str(c)) for c in columns]
    for column in columns:
        values = frame[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame[list(columns)].itertuples(index=False):
        table.add_row(*(f(v) for f, v in zip(formats, row, strict=True)))
    return table


def _width(table: Table) -> int:
    unbounded = console.options.update_width(1_000_000)
    return Measurement.get(console, unbounded, table).maximum


def _needed(table: Table) -> int:
    """The width ``table`` needs: each column's widest cell, where a text column may wrap to
    TEXT_FOLD characters (numbers never wrap), with the borders."""
    widths = []
    for column in table.columns:
        header = len(str(column.header))
        natural = max([header, *(len(str(cell)) for cell in column.cells)])
        widths.append(
            natural if column.justify == "right" else min(natural, max(header, TEXT_FOLD))
        )
    return sum(widths) + 3 * len(widths) + 1


def print_frame(
    frame: pd.DataFrame,
    fmt: OutputFormat = OutputFormat.table,
    title: str | None = None,
    *,
    key: Sequence[str] = (),
    wide: bool = False,
    hint: str = "--wide or --format csv",
) -> None:
    """Print a frame as a rich table, CSV or JSON records (dates ISO in each).

    The table puts the ``key`` columns first, then the others in order, as many as fit the
    terminal; it names the ones left out and where to see them (``hint``). ``wide`` prints
    every column however wide.
    """
    if fmt is OutputFormat.csv:
        iso_dates(frame).to_csv(sys.stdout, index=False)
        return
    if fmt is OutputFormat.json:
        records = iso_dates(frame).to_json(orient="records", indent=2, force_ascii=False)
        sys.stdout.write(records + "\n")
        return
    shown = iso_dates(frame, timespec="seconds").rename(columns=str)
    columns = [*(c for c in key if c in shown), *(str(c) for c in shown if c not in key)]
    table = _table(shown, columns, title)
    if wide:
        width = console.width
        console.width = max(_width(table), width)
        try:
            console.print(table)
        finally:
            console.width = width
        return
    fitted = columns
    while len(fitted) > 1 and _needed(table) > console.width:
        fitted = fitted[:-1]
        table = _table(shown, fitted, title)
    console.print(table)
    hidden = columns[len(fitted) :]
    if hidden:
        names = ", ".join(map(str, hidden[:3])) + (", …" if len(hidden) > 3 else "")
        console.print(
            f"[dim]+{len(hidden)} more columns: {names} ({hint})[/dim]",
            highlight=False,
        )


def quiet_backend() -> None:
    """Load the Keras backend with its C++ start-up notices (absl, oneDNN, CUDA stubs) kept off
    the terminal, and TensorFlow's Python warnings (``tf.function retracing``) below errors;
    ``nextbar --debug`` shows them."""
    from pipeline.training.backend_loading import load_backend_quietly

    load_backend_quietly()
    if not os.environ.get("NEXTBAR_DEBUG"):
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
