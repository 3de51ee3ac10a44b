"""Progress bars on stderr, fed by log records: a replay's days, and each model fit's epochs.

An ingest of several symbols (``nextbar.ingest`` records) shows a bar over its symbols.
A replay (``nextbar.replay`` records with a ``replay`` dict) shows one bar whose total is
known from its first record, elapsed time and ETA, and under it the running MAE of each day's
champion beside naive's. Fits (``nextbar.progress`` records with a ``fit`` dict) show one bar
per symbol and stage (full retrains, fine-tunes); ``--verbose`` prints the epoch lines
instead. Both fit 80 columns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from flows import output
from pipeline.evaluation.naive import against_naive


class _ScoredProgress(Progress):
    """A progress table with each task's ``score`` field on a line of its own below it."""

    def get_renderables(self) -> Iterable[RenderableType]:
        yield self.make_tasks_table(self.tasks)
        for task in self.tasks:
            if task.visible and task.fields.get("score"):
                yield Text(f"  {task.fields['score']}", no_wrap=False)


def running_score(info: dict[str, Any]) -> str:
    """``champion MAE … · naive … (n scored): beats naive`` from a replay record's fields."""
    if info.get("mae") is None:
        return "champion MAE: no replayed forecast scored yet"
    mae, naive = info["mae"], info["naive_mae"]
    verdict = against_naive(mae, naive)
    return f"champion MAE {mae:,.2f} · naive {naive:,.2f} ({info['scored']} scored): {verdict}"


class ReplayBar(logging.Handler):
    """Moves a progress bar on each ``nextbar.replay`` record's ``replay`` fields; ``last``
    keeps the newest (days done, total, the running MAE beside naive's)."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress
        self.task = progress.add_task("replay", total=None, start=False, visible=False, score="")
        self.last: dict[str, Any] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        info = getattr(record, "replay", None)
        if not info:
            return
        if self.last is None:
            self.progress.start_task(self.task)
        self.last = info
        day = info.get("day")
        self.progress.update(
            self.task,
            description=f"{info['symbol']} {day}" if day else f"{info['symbol']} starting",
            completed=info["done"],
            total=info["total"],
            visible=True,
            score=running_score(info),
        )


def _bar(console: Console, *columns: Any) -> Progress:
    return _ScoredProgress(*columns, console=console, expand=True)


@contextmanager
def replay_progress(console: Console | None = None) -> Iterator[ReplayBar]:
    """A replay's progress bar: days done of the total, elapsed, ETA, and the running MAE of
    each day's champion beside naive's on the line below (instead of per-epoch log lines)."""
    progress = _bar(
        console or output.err_console,
        TextColumn("{task.description}"),
        BarColumn(bar_width=None),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    handler = ReplayBar(progress)
    with _listening("nextbar.replay", handler), progress:
        yield handler


class FitBars(logging.Handler):
    """One bar per fit stage (a symbol's full retrains, or its fine-tunes): the model being
    fitted, its epochs, how many of the stage's fits have started. Moved by
    ``nextbar.progress`` records' ``fit`` fields; other records of warning level and above go
    on to the usual handlers."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress
        self.stages: dict[tuple[str, str], TaskID] = {}

    def emit(self, record: logging.LogRecord) -> None:
        fit = getattr(record, "fit", None)
        if not fit:
            if record.levelno >= logging.WARNING:
                logging.getLogger("nextbar").handle(record)
            return
        if not self.progress.live.is_started:  # drawn from the first fit on: no blank line
            self.progress.start()  # when a command fails before any fit
        stage = (fit["symbol"], fit["training"])
        if stage not in self.stages:
            self.stages[stage] = self.progress.add_task("", fits=0, model=None)
        task_id = self.stages[stage]
        task = self.progress.tasks[task_id]
        if task.fields["model"] != fit["model"] or fit["epoch"] < task.completed:
            fits = task.fields["fits"] + 1
            self.progress.update(
                task_id,
                description=f"{fit['symbol']} {fit['training']} {fit['model']}",
                model=fit["model"],
                fits=fits,
            )
        self.progress.update(task_id, completed=fit["epoch"], total=fit["epochs"])


@contextmanager
def fit_progress(verbose: bool = False, console: Console | None = None) -> Iterator[None]:
    """A bar per model fit instead of epoch lines; ``verbose``: the epoch lines instead."""
    if verbose:
        logging.getLogger("nextbar").setLevel(logging.INFO)
        yield
        return
    progress = _bar(
        console or output.err_console,
        TextColumn("{task.description}"),
        BarColumn(bar_width=None),
        MofNCompleteColumn(),
        TextColumn("epochs, fit {task.fields[fits]}"),
        TimeElapsedColumn(),
    )
    with _listening("nextbar.progress", FitBars(progress)):
        try:
            yield
        finally:
            if progress.live.is_started:  # stopping one never drawn prints a blank line
                progress.stop()


@contextmanager
def _listening(name: str, handler: logging.Handler) -> Iterator[None]:
    """``handler`` alone takes the INFO records of logger ``name`` for the duration."""
    logger = logging.getLogger(name)
    saved = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class _SymbolBar(logging.Handler):
    """Moves a bar over symbols on each ``nextbar.ingest`` record's ``progress`` (done, total)."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress
        self.task = progress.add_task("ingest", total=None, visible=False)

    def emit(self, record: logging.LogRecord) -> None:
        done, total = getattr(record, "progress", (0, 0))
        if total < 2:  # one symbol: nothing to show
            return
        if done == 1:  # drawn only while an ingest runs: the rest of a run prints freely
            self.progress.start()
        self.progress.update(
            self.task, description=record.getMessage(), completed=done, total=total, visible=True
        )
        if done == total and self.progress.live.is_started:
            self.progress.stop()


@contextmanager
def ingest_progress() -> Iterator[None]:
    """A watch list's ingest: symbols ingested of the total, and the ETA, on stderr."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=output.err_console,
        transient=True,
    )
    with _listening("nextbar.ingest", _SymbolBar(progress)):
        try:
            yield
        finally:
            if progress.live.is_started:  # stopping one never drawn prints a blank line
                progress.stop()
