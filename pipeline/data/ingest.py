"""Deciding what to fetch, from where, and checking it: the plain-Python half of an ingest."""

from __future__ import annotations

import logging
import stat
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.data.calendars import today_in
from pipeline.data.csv_formats import read_history
from pipeline.data.file_codes import check_codes
from pipeline.data.sources import SOURCE_NAMES
from pipeline.data.sources.base import BarSource
from pipeline.data.sources.bundled import BundledSource
from pipeline.data.sources.tushare_pro import TushareSource
from pipeline.data.sources.yahoo import YahooSource
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError, SourceError, TransientSourceError

if TYPE_CHECKING:  # pipeline.settings checks source names against this module
    from pipeline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    """Bars as a source returned them, and which source that finally was."""

    bars: pd.DataFrame
    source: str
    duplicates: int = 0  # exact duplicate rows dropped (a file's repeated lines)


def plan_range(
    info: SymbolInfo,
    last_stored: date | None,
    settings: Settings,
    *,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> tuple[date, date]:
    """The range to fetch: as asked, else from the last stored bar minus an overlap, up to today."""
    end = end or today or today_in(info)
    if start is None:
        start = (
            last_stored - timedelta(days=settings.overlap_days)
            if last_stored
            else date.fromisoformat(settings.history_start)
        )
    if start > end:
        raise InputError(f"start {start} is after end {end}: give a range with start <= end")
    return start, end


def fallback_label(source: str, exc: SourceError) -> str:
    """How an ingest run names the source that answered after the primary one failed."""
    return f"{source} (fallback: {type(exc).__name__})"


class _FallbackSource:
    """Try the primary source; on a non-transient failure (no token, no permission) use another."""

    def __init__(self, primary: BarSource, fallback: BarSource) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name
        self.used = primary.name

    def fetch(self, info: SymbolInfo, start: date, end: date) -> pd.DataFrame:
        try:
            bars = self.primary.fetch(info, start, end)
            self.used = self.primary.name
        except TransientSourceError:
            raise
        except SourceError as exc:
            log.warning(
                "%s failed for %s (%s); falling back to %s",
                self.primary.name,
                info.symbol,
                exc,
                self.fallback.name,
            )
            bars = self.fallback.fetch(info, start, end)
            self.used = fallback_label(self.fallback.name, exc)
        return bars


def make_source(name: str, info: SymbolInfo, settings: Settings) -> BarSource:
    """The source called ``name`` for this symbol; tushare falls back to Yahoo when it can."""
    if name == "bundled":
        return BundledSource()
    if name == "yfinance":
        return YahooSource()
    if name == "tushare":
        if info.tushare_code is None:
            raise InputError(f"{info.symbol} has no tushare code: use --source yfinance or bundled")
        token = settings.tushare_token.get_secret_value() if settings.tushare_token else ""
        tushare = TushareSource(token)
        return _FallbackSource(tushare, YahooSource()) if info.yahoo_ticker else tushare
    raise InputError(f"unknown source {name!r}: choose one of {', '.join(SOURCE_NAMES)}")


def fetch_bars(source: BarSource, info: SymbolInfo, start: date, end: date) -> Fetched:
    """Fetch a range of bars, noting which source answered."""
    bars = source.fetch(info, start, end)
    return Fetched(bars=bars, source=getattr(source, "used", source.name))


def check_input_file(path: Path) -> None:
    """Raise InputError unless ``path`` can be read as a history file: a regular file, or a
    named pipe (a FIFO, or a shell's ``<(command)``), which is read to its end."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"--file {path}: no such file") from None
    except OSError as exc:
        raise InputError(f"--file {path}: cannot read it ({exc.strerror})") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"--file {path}: is a directory")
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise InputError(f"--file {path}: is neither a file nor a pipe")


def read_file(path: Path, info: SymbolInfo, *, ignore_code: bool = False) -> Fetched:
    """A user's own history CSV, in any supported format; exact duplicate rows kept once.

    Two different rows for one date both stay: validation rejects them, with the reason.
    A file that names another instrument (a code column, a title line) is refused unless
    ``ignore_code``.
    """
    frame, codes = read_history(path, info)
    if not ignore_code:
        check_codes(path, codes, info)
    unique = frame.drop_duplicates(ignore_index=True)
    return Fetched(bars=unique, source=f"csv:{path.name}", duplicates=len(frame) - len(unique))
