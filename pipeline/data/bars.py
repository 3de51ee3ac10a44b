"""The canonical daily-bar frame every source returns and the warehouse stores.

One row per trading day, ascending by ``date`` (a tz-naive midnight Timestamp, the
trading day in the symbol's own time zone). Prices are in the symbol's currency as
the source gives them; ``price_adjustment`` says whether they are adjusted.
"""

from __future__ import annotations

import pandas as pd

PRICE_COLUMNS = ["open", "high", "low", "close"]
BAR_COLUMNS = [
    "date",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "amount",  # turnover; tushare: thousands of CNY; NaN when the source has none
    "adj_factor",  # tushare pro adj_factor, or Yahoo's from dividends; NaN when none
    "is_partial",  # the day was not finished when fetched
    "volume_unit",  # lots_100 (A-shares via tushare), shares, usd (crypto on Yahoo)
    "price_adjustment",  # none, qfq (forward-adjusted), split (Yahoo: split-adjusted)
    "source",
]


def empty_bars() -> pd.DataFrame:
    """An empty canonical frame with the right dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS})
    frame["date"] = pd.Series(dtype="datetime64[ns]")
    frame["is_partial"] = pd.Series(dtype="bool")
    for col in ("volume_unit", "price_adjustment", "source"):
        frame[col] = pd.Series(dtype="object")
    return frame


def canonical(
    frame: pd.DataFrame, *, volume_unit: str, price_adjustment: str, source: str
) -> pd.DataFrame:
    """Complete a frame with date/OHLCV columns to the canonical columns, sorted by date."""
    out = frame.copy()
    out["date"] = pd.to_datetime(out["date"]).dt.normalize()
    for col in ("amount", "adj_factor"):
        if col not in out:
            out[col] = float("nan")
    if "is_partial" not in out:
        out["is_partial"] = False
    out["is_partial"] = out["is_partial"].astype(bool)
    out["volume_unit"] = volume_unit
    out["price_adjustment"] = price_adjustment
    out["source"] = source
    for col in [*PRICE_COLUMNS, "volume", "amount", "adj_factor"]:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out[BAR_COLUMNS].sort_values("date", kind="stable").reset_index(drop=True)


# Volume units that are one another times a constant: shares = lots_100 * 100.
_SHARES_PER = {"shares": 1.0, "lots_100": 100.0}


def in_volume_unit(frame: pd.DataFrame, unit: str | None) -> pd.DataFrame:
    """frame with its volume converted to unit where that is a fixed ratio (lots <-> shares).

    Other pairs are left as they are: the warehouse refuses to mix them in one series.
    """
    if unit is None or unit not in _SHARES_PER:
        return frame
    convertible = frame["volume_unit"].isin(list(_SHARES_PER)) & (frame["volume_unit"] != unit)
    if not convertible.any():
        return frame
    out = frame.copy()
    ratio = out.loc[convertible, "volume_unit"].map(_SHARES_PER) / _SHARES_PER[unit]
    out.loc[convertible, "volume"] = out.loc[convertible, "volume"] * ratio
    out.loc[convertible, "volume_unit"] = unit
    return out
