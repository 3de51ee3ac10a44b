"""The next-day point forecast and the split-conformal quantile its intervals are built from."""

from __future__ import annotations

import math

import numpy as np

from pipeline.errors import InputError, InsufficientDataError
from pipeline.models.base import ForecastModel
from pipeline.splits.split import Split

INTERVAL_LEVELS = (0.80, 0.95)  # the intervals every forecast carries


def conformal_quantile(residuals: np.ndarray, level: float) -> float:
    """The ``ceil((n+1)*level)``-th smallest of n |residuals|: a conformal interval's half-width.

    That is the split-conformal quantile at ``ceil((n+1)*level)/n`` (the finite-sample
    correction), which covers a new exchangeable residual with probability >= level.
    """
    if not 0.0 < level < 1.0:
        raise InputError(f"level must be between 0 and 1 (exclusive), got {level}")
    scores = np.sort(np.abs(np.asarray(residuals, dtype="float64")))
    n = len(scores)
    if not np.isfinite(scores).all():
        raise InputError(f"residuals must be finite; {int((~np.isfinite(scores)).sum())} are not")
    rank = math.ceil((n + 1) * level)
    if rank > n:
        raise InsufficientDataError(
            f"{n} residuals are too few for a {level:.1%} conformal interval; "
            f"it needs at least {math.ceil(level / (1 - level))}"
        )
    return float(scores[rank - 1])


def forecast_next(model: ForecastModel, split: Split) -> float:
    """The price forecast for the trading day after ``split.last_bar_date``."""
    return float(
        model.predict(
            split.latest_window, np.array([split.latest_known]), np.array([split.latest_anchor])
        )[0]
    )
