"""Interval calibration on a rolling window of the latest one-step errors known on the day.

A forecast issued on day d gets its conformal half-widths from the model's last ``window``
one-step errors whose target day is on or before d: the error of the forecast it really issued
for that day where one is scored (out of sample), its validation-range error otherwise. So a
new model starts from its validation errors, and as its issued forecasts are scored the pool
becomes what it really achieved lately: the rolling recalibration that keeps coverage near
nominal when volatility drifts. Errors are relative to the price each forecast was made from,
so one pool spans price levels, and half-widths are scaled back by the day's last known price.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pipeline.errors import InsufficientDataError
from pipeline.forecast.point import INTERVAL_LEVELS, conformal_quantile

CALIBRATION_WINDOW = 60  # one-step errors per pool: about three months of trading days


def relative_errors(actual: ArrayLike, predicted: ArrayLike, last_known: ArrayLike) -> np.ndarray:
    """``(actual - predicted) / last_known``: an error as a share of the price it started from."""
    a, p, k = (np.asarray(x, dtype="float64") for x in (actual, predicted, last_known))
    return (a - p) / np.abs(k)


def calibration_pool(
    validation: pd.DataFrame,
    realized: Mapping[str, float],
    window: int = CALIBRATION_WINDOW,
) -> np.ndarray:
    """The last ``window`` finite relative errors by target day, oldest first.

    ``validation`` has the columns date, actual, predicted and last_known (one row per
    validation target); ``realized`` maps an ISO target day to the relative error of the
    forecast issued for it, and wins over the validation error of the same day.
    """
    dates = pd.to_datetime(validation["date"]).dt.strftime("%Y-%m-%d")
    errors = dict(
        zip(
            dates,
            relative_errors(
                validation["actual"], validation["predicted"], validation["last_known"]
            ),
            strict=True,
        )
    )
    errors.update(realized)
    ordered = np.array([errors[day] for day in sorted(errors)], dtype="float64")
    return ordered[np.isfinite(ordered)][-window:]  # a NaN error (no price) says nothing


def interval_bounds(point: float, last_known: float, pool: np.ndarray) -> dict[str, float]:
    """``lower_80``, ``upper_80``, ``lower_95``, ``upper_95``: ``point`` ± the conformal
    quantile of the relative ``pool`` times ``last_known`` (levels the pool is too small for
    are left out)."""
    bounds: dict[str, float] = {}
    for level in INTERVAL_LEVELS:
        try:
            half = conformal_quantile(pool, level) * abs(last_known)
        except InsufficientDataError:
            continue
        pct = round(level * 100)
        bounds[f"lower_{pct}"], bounds[f"upper_{pct}"] = point - half, point + half
    return bounds
