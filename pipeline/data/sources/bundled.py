"""Offline history shipped with nextbar (``pipeline/data/bundled/*.csv``) as a bar source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

import pandas as pd

from pipeline.data.csv_formats import read_history_csv
from pipeline.data.symbols import SymbolInfo, get_symbol
from pipeline.errors import InputError, UnknownSymbolError


@dataclass(frozen=True)
class BundledFile:
    """One bundled CSV and its known quirks."""

    symbol: str
    filename: str
    # The file was saved while this day's bar was still forming (see the data README).
    partial_day: date | None = None


BUNDLED_FILES: tuple[BundledFile, ...] = (
    BundledFile("600519.SH", "SH600519.csv"),
    BundledFile("BTC-USD", "BTC-USD.csv", partial_day=date(2024, 5, 27)),
)


def _entry(symbol: str) -> BundledFile:
    for entry in BUNDLED_FILES:
        if entry.symbol == symbol:
            return entry
    names = ", ".join(e.symbol for e in BUNDLED_FILES)
    raise UnknownSymbolError(f"no bundled history for {symbol!r}: bundled symbols are {names}")


@cache
def _load(info: SymbolInfo) -> pd.DataFrame:
    # Cached: the files never change at run time and parsing takes a few tens of ms.
    entry = _entry(info.symbol)
    with resources.as_file(resources.files("pipeline.data") / "bundled" / entry.filename) as path:
        frame = read_history_csv(path, info).drop(columns="raw_date")
    if entry.partial_day is not None:
        frame["is_partial"] = frame["date"] == pd.Timestamp(entry.partial_day)
    frame["source"] = "bundled"
    return frame


def bundled_range(symbol: str) -> tuple[date, date]:
    """The first and last day of the bundled history of symbol."""
    _entry(symbol)  # names the bundled symbols when there is none
    dates = _load(get_symbol(symbol))["date"]
    return dates.iloc[0].date(), dates.iloc[-1].date()


class BundledSource:
    """Bars from the CSV files bundled with nextbar; works offline."""

    name = "bundled"

    def fetch(self, info: SymbolInfo, start: date, end: date) -> pd.DataFrame:
        """Bundled bars dated start..end inclusive (empty when the range is outside the file)."""
        if start > end:
            raise InputError(f"inverted range: start {start} is after end {end}")
        frame = _load(info)
        in_range = frame["date"].between(pd.Timestamp(start), pd.Timestamp(end))
        return frame.loc[in_range].reset_index(drop=True)
