"""Timing-only series: block-bootstrapped from the real Moutai and BTC-USD daily bars.

Each series resamples blocks of consecutive real days (close-to-close log return, the day's
open/high/low relative to its close, volume) and chains them from the real start price, so the
scale benchmark and the watch-list tests have hundreds of realistic-looking series offline.
They are NOT real instruments: their codes (``99NNNN.SH``, ``BOOTNNN-USD``) are made up, and no
forecast quality may ever be reported on them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.data.calendars import trading_days
from pipeline.data.sources.bundled import BundledSource, bundled_range
from pipeline.data.symbols import SymbolInfo, get_symbol
from pipeline.data.validation import validate_bars
from warehouse.connection import connect
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.symbols import sync_symbols

BLOCK = 20  # days per resampled block: keeps volatility clustering within a block
SOURCES = ("600519.SH", "BTC-USD")


def bootstrap_codes(count: int) -> list[str]:
    """Made-up codes, alternating Moutai-like A-shares and BTC-like coins."""
    return [f"99{i:04d}.SH" if i % 2 == 0 else f"BOOT{i:03d}-USD" for i in range(count)]


def _real(symbol: str) -> pd.DataFrame:
    info = get_symbol(symbol)
    frame = BundledSource().fetch(info, *bundled_range(symbol))
    return frame[~frame["is_partial"]].reset_index(drop=True)


def bootstrap_bars(code: str, days: int, end: date, seed: int) -> pd.DataFrame:
    """``days`` bars of a bootstrapped series ending at ``end`` on the code's calendar."""
    info = get_symbol(code)
    real = _real(SOURCES[0] if info.calendar != "24/7" else SOURCES[1])
    rng = np.random.default_rng(seed)
    returns = np.log(real["close"]).diff().to_numpy()[1:]
    rows = np.concatenate(
        [np.arange(s, s + BLOCK) for s in rng.integers(0, len(returns) - BLOCK, days // BLOCK + 1)]
    )[:days]
    close = real["close"].iloc[0] * np.exp(np.cumsum(returns[rows]))
    day_rows = real.iloc[rows + 1]
    ratio = {c: (day_rows[c] / day_rows["close"]).to_numpy() for c in ("open", "high", "low")}
    dates = trading_days(info, date(end.year - (days // 200) - 2, 1, 1), end)[-days:]
    return pd.DataFrame(
        {
            "date": pd.to_datetime(dates),
            "open": close * ratio["open"],
            "high": close * np.maximum(ratio["high"], 1.0),
            "low": close * np.minimum(ratio["low"], 1.0),
            "close": close,
            "volume": day_rows["volume"].to_numpy(),
            "amount": np.nan,
            "adj_factor": np.nan,
            "is_partial": False,
            "volume_unit": day_rows["volume_unit"].to_numpy(),
            "price_adjustment": "none",
            "source": "bootstrap",
        }
    )


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """The bars as a Yahoo Finance CSV export (``nextbar ingest --file`` reads it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.rename(columns=str.title)[["Date", "Open", "High", "Low", "Close", "Volume"]]
    out.insert(5, "Adj Close", out["Close"])
    out.assign(Date=out["Date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


def load_bootstrapped(
    warehouse: Path, codes: list[str], days: int, end: date, seed: int = 0
) -> list[SymbolInfo]:
    """Register the codes and store their bootstrapped bars (one writer, one connection)."""
    infos = [get_symbol(c) for c in codes]
    with connect(warehouse) as con:
        sync_symbols(con, infos)
        for i, info in enumerate(infos):
            checked = validate_bars(bootstrap_bars(info.symbol, days, end, seed + i), today=end)
            request = IngestRequest(
                str(uuid.uuid4()), info.symbol, "bootstrap", None, end, datetime.now(tz=UTC)
            )
            store_ingest(con, request, checked.valid, checked.rejected)
    return infos
