"""A day's quantiles for every model: each scaled kind on its own scale, each point model on
the scale kind's (``[intervals] scale``, ``naive_vol`` by default), all through one FHS pool.

A point model (``drift``, ``linear``, ``gru``, ``lstm``, ``ensemble``, …) predicts no spread,
so it borrows the scale kind's one-step scales: its validation and issued errors are divided
by the scale kind's scale of the same day, the days before its validation range are the scale
kind's own standardised (naive) errors, and tomorrow's quantiles are its point plus the pool's
quantiles times the scale kind's scale for tomorrow. ``naive`` and the kinds in
``[intervals] flat`` keep the flat window; so does every point model on a day without a fitted
scale kind. The live step and the replay both calibrate here, so they issue the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from pipeline.forecast.calibration import Calibration
from pipeline.forecast.intervals import interval_bounds, issued_quantiles
from pipeline.models.registry import SCALED_KINDS
from pipeline.training.jobs import ModelOutcome
from pipeline.training.train import STATUS_SUCCEEDED


def calibrate_day(
    outcomes: list[ModelOutcome],
    errors: Mapping[str, Mapping[str, float]],
    last_known: float,
    calibration: Calibration,
) -> list[ModelOutcome]:
    """``outcomes`` with their next-day quantiles and intervals calibrated by ``calibration``
    on each model's ``errors`` (model -> ISO target day -> standardised error, days known on
    the issue day only); a point model on a scale also takes its ``scale``."""
    scale = next(
        (
            o
            for o in outcomes
            if o.model == calibration.scale and o.status == STATUS_SUCCEEDED and o.scale
        ),
        None,
    )
    return [
        _calibrated(o, scale, errors.get(o.model, {}), last_known, calibration) for o in outcomes
    ]


def _calibrated(
    outcome: ModelOutcome,
    scale: ModelOutcome | None,
    realized: Mapping[str, float],
    last_known: float,
    calibration: Calibration,
) -> ModelOutcome:
    if outcome.status != STATUS_SUCCEEDED or outcome.next_prediction is None:
        return outcome
    predictions = outcome.predictions
    validation = predictions[predictions["split"] == "validation"]
    point = outcome.next_prediction
    if outcome.model in SCALED_KINDS:
        own, earlier, source = outcome.scale, outcome.scale_errors, None
    elif calibration.is_flat(outcome.model) or scale is None:
        own, earlier, source = None, {}, None
    else:
        own, earlier, source = scale.scale, scale.scale_errors, scale
        validation = _on_scale(validation, source)
    quantiles = issued_quantiles(
        validation, point, last_known, realized, calibration, scale=own, earlier=earlier
    )
    hyperparameters = outcome.hyperparameters
    if source is not None:
        hyperparameters = {**hyperparameters, "interval_scale": source.model}
    return replace(
        outcome,
        quantiles=quantiles,
        intervals=interval_bounds(quantiles),
        scale=own,
        hyperparameters=hyperparameters,
    )


def _on_scale(validation: pd.DataFrame, scale: ModelOutcome) -> pd.DataFrame:
    """A point model's validation rows with the scale kind's scale of each day."""
    theirs = scale.predictions[scale.predictions["split"] == "validation"][["date", "scale"]]
    return validation.drop(columns="scale", errors="ignore").merge(theirs, on="date")
