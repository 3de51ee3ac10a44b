"""Printing frames for people (rich tables) and for programs (CSV, JSON)."""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import pandas as pd
from rich.console import Console
from rich.measure import Measurement
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

# Piped output is read by programs and wide screens alike: do not squeeze tables to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1e4 else f"{value:,.2f}"
    return str(value)


def print_frame(
    frame: pd.DataFrame, fmt: OutputFormat = OutputFormat.table, title: str | None = None
) -> None:
    """Print a frame as a rich table, CSV or JSON records."""
    if fmt is OutputFormat.csv:
        frame.to_csv(sys.stdout, index=False)
    elif fmt is OutputFormat.json:
        sys.stdout.write(frame.to_json(orient="records", date_format="iso", indent=2) + "\n")
    else:
        table = Table(title=title, show_lines=False)
        for col in frame.columns:
            numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(
                frame[col]
            )
            table.add_column(str(col), justify="right" if numeric else "left")
        for row in frame.itertuples(index=False):
            table.add_row(*(_cell(v) for v in row))
        unbounded = console.options.update_width(1_000_000)
        if frame.empty or Measurement.get(console, unbounded, table).maximum <= console.width:
            console.print(table)
        else:
            print_records(frame, title)


def print_records(frame: pd.DataFrame, title: str | None = None) -> None:
    """One block per row (column, value): a table wider than the terminal, still readable."""
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        block = Table(title=f"{title or 'row'} ({i}/{len(frame)})", show_header=False)
        block.add_column(style="bold")
        block.add_column()
        for column, value in zip(frame.columns, row, strict=True):
            block.add_row(str(column), _cell(value))
        console.print(block)
    err_console.print("(too wide for the terminal: one record per block; try --format csv)")


def quiet_backend() -> None:
    """Load the Keras backend with its C++ start-up notices (absl, oneDNN, CUDA stubs) kept off
    the terminal; ``nextbar --debug`` shows them."""
    from pipeline.training.workers import load_backend_quietly

    load_backend_quietly()


class _ReplayBar(logging.Handler):
    """Moves a progress bar on each ``nextbar.replay`` record's ``replay`` fields."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress
        self.task = progress.add_task("replay", total=None, score="")

    def emit(self, record: logging.LogRecord) -> None:
        info = getattr(record, "replay", None)
        if not info:
            return
        score = ""
        if info["mae"] is not None:
            score = (
                f"champion MAE {info['mae']:,.2f} · naive {info['naive_mae']:,.2f}"
                f" ({info['scored']} scored)"
            )
        self.progress.update(
            self.task,
            description=record.getMessage().split(" replayed ")[0],
            completed=info["done"],
            total=info["total"],
            score=score,
        )


@contextmanager
def replay_progress() -> Iterator[None]:
    """A progress bar of a replay: days done, elapsed, ETA, the running MAE beside naive's
    (instead of per-epoch log lines)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[score]}"),
        console=err_console,
    )
    logger = logging.getLogger("nextbar.replay")
    handler = _ReplayBar(progress)
    saved = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        with progress:
            yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
