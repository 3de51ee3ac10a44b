"""The feature registry: per-bar model inputs, computed from bars up to and including each bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.data.bars import PRICE_COLUMNS

_BAR_FEATURE_COLUMNS = (*PRICE_COLUMNS, "volume")
VOLUME_Z_WINDOW = 20  # trailing bars (about a trading month) for the volume z-score


@dataclass(frozen=True)
class Feature:
    """A per-bar input: the bar columns it reads, how many earlier bars it needs, its values."""

    reads: Callable[[str], tuple[str, ...]]  # target column -> bar columns read
    lookback: int  # leading bars whose value is undefined (a return needs the previous bar)
    compute: Callable[[pd.DataFrame, str], np.ndarray]  # (bars, target column) -> one per bar


def _bar_column(column: str) -> Feature:
    return Feature(
        reads=lambda _target: (column,),
        lookback=0,
        compute=lambda bars, _target: bars[column].to_numpy(dtype="float64"),
    )


def _log_return(bars: pd.DataFrame, target: str) -> np.ndarray:
    values = bars[target].to_numpy(dtype="float64")
    out = np.full(len(values), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):  # bad prices are reported by name later
        out[1:] = np.log(values[1:] / values[:-1])
    return out


def log_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):  # bad prices are reported by name later
        return np.asarray(np.log(numerator / denominator), dtype="float64")


def _gap(bars: pd.DataFrame, _target: str) -> np.ndarray:
    """Overnight move: log(open_t / close_{t-1})."""
    out = np.full(len(bars), np.nan)
    out[1:] = log_ratio(
        bars["open"].to_numpy("float64")[1:], bars["close"].to_numpy("float64")[:-1]
    )
    return out


def _intraday(bars: pd.DataFrame, _target: str) -> np.ndarray:
    """Move within the bar: log(close_t / open_t)."""
    return log_ratio(bars["close"].to_numpy("float64"), bars["open"].to_numpy("float64"))


def _range_rel(bars: pd.DataFrame, _target: str) -> np.ndarray:
    """The bar's high-low range relative to its close."""
    high, low, close = (bars[c].to_numpy("float64") for c in ("high", "low", "close"))
    return (high - low) / close


def _volume_z(bars: pd.DataFrame, _target: str) -> np.ndarray:
    """z-score of log volume against the trailing VOLUME_Z_WINDOW bars ending at this one.

    Only bars up to t are read, so no look-ahead. Log volume because volume is heavy-tailed
    (one spike would dominate a raw z-score); log1p so a zero-volume bar stays finite; a flat
    window (zero spread) scores 0 rather than dividing by zero.
    """
    log_volume = np.log1p(bars["volume"].to_numpy("float64"))
    rolling = pd.Series(log_volume).rolling(VOLUME_Z_WINDOW)
    mean, std = rolling.mean().to_numpy(), rolling.std(ddof=0).to_numpy()
    return (log_volume - mean) / np.where(std > 0, std, np.inf)


def _day_of_week(trig: Callable[[np.ndarray], np.ndarray]) -> Feature:
    # A point on the weekly circle: Friday sits next to Monday, unlike a 0..4 integer.
    return Feature(
        reads=lambda _target: (),
        lookback=0,
        compute=lambda bars, _target: trig(
            2 * np.pi * pd.to_datetime(bars["date"]).dt.day_of_week.to_numpy("float64") / 7
        ),
    )


# The feature registry: add derived features here without touching build_split. No "previous
# close" entry: a window ending at bar t already holds close_t when ``close`` is a feature, and
# that is exactly "the last close" for a next-open target.
FEATURES: dict[str, Feature] = {
    **{column: _bar_column(column) for column in _BAR_FEATURE_COLUMNS},
    "log_return": Feature(reads=lambda target: (target,), lookback=1, compute=_log_return),
    "gap": Feature(reads=lambda _t: ("open", "close"), lookback=1, compute=_gap),
    "intraday": Feature(reads=lambda _t: ("open", "close"), lookback=0, compute=_intraday),
    "range_rel": Feature(reads=lambda _t: ("high", "low", "close"), lookback=0, compute=_range_rel),
    "volume_z": Feature(
        reads=lambda _t: ("volume",), lookback=VOLUME_Z_WINDOW - 1, compute=_volume_z
    ),
    "dow_sin": _day_of_week(np.sin),
    "dow_cos": _day_of_week(np.cos),
}
