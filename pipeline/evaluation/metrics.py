"""Forecast metrics in price units.

The point losses share one signature, ``(actual, predicted) -> float``, like utilsforecast's,
so they can be listed in ``POINT_METRICS`` and applied in a loop. Direction accuracy and
``evaluate`` also need ``last_known``, the price each forecast was made from (what the naive
forecast predicts).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn import metrics as skm

from pipeline.evaluation.naive import skill
from pipeline.evaluation.significance import diebold_mariano


def mae(actual: ArrayLike, predicted: ArrayLike) -> float:
    """Mean absolute error."""
    return float(skm.mean_absolute_error(actual, predicted))


def mse(actual: ArrayLike, predicted: ArrayLike) -> float:
    """Mean squared error."""
    return float(skm.mean_squared_error(actual, predicted))


def rmse(actual: ArrayLike, predicted: ArrayLike) -> float:
    """Root mean squared error."""
    return float(skm.root_mean_squared_error(actual, predicted))


def mape(actual: ArrayLike, predicted: ArrayLike) -> float:
    """Mean absolute percentage error, in percent (scikit-learn returns a fraction)."""
    return 100.0 * float(skm.mean_absolute_percentage_error(actual, predicted))


def r2(actual: ArrayLike, predicted: ArrayLike) -> float:
    """Coefficient of determination (NaN for fewer than two targets)."""
    if np.size(actual) < 2:
        return float("nan")
    return float(skm.r2_score(actual, predicted))


POINT_METRICS = {"mae": mae, "rmse": rmse, "mse": mse, "mape": mape, "r2": r2}


def direction_accuracy(actual: ArrayLike, predicted: ArrayLike, last_known: ArrayLike) -> float:
    """Share of targets where the forecast moves the same way as the price did, among those
    where it predicts a change: NaN when it never does (the naive forecast), since no
    direction was called.

    Tie rule: the sign of a zero change is 0 and signs must be equal, so a flat day is missed
    by any forecast that moves.
    """
    base = np.asarray(last_known, dtype="float64")
    moved = np.sign(np.asarray(actual, dtype="float64") - base)
    called = np.sign(np.asarray(predicted, dtype="float64") - base)
    calls = called != 0
    if not calls.any():
        return float("nan")
    return float(np.mean(moved[calls] == called[calls]))


def evaluate(actual: ArrayLike, predicted: ArrayLike, last_known: ArrayLike) -> dict[str, float]:
    """Every metric for one range, plus the naive forecast's MAE and the model's skill over it."""
    out = {name: metric(actual, predicted) for name, metric in POINT_METRICS.items()}
    out["direction_accuracy"] = direction_accuracy(actual, predicted, last_known)
    out["mae_naive"] = mae(actual, last_known)
    out["skill"] = skill(out["mae"], out["mae_naive"])
    return out


def significance_vs_naive(
    actual: ArrayLike, predicted: ArrayLike, last_known: ArrayLike
) -> dict[str, float]:
    """Diebold-Mariano test against naive on absolute errors: ``dm_statistic`` below 0 with a
    small ``dm_p_value_better`` means significantly better than naive (NaN for naive itself).
    Empty for fewer than two targets, which cannot be tested."""
    if np.size(actual) < 2:
        return {}
    dm = diebold_mariano(actual, predicted, last_known)
    return {"dm_statistic": dm.statistic, "dm_p_value_better": dm.p_value_better}
