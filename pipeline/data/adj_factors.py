"""Adjustment factors for Yahoo bars, on tushare's convention: ``raw x adj_factor`` is continuous.

A factor is cumulative and backward-style: it starts at 1.0 on a fetch's first bar and steps
up on each ex-dividend date, by C / (C - D) for a cash dividend D and the previous close C.
Yahoo's OHLC are already split-adjusted (basis ``split``), so a split needs no step: stepping
by its ratio would put back the very jump Yahoo took out. A fetch's factors are known only up
to a constant, so ``chain_factors`` puts them onto the stored series' factors on ingest. A
fetch whose factor never steps says nothing and carries none (NaN), as BTC-USD's bars do.
"""

from __future__ import annotations

import pandas as pd

# Ratios of Adj Close / Close move by rounding (6 decimals) alone less than this between days.
_STEP = 1e-6
# Factors this close to the stored ones on the overlap are the stored ones (no revision).
_SAME = 1e-9
# Yahoo's factors are relative (known up to a constant per fetch): bars on this basis.
RELATIVE_BASIS = "split"


def from_dividends(close: pd.Series, dividends: pd.Series) -> pd.Series:
    """Factors from each bar's close and cash dividend going ex that day (0 when none).

    A dividend on a fetch's first bar has no previous close in the fetch and makes no step.
    """
    previous = close.ffill().shift()
    paid = dividends.fillna(0.0) > 0
    step = (previous / (previous - dividends)).where(paid & previous.notna(), 1.0)
    return _no_steps_is_none(step)


def from_adjusted(close: pd.Series, adjusted: pd.Series) -> pd.Series:
    """Factors from Yahoo's ``Adj Close / Close`` (dividend-only adjustment), made stepwise."""
    ratio = (adjusted / close).ffill()
    change = (ratio / ratio.shift()).fillna(1.0)
    step = change.where((change - 1.0).abs() > _STEP, 1.0)
    return _no_steps_is_none(step)


def _no_steps_is_none(step: pd.Series) -> pd.Series:
    factor = step.astype("float64").cumprod()
    return factor if (step != 1.0).any() else factor * float("nan")


def chain_factors(fetched: pd.DataFrame, stored: pd.Series) -> pd.DataFrame:
    """``fetched`` with its relative (Yahoo) factors rescaled onto the stored ones.

    ``stored`` maps dates to the stored bars' factors. Where stored factors overlap the
    fetched dates, the fetched factors are scaled so they equal them there (a fetch without
    steps counts as 1.0 throughout); without a stored factor they stay as they are. Bars on
    other bases (tushare's absolute factors) are returned unchanged.
    """
    relative = fetched["price_adjustment"] == RELATIVE_BASIS
    if not relative.any():
        return fetched
    dates = pd.DatetimeIndex(fetched["date"])
    known = pd.Series(stored.to_numpy(), index=pd.DatetimeIndex(stored.index)).dropna()
    own = fetched["adj_factor"].where(fetched["adj_factor"].notna(), 1.0)
    theirs = pd.Series(known.reindex(dates).to_numpy(), index=fetched.index)
    overlap = relative & theirs.notna()
    if not overlap.any():
        return fetched
    scale = float((theirs[overlap] / own[overlap]).median())
    chained = own * scale
    same = overlap & ((chained / theirs - 1.0).abs() < _SAME)
    chained = chained.where(~same, theirs)
    out = fetched.copy()
    out.loc[relative, "adj_factor"] = chained[relative]
    return out
