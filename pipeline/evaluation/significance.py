"""Is a model really better than naive, and are its intervals honest? Pure functions.

``diebold_mariano`` tests equal expected loss of two forecasts of the same targets (with the
Harvey-Leybourne-Newbold small-sample correction); ``coverage`` is the empirical share of
targets inside their intervals (``pipeline.forecast.intervals`` keeps it near nominal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from pipeline.errors import InputError

Loss = Literal["absolute", "squared"]


@dataclass(frozen=True)
class DieboldMariano:
    """The HLN-corrected statistic (negative: the model's loss is lower) and its p-values."""

    statistic: float
    p_value: float  # two-sided: the expected losses differ
    p_value_better: float  # one-sided: the model's expected loss is lower than the baseline's
    mean_loss_difference: float  # mean of loss(model) - loss(baseline)


def diebold_mariano(
    actual: ArrayLike,
    predicted: ArrayLike,
    baseline: ArrayLike,
    *,
    loss: Loss = "absolute",
    h: int = 1,
) -> DieboldMariano:
    """Diebold-Mariano test of ``predicted`` against ``baseline`` (e.g. naive), h steps ahead.

    With loss differences d_t, DM = mean(d) / sqrt(V / n), V the autocovariances of d up to lag
    h-1 (lag 0 alone for h=1); the HLN factor sqrt((n + 1 - 2h + h(h-1)/n) / n) scales it and
    p-values come from the standard normal, exactly as the ``leaderboard`` view computes them
    (DuckDB has no Student-t CDF), so both give one answer; read them with care below ~30
    targets. Identical losses on every target (e.g. naive against itself) leave nothing to
    test: statistic and p-values are NaN.
    """
    a, p, b = (np.asarray(x, dtype="float64") for x in (actual, predicted, baseline))
    if not a.shape == p.shape == b.shape or a.ndim != 1:
        raise InputError("actual, predicted and baseline must be 1-d arrays of one length")
    n = len(a)
    if n < 2 or not 1 <= h < n:
        raise InputError(f"need at least 2 targets and 1 <= h < n; got n={n}, h={h}")
    power = 1 if loss == "absolute" else 2
    d = np.abs(a - p) ** power - np.abs(a - b) ** power
    mean = float(d.mean())
    centred = d - mean
    autocovariances = [float(centred[k:] @ centred[: n - k]) / n for k in range(h)]
    variance = autocovariances[0] + 2 * sum(autocovariances[1:])
    if variance <= 0:
        nan = float("nan")
        return DieboldMariano(nan, nan, nan, mean)
    hln = np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    statistic = float(mean / np.sqrt(variance / n) * hln)
    return DieboldMariano(
        statistic=statistic,
        p_value=float(2 * stats.norm.sf(abs(statistic))),
        p_value_better=float(stats.norm.cdf(statistic)),
        mean_loss_difference=mean,
    )


def coverage(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of targets inside their closed interval [lower, upper]."""
    a = np.asarray(actual, dtype="float64")
    inside = (np.asarray(lower, dtype="float64") <= a) & (a <= np.asarray(upper, dtype="float64"))
    return float(inside.mean())
