"""A progress bar over symbols for the CLI: moved by the ``nextbar.ingest`` records that an
ingest writes per symbol (``flows.ingest.report_progress``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from flows.output import err_console


class _SymbolBar(logging.Handler):
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
        if done == total:
            self.progress.stop()


@contextmanager
def ingest_progress() -> Iterator[None]:
    """Show symbols ingested of the total, and the ETA, on stderr while the block runs."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    logger = logging.getLogger("nextbar.ingest")
    handler = _SymbolBar(progress)
    saved = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield
    finally:
        progress.stop()
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
