"""A trained run's outcome: its scores and the next day's forecast, with quantiles calibrated
on the validation range and the model's recent errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd

from pipeline.forecast.calibration import Calibration
from pipeline.forecast.intervals import interval_bounds, issued_quantiles
from pipeline.forecast.point import forecast_next
from pipeline.models.volatility import ScaledNaiveModel
from pipeline.splits.split import Split
from pipeline.training.jobs import ModelOutcome
from pipeline.training.train import TrainResult


def scored_outcome(
    result: TrainResult,
    split: Split,
    outcome: Callable[..., ModelOutcome],
    recent_errors: dict[str, float],
) -> ModelOutcome:
    """The outcome of a trained run: its scores and the next day's forecast with quantiles
    calibrated on ``recent_errors`` (``outcome`` holds the run's identity): FHS on its own scale
    for a scaled kind, the flat window for a point model until the day gives it a scale
    (``pipeline.forecast.scaled.calibrate_day``)."""
    point = forecast_next(result.model, split)
    scale = result.next_scale
    earlier = (
        result.model.training_errors(split) if isinstance(result.model, ScaledNaiveModel) else {}
    )
    quantiles = next_quantiles(result.predictions, point, split, scale, recent_errors, earlier)
    return outcome(
        finished_at=datetime.now(tz=UTC),
        status=result.status,
        hyperparameters=result.hyperparameters,
        backend=result.backend,
        device=result.device,
        epochs_run=result.epochs_run,
        train_seconds=result.train_seconds,
        artifact_uri=result.artifact_uri,
        predictions=result.predictions,
        metrics=result.metrics,
        next_prediction=point,
        intervals=interval_bounds(quantiles),
        quantiles=quantiles,
        scale=scale,
        scale_errors=earlier,
    )


def next_quantiles(
    predictions: pd.DataFrame,
    point: float,
    split: Split,
    scale: float | None,
    recent_errors: dict[str, float],
    earlier: dict[str, float] | None = None,
) -> dict[float, float]:
    """The next day's quantiles around ``point``, calibrated (default ``[intervals]``) on the
    validation range of ``predictions``, the model's ``recent_errors`` and ``earlier`` ones."""
    validation = predictions[predictions["split"] == "validation"]
    return issued_quantiles(
        validation,
        point,
        split.latest_known,
        recent_errors,
        Calibration(),
        scale=scale,
        earlier=earlier,
    )
