"""Tomorrow's quantiles from the one-step errors known on the issue day.

A forecast issued on day d is calibrated on a model's one-step errors whose target day is on or
before d: the error of the forecast it really issued for that day where one is scored (out of
sample), its validation-range error otherwise, and before the validation range (for a model
with a scale) the naive point's error over the training range. Errors are relative to the
price each forecast was made from (``relative_errors``), so one pool spans price levels.

Two calibrations:

- **The flat window** (the probabilistic baseline, ``naive``, and any point model listed in
  ``[intervals] flat``): the conformal half-widths of the last ``CALIBRATION_WINDOW`` raw
  relative errors, symmetric about the point, times the last price.
- **Filtered historical simulation** (FHS; Barone-Adesi, Giannopoulos & Vosper 1999) for a
  forecast with a one-step scale: errors are standardised by the scale predicted for their day
  (close to stationary, so years of them can be pooled), and tomorrow's quantile at ``τ`` is
  the point plus the empirical ``τ``-quantile of the last ``pool`` signed standardised errors,
  times tomorrow's scale and the last price. Signed errors make the quantiles asymmetric.
  ``aci_step`` > 0 adds Gibbs & Candès' adaptive conformal inference (ACI, 2021): the last
  ``ACI_REPLAY`` days are replayed and each interval's coverage moves up after a miss and down
  after a hit.

Quantiles never cross: each central interval contains the narrower ones and the point (the 0.5
quantile is the point), and the 80% and 95% intervals are exactly the 0.1/0.9 and 0.025/0.975
quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pipeline.errors import InsufficientDataError
from pipeline.forecast.calibration import ACI_REPLAY, CALIBRATION_WINDOW, Calibration
from pipeline.forecast.point import conformal_quantile

ACI_GAMMA = 0.005  # Gibbs & Candès' step size: a miss at 95% raises the coverage ~0.005
ACI_MIN_POOL = 20  # fewest past errors an ACI step calibrates on
QUANTILE_LEVELS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99)
INTERVAL_QUANTILES = {80: (0.1, 0.9), 95: (0.025, 0.975)}  # interval -> (lower, upper) quantile


def relative_errors(actual: ArrayLike, predicted: ArrayLike, last_known: ArrayLike) -> np.ndarray:
    """``(actual - predicted) / last_known``: an error as a share of the price it started from."""
    a, p, k = (np.asarray(x, dtype="float64") for x in (actual, predicted, last_known))
    return (a - p) / np.abs(k)


def standardised_errors(frame: pd.DataFrame) -> np.ndarray:
    """Relative errors of ``frame`` (actual, predicted, last_known), divided by its ``scale``
    column where it has one (the predicted standard deviation of that day's relative error)."""
    errors = relative_errors(frame["actual"], frame["predicted"], frame["last_known"])
    if "scale" in frame:
        return errors / frame["scale"].to_numpy(dtype="float64")
    return errors


def calibration_pool(
    validation: pd.DataFrame,
    realized: Mapping[str, float],
    window: int = CALIBRATION_WINDOW,
    earlier: Mapping[str, float] | None = None,
) -> np.ndarray:
    """The last ``window`` finite (standardised) relative errors by target day, oldest first.

    ``validation`` has the columns date, actual, predicted and last_known, and scale for a
    scaled forecast (one row per validation target); ``realized`` maps an ISO target day to the
    (standardised) error of the forecast issued for it and wins over the validation error of the
    same day, which wins over ``earlier`` (ISO day -> error: the scale's training range).
    """
    errors = dict(earlier or {})
    dates = pd.to_datetime(validation["date"]).dt.strftime("%Y-%m-%d")
    errors.update(zip(dates, standardised_errors(validation), strict=True))
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


def _empirical(ordered: np.ndarray, tau: float) -> float:
    """The ``tau``-quantile of a sorted sample (linear interpolation, numpy's default)."""
    position = min(max(tau, 0.0), 1.0) * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (position - low) * (ordered[high] - ordered[low]))


def central_bounds(ordered: np.ndarray, coverage: float, signed: bool) -> tuple[float, float]:
    """The central interval of a sorted pool at ``coverage``: its ``(1 ∓ coverage) / 2``
    quantiles (``signed``), or ± the conformal half-width of the |errors|."""
    if not signed:
        half = half_width(ordered, coverage)
        return -half, half
    if coverage <= 0.0:
        middle = _empirical(ordered, 0.5)
        return middle, middle
    return _empirical(ordered, (1 - coverage) / 2), _empirical(ordered, (1 + coverage) / 2)


def aci_coverages(
    history: np.ndarray,
    coverages: list[float],
    window: int,
    step: float,
    signed: bool,
) -> dict[float, float]:
    """Each coverage after replaying ACI over ``history``'s last ``ACI_REPLAY`` days: each day
    its interval from the ``window`` errors before it, then ``alpha += step * (1 - c - missed)``."""
    alpha = {c: 1.0 - c for c in coverages}
    for t in range(max(ACI_MIN_POOL, len(history) - ACI_REPLAY), len(history)):
        past = np.sort(history[max(0, t - window) : t])
        for c in coverages:
            low, high = central_bounds(past, 1.0 - alpha[c], signed)
            missed = not low <= history[t] <= high
            alpha[c] += step * ((1.0 - c) - missed)
    return {c: 1.0 - a for c, a in alpha.items()}


def quantile_forecast(
    point: float,
    last_known: float,
    history: np.ndarray,
    *,
    scale: float | None = None,
    window: int = CALIBRATION_WINDOW,
    aci_step: float = 0.0,
    signed: bool = True,
) -> dict[float, float]:
    """Tomorrow's price at ``QUANTILE_LEVELS``, from the (standardised) error ``history``.

    Without ``scale``: the flat window's conformal half-widths of the last ``window`` relative
    errors, times ``last_known`` (levels the pool is too small for are left out). With it: FHS,
    the empirical quantiles of the last ``window`` standardised errors (``signed``; else ± the
    conformal |error|), ACI on top when ``aci_step`` > 0, times ``scale * last_known``.
    """
    pool = np.sort(history[-window:])
    if not len(pool):
        return {0.5: point}
    coverages = sorted({round(abs(2 * tau - 1), 6) for tau in QUANTILE_LEVELS} - {0.0})
    adjusted = {c: c for c in coverages}
    if scale is not None and aci_step > 0:
        adjusted = aci_coverages(history, coverages, window, aci_step, signed)
    bounds: dict[float, tuple[float, float]] = {}
    low, high = 0.0, 0.0  # each interval holds the point and every narrower interval
    for coverage in coverages:
        if scale is None:
            try:
                half = conformal_quantile(pool, coverage)
            except InsufficientDataError:
                continue
            lo, hi = -half, half
        else:
            lo, hi = central_bounds(pool, adjusted[coverage], signed)
        low, high = min(low, lo), max(high, hi)
        bounds[coverage] = (low, high)
    unit = abs(last_known) * (1.0 if scale is None else scale)
    out = {0.5: point} if 0.5 in QUANTILE_LEVELS else {}
    for tau in QUANTILE_LEVELS:
        coverage = round(abs(2 * tau - 1), 6)
        if coverage in bounds:
            offset = bounds[coverage][0] if tau < 0.5 else bounds[coverage][1]
            out[tau] = point + offset * unit
    return dict(sorted(out.items()))


def issued_quantiles(
    validation: pd.DataFrame,
    point: float,
    last_known: float,
    realized: Mapping[str, float],
    calibration: Calibration,
    *,
    scale: float | None = None,
    earlier: Mapping[str, float] | None = None,
) -> dict[float, float]:
    """A forecast's quantiles as the daily step issues them: FHS on ``calibration``'s pool of
    ``earlier``, ``validation`` and ``realized`` errors standardised by their day's scale, or
    (no ``scale``) the flat window of raw ones."""
    if scale is None:
        flat = validation.drop(columns="scale", errors="ignore")
        history = calibration_pool(flat, realized, CALIBRATION_WINDOW)
        return quantile_forecast(point, last_known, history)
    history = calibration_pool(validation, realized, calibration.history, earlier)
    return quantile_forecast(
        point,
        last_known,
        history,
        scale=scale,
        window=calibration.pool,
        aci_step=calibration.aci_step,
    )


def interval_bounds(quantiles: dict[float, float]) -> dict[str, float]:
    """``lower_80``, ``upper_80``, ``lower_95``, ``upper_95``: the matching ``quantiles``
    (intervals whose quantiles are missing are left out)."""
    bounds: dict[str, float] = {}
    for pct, (low, high) in INTERVAL_QUANTILES.items():
        if low in quantiles and high in quantiles:
            bounds[f"lower_{pct}"], bounds[f"upper_{pct}"] = quantiles[low], quantiles[high]
    return bounds
