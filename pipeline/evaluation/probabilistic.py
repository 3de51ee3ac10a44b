"""Proper scores of predictive distributions, in price units. Pure functions.

``pinball_loss`` averages the quantile (pinball) loss over the stored levels;
``crps_from_quantiles`` is twice that, the CRPS of the quantile forecast (the CRPS is twice
the pinball loss integrated over all levels; here the mean over the stored ones, as
``scoringrules.crps_quantile``). ``interval_score`` is Gneiting & Raftery's (Winkler's) score
of a central interval: its width plus ``2 / alpha`` times how far the actual fell outside.
Lower is better for all three. ``tercile_coverage`` asks whether coverage holds in calm and in
turbulent days alike. ``spa_vs_naive`` is Hansen's SPA test (``arch.bootstrap``) of "some
model beats the baseline"; ``model_confidence_set`` is the MCS of Hansen, Lunde and Nason over
all models, baseline included."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pipeline.forecast.intervals import INTERVAL_QUANTILES, quantile_forecast, standardised_errors

TERCILES = ("low", "mid", "high")


def pinball_loss(actual: ArrayLike, quantiles: Mapping[float, ArrayLike]) -> float:
    """Mean over levels τ and targets of ``max(τ (y - q), (τ - 1)(y - q))``."""
    y = np.asarray(actual, dtype="float64")
    losses = [
        np.maximum(tau * (y - np.asarray(q)), (tau - 1) * (y - np.asarray(q)))
        for tau, q in quantiles.items()
    ]
    return float(np.mean(losses))


def crps_from_quantiles(actual: ArrayLike, quantiles: Mapping[float, ArrayLike]) -> float:
    """The CRPS approximated from quantiles: ``2 * pinball_loss`` (mean over targets)."""
    return 2.0 * pinball_loss(actual, quantiles)


def interval_score(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike, level: float) -> float:
    """Mean interval (Winkler) score of central ``level`` intervals (alpha = 1 - level)."""
    y, lo, hi = (np.asarray(x, dtype="float64") for x in (actual, lower, upper))
    alpha = 1.0 - level
    penalty = (2.0 / alpha) * (np.maximum(lo - y, 0.0) + np.maximum(y - hi, 0.0))
    return float(np.mean(hi - lo + penalty))


def tercile_coverage(
    actual: ArrayLike, lower: ArrayLike, upper: ArrayLike, volatility: ArrayLike
) -> dict[str, float]:
    """Coverage among the days in each tercile of ``volatility`` (known on the issue day):
    ``low``, ``mid``, ``high``; days are ranked, ties by order, and split as evenly as can be."""
    y, lo, hi = (np.asarray(x, dtype="float64") for x in (actual, lower, upper))
    inside = (y >= lo) & (y <= hi)
    ranks = np.argsort(np.argsort(np.asarray(volatility, dtype="float64"), kind="stable"))
    groups = ranks * 3 // max(len(y), 1)  # as SQL's ntile(3) does, up to remainders
    return {
        name: float(np.mean(inside[groups == i])) if (groups == i).any() else float("nan")
        for i, name in enumerate(TERCILES)
    }


def spa_vs_naive(
    baseline_losses: ArrayLike, model_losses: ArrayLike, *, reps: int = 1000, seed: int = 42
) -> dict[str, float]:
    """Hansen's SPA: p-values (lower, consistent, upper) of "no model's expected loss is below
    the baseline's"; ``model_losses`` is (days, models). A small p says some model is better,
    allowing for having tried them all."""
    from arch.bootstrap import SPA

    spa = SPA(
        np.asarray(baseline_losses, dtype="float64"),
        np.asarray(model_losses, dtype="float64"),
        reps=reps,
        seed=seed,
    )
    spa.compute()
    return {str(k): float(v) for k, v in spa.pvalues.items()}


def model_confidence_set(
    losses: pd.DataFrame, *, size: float = 0.1, reps: int = 1000, seed: int = 42
) -> dict[str, float]:
    """Hansen, Lunde and Nason's model confidence set over ``losses`` (days x models, the
    baseline among them): each model's MCS p-value; a model is in the (1 - ``size``) set when
    its p-value is above ``size``. A set holding the baseline says no model is shown better."""
    from arch.bootstrap import MCS

    mcs = MCS(losses.astype("float64"), size=size, reps=reps, seed=seed)
    mcs.compute()
    return {str(k): float(v) for k, v in mcs.pvalues["Pvalue"].items()}


def distribution_scores(test: pd.DataFrame, validation: pd.DataFrame) -> dict[str, float]:
    """``train``'s scores of ``test`` (actual, predicted, last_known, [scale]) quantiles from
    the validation range's (standardised) errors, and the probabilistic baseline's beside them
    (naive with its validation errors): ``interval_score_80``/``_95``, ``pinball_loss``,
    ``width_80``/``_95``, each also as ``naive_<name>``."""
    naive_validation = validation.assign(predicted=validation["last_known"]).drop(
        columns="scale", errors="ignore"
    )
    naive_test = test.assign(predicted=test["last_known"]).drop(columns="scale", errors="ignore")
    out: dict[str, float] = {}
    for prefix, scored, calibration in (
        ("", test, validation),
        ("naive_", naive_test, naive_validation),
    ):
        pool = standardised_errors(calibration)
        offsets = quantile_forecast(0.0, 1.0, pool[np.isfinite(pool)], window=len(pool))
        scale = scored["scale"] if "scale" in scored.columns else 1.0
        unit = scored["last_known"].abs() * scale
        quantiles = {tau: scored["predicted"] + q * unit for tau, q in offsets.items()}
        out[f"{prefix}pinball_loss"] = pinball_loss(scored["actual"], quantiles)
        for pct, (low, high) in INTERVAL_QUANTILES.items():
            if low in quantiles and high in quantiles:
                lower, upper = quantiles[low], quantiles[high]
                out[f"{prefix}interval_score_{pct}"] = interval_score(
                    scored["actual"], lower, upper, pct / 100
                )
                out[f"{prefix}width_{pct}"] = float(np.mean(upper - lower))
    return out
