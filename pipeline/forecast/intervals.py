"""Interval calibration on a rolling window of the latest one-step errors known on the day.

A forecast issued on day d gets its conformal half-widths from the model's last ``window``
one-step errors whose target day is on or before d: the error of the forecast it really issued
for that day where one is scored (out of sample), its validation-range error otherwise. So a
new model starts from its validation errors, and as its issued forecasts are scored the pool
becomes what it really achieved lately: the rolling recalibration that keeps coverage near
nominal when volatility drifts. Errors are relative to the price each forecast was made from,
so one pool spans price levels, and half-widths are scaled back by the day's last known price.

A model with a one-step scale (``ForecastModel.predict_scale``: the volatility and
distributional kinds) is calibrated on standardised errors instead (relative error / predicted
scale), and adaptively: Gibbs & Candès' adaptive conformal inference (ACI, 2021) replays the
pool's recent history and moves each level up after a miss and down after a hit, so coverage
recovers within ``CALIBRATION_WINDOW`` days of a volatility change. Point models keep the flat
window (``naive`` with it is the probabilistic baseline).

Every forecast carries the ``QUANTILE_LEVELS`` of tomorrow's price, symmetric about the point:
the quantile at ``τ`` is the point minus (``τ < 0.5``) or plus the half-width at coverage
``|2τ - 1|``; half-widths are made non-decreasing in coverage, so quantiles never cross, and the
80% and 95% intervals are exactly the 0.1/0.9 and 0.025/0.975 quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pipeline.errors import InsufficientDataError
from pipeline.forecast.point import conformal_quantile

CALIBRATION_WINDOW = 60  # one-step errors per pool: about three months of trading days
HISTORY_WINDOW = 2 * CALIBRATION_WINDOW  # what ACI replays: each step sees the window before it
QUANTILE_LEVELS = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)
INTERVAL_QUANTILES = {80: (0.1, 0.9), 95: (0.025, 0.975)}  # interval -> (lower, upper) quantile
ACI_GAMMA = 0.005  # ACI's step size (Gibbs & Candès'): a miss at 95% raises the level ~0.005
ACI_MIN_POOL = 20  # fewest past errors an ACI step calibrates on


def relative_errors(actual: ArrayLike, predicted: ArrayLike, last_known: ArrayLike) -> np.ndarray:
    """``(actual - predicted) / last_known``: an error as a share of the price it started from."""
    a, p, k = (np.asarray(x, dtype="float64") for x in (actual, predicted, last_known))
    return (a - p) / np.abs(k)


def standardised_errors(frame: pd.DataFrame) -> np.ndarray:
    """Relative errors of ``frame`` (actual, predicted, last_known), divided by its ``scale``
    column where it has one (a scaled model's predicted standard deviation)."""
    errors = relative_errors(frame["actual"], frame["predicted"], frame["last_known"])
    if "scale" in frame:
        return errors / frame["scale"].to_numpy(dtype="float64")
    return errors


def calibration_pool(
    validation: pd.DataFrame,
    realized: Mapping[str, float],
    window: int = CALIBRATION_WINDOW,
) -> np.ndarray:
    """The last ``window`` finite (standardised) relative errors by target day, oldest first.

    ``validation`` has the columns date, actual, predicted and last_known, and scale for a
    scaled model (one row per validation target); ``realized`` maps an ISO target day to the
    (standardised) relative error of the forecast issued for it, and wins over the validation
    error of the same day.
    """
    dates = pd.to_datetime(validation["date"]).dt.strftime("%Y-%m-%d")
    errors = dict(zip(dates, standardised_errors(validation), strict=True))
    errors.update(realized)
    ordered = np.array([errors[day] for day in sorted(errors)], dtype="float64")
    return ordered[np.isfinite(ordered)][-window:]  # a NaN error (no price) says nothing


def half_width(pool: np.ndarray, level: float) -> float:
    """The conformal half-width at ``level``, defined for any level: 0 at or below 0, the
    largest |error| where the pool is too small for it (ACI's unbounded interval, capped)."""
    if level <= 0.0:
        return 0.0
    if math.ceil((len(pool) + 1) * level) > len(pool):
        return float(np.max(np.abs(pool)))
    return conformal_quantile(pool, level)


def aci_level(
    history: np.ndarray,
    level: float,
    window: int = CALIBRATION_WINDOW,
    gamma: float = ACI_GAMMA,
) -> float:
    """The adaptive level for the next day after replaying ACI over ``history``'s last
    ``window`` days: each day its half-width from the ``window`` errors before it, then
    ``alpha += gamma * (1 - level - missed)``."""
    alpha = 1.0 - level
    for t in range(max(ACI_MIN_POOL, len(history) - window), len(history)):
        past = history[max(0, t - window) : t]
        missed = abs(history[t]) > half_width(past, 1.0 - alpha)
        alpha += gamma * ((1.0 - level) - missed)
    return 1.0 - alpha


def quantile_forecast(
    point: float,
    last_known: float,
    history: np.ndarray,
    *,
    scale: float | None = None,
    window: int = CALIBRATION_WINDOW,
) -> dict[float, float]:
    """Tomorrow's price at ``QUANTILE_LEVELS``, from the (standardised) error ``history``.

    Without ``scale``: the flat window's conformal half-widths of the last ``window`` relative
    errors, times ``last_known`` (levels the pool is too small for are left out). With it: ACI
    levels on standardised errors, times ``scale * last_known``.
    """
    pool = history[-window:]
    if not len(pool):
        return {0.5: point}
    coverages = sorted({round(abs(2 * tau - 1), 6) for tau in QUANTILE_LEVELS} - {0.0})
    halves: dict[float, float] = {}
    widest = 0.0
    for coverage in coverages:
        if scale is None:
            try:
                half = conformal_quantile(pool, coverage)
            except InsufficientDataError:
                continue
        else:
            half = half_width(pool, aci_level(history, coverage, window))
        widest = max(widest, half)  # never narrower than a lower coverage: no crossing
        halves[coverage] = widest
    unit = abs(last_known) * (1.0 if scale is None else scale)
    out = {0.5: point} if 0.5 in QUANTILE_LEVELS else {}
    for tau in QUANTILE_LEVELS:
        coverage = round(abs(2 * tau - 1), 6)
        if coverage in halves:
            out[tau] = point + math.copysign(halves[coverage] * unit, tau - 0.5)
    return dict(sorted(out.items()))


def interval_bounds(quantiles: dict[float, float]) -> dict[str, float]:
    """``lower_80``, ``upper_80``, ``lower_95``, ``upper_95``: the matching ``quantiles``
    (intervals whose quantiles are missing are left out)."""
    bounds: dict[str, float] = {}
    for pct, (low, high) in INTERVAL_QUANTILES.items():
        if low in quantiles and high in quantiles:
            bounds[f"lower_{pct}"], bounds[f"upper_{pct}"] = quantiles[low], quantiles[high]
    return bounds
