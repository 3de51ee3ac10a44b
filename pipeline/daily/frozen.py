"""A frozen model's days: between two retrains its weights stay as they are, so a whole block
of days is forecast in one batched predict, and each day's outcome is built from its slice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from pipeline.daily.plan import BaseRun
from pipeline.forecast.intervals import interval_bounds
from pipeline.forecast.next_day import next_quantiles
from pipeline.models.base import FINE_TUNE_RECENT, ForecastModel
from pipeline.splits.split import Split
from pipeline.training.jobs import ModelOutcome
from pipeline.training.train import keras_runtime, score_parts


@dataclass(frozen=True)
class Frozen:
    """A frozen model's day: its split, and the prices (with scales, for a scaled model) of the
    validation targets then the next day, from the batched predict."""

    split: Split
    prices: np.ndarray
    scales: np.ndarray | None


def predict_block(model: ForecastModel, splits: list[Split]) -> list[Frozen]:
    """Each split's validation targets and next day, forecast by ``model`` in one call."""
    X = np.concatenate([a for s in splits for a in (s.validation.X, s.latest_window)])
    known = np.concatenate([np.append(s.validation.last_known, s.latest_known) for s in splits])
    anchor = np.concatenate([np.append(s.validation.anchor, s.latest_anchor) for s in splits])
    prices = model.predict(X, known, anchor)
    scales = model.window_scales(X, known, anchor)
    out, offset = [], 0
    for s in splits:
        n = len(s.validation) + 1
        part = slice(offset, offset + n)
        out.append(Frozen(s, prices[part], None if scales is None else scales[part]))
        offset += n
    return out


def frozen_outcome(
    kind: str, base: BaseRun, model: ForecastModel, day: Frozen, recent: dict[str, float]
) -> ModelOutcome:
    """``base``'s ``model`` on ``day``, recorded as a fine-tune of no epochs, its intervals
    calibrated on its validation errors and ``recent`` ones."""
    split = day.split
    scales = None if day.scales is None else {"validation": day.scales[:-1]}
    predictions, metrics = score_parts(split, {"validation": day.prices[:-1]}, scales)
    point = float(day.prices[-1])
    scale = None if day.scales is None else float(day.scales[-1])
    quantiles = next_quantiles(predictions, point, split, scale, recent)
    backend, device = keras_runtime()
    now = datetime.now(tz=UTC)
    return ModelOutcome(
        model=kind,
        run_id=str(uuid.uuid4()),
        split_id=split.split_id,
        training="fine_tune",
        base_run_id=base.run_id,
        started_at=now,
        finished_at=now,
        status="succeeded",
        hyperparameters={
            **model.hyperparameters,
            "fine_tuned_from": str(Path(base.artifact_uri).resolve()),
            "fine_tune_epochs": 0,
            "recent": FINE_TUNE_RECENT,
        },
        backend=backend,
        device=device,
        epochs_run=0,
        train_seconds=0.0,
        artifact_uri=base.artifact_uri,
        predictions=predictions,
        metrics=metrics,
        next_prediction=point,
        intervals=interval_bounds(quantiles),
        quantiles=quantiles,
        scale=scale,
    )
