"""Fit several models on one split and forecast the next trading day: the GPU worker's job.

Everything here takes a Split (arrays) and returns numbers and artifact paths; it never opens
the warehouse, so it can run in another process or on another machine.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.forecast.calibration import Calibration
from pipeline.forecast.intervals import interval_bounds, issued_quantiles
from pipeline.forecast.point import forecast_next
from pipeline.models.volatility import ScaledNaiveModel
from pipeline.splits.split import Split
from pipeline.training.train import (
    TrainResult,
    finetune_model,
    reuse_trial,
    train_model,
)

log = logging.getLogger("nextbar.progress")


@dataclass(frozen=True)
class FitJob:
    """One model to fit on one saved split; with a base artifact, fine-tune it instead.

    ``hyperparameters`` (e.g. from a preset) go to ``make_model``; empty means its defaults.
    ``recent_errors`` maps an ISO target day to the relative error of the forecast this model
    issued for it (see ``pipeline.forecast.intervals``): its intervals are calibrated on them.
    ``trial_artifact``, a search trial fitted on the same training range with the same settings
    and seed, is scored as this job's fit instead of fitting it again.
    """

    kind: str
    split_path: str
    base_run_id: str | None = None
    base_artifact: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    recent_errors: dict[str, float] = field(default_factory=dict)
    trial_artifact: str | None = None

    @property
    def training(self) -> str:
        """``full`` or ``fine_tune``."""
        return "fine_tune" if self.base_artifact else "full"


# ModelOutcome's fields stored as they are in ``model_runs``
RUN_FIELDS = (
    "run_id",
    "model",
    "split_id",
    "training",
    "base_run_id",
    "started_at",
    "finished_at",
    "status",
    "error",
    "backend",
    "device",
    "epochs_run",
    "train_seconds",
    "artifact_uri",
)


@dataclass
class ModelOutcome:
    """One model's run: lineage, scores, and its next-day forecast. Plain data only."""

    model: str
    run_id: str
    split_id: str
    training: str
    base_run_id: str | None
    started_at: datetime
    finished_at: datetime
    status: str
    error: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    backend: str | None = None
    device: str | None = None
    epochs_run: int | None = None
    train_seconds: float | None = None
    artifact_uri: str | None = None
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    next_prediction: float | None = None
    intervals: dict[str, float] = field(default_factory=dict)  # lower_80, upper_80, …
    quantiles: dict[float, float] = field(default_factory=dict)  # level -> price
    scale: float | None = None  # the predicted std of tomorrow's relative error (its own or
    # its scale kind's: pipeline.forecast.scaled)
    # a volatility kind's FHS pool before the validation range: ISO day -> standardised error
    scale_errors: dict[str, float] = field(default_factory=dict)

    def to_record(self, *, symbol: str, purpose: str, **hyperparameters: Any) -> dict[str, Any]:
        """The run as warehouse.models.record_run stores it: the ``model_runs`` columns, with
        ``hyperparameters`` added to the run's own (e.g. the preset), and its frames."""
        own = {name: getattr(self, name) for name in RUN_FIELDS}
        return {
            **own,
            "symbol": symbol,
            "hyperparameters": {**self.hyperparameters, **hyperparameters},
            "code_version": version("nextbar"),
            "purpose": purpose,
            "metrics": self.metrics,  # split, metric, value
            "predictions": self.predictions,  # split, date, predicted, actual, last_known
        }

    def metric(self, split: str, name: str) -> float | None:
        """One metric value, or None when it was not computed (or the run failed)."""
        if self.metrics.empty:
            return None
        rows = self.metrics[(self.metrics["split"] == split) & (self.metrics["metric"] == name)]
        return None if rows.empty else float(rows["value"].iloc[0])


def fit_saved(
    job: FitJob, *, models_dir: Path, epochs: int, finetune_epochs: int, seed: int
) -> ModelOutcome:
    """:func:`fit_one` on the split saved at ``job.split_path`` (what a trainer gets)."""
    return fit_one(
        Split.load(job.split_path),
        job,
        models_dir=models_dir,
        epochs=epochs,
        finetune_epochs=finetune_epochs,
        seed=seed,
    )


def fit_one(
    split: Split,
    job: FitJob,
    *,
    models_dir: Path,
    epochs: int,
    finetune_epochs: int = 3,
    seed: int = 42,
) -> ModelOutcome:
    """Train (or fine-tune) one model, score it, forecast the next day with conformal intervals.

    A failure is returned as a failed outcome (with the error), not raised, so one broken
    model never hides the others' results.
    """
    kind, run_id = job.kind, str(uuid.uuid4())
    outcome = partial(
        ModelOutcome,
        model=kind,
        run_id=run_id,
        split_id=split.split_id,
        training=job.training,
        base_run_id=job.base_run_id,
        started_at=datetime.now(tz=UTC),
    )

    total = finetune_epochs if job.base_artifact else epochs

    def progress(epoch: int, logs: dict[str, float]) -> None:
        shown = " ".join(f"{k}={v:.5f}" for k, v in logs.items())
        fit = {"symbol": split.symbol, "model": kind, "training": job.training}
        log.info(
            "%s %s %s epoch %d/%d %s",
            split.symbol,
            kind,
            job.training,
            epoch + 1,
            total,
            shown,
            extra={"fit": {**fit, "epoch": epoch + 1, "epochs": total}},  # flows.progress
        )

    try:
        if job.trial_artifact:
            result = reuse_trial(
                split, Path(job.trial_artifact), run_id=run_id, models_dir=models_dir
            )
        elif job.base_artifact:
            result = finetune_model(
                split,
                Path(job.base_artifact),
                run_id=run_id,
                models_dir=models_dir,
                epochs=finetune_epochs,
                seed=seed,
                on_epoch=progress,
            )
        else:
            result = train_model(
                split,
                kind,
                run_id=run_id,
                models_dir=models_dir,
                epochs=epochs,
                seed=seed,
                hyperparameters=job.hyperparameters,
                on_epoch=progress,
            )
    except Exception as exc:  # reported per model; the caller decides what a failure means
        log.warning("%s %s failed: %s", split.symbol, kind, exc)
        return outcome(
            finished_at=datetime.now(tz=UTC),
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
        )
    return scored_outcome(result, split, outcome, job.recent_errors)


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


def champion_of(outcomes: list[ModelOutcome]) -> ModelOutcome | None:
    """The succeeded model with the lowest validation MAE (never test)."""
    scored = [
        (o.metric("validation", "mae"), o.model, o) for o in outcomes if o.status == "succeeded"
    ]
    ranked = sorted((s for s in scored if s[0] is not None), key=lambda s: (s[0], s[1]))
    return ranked[0][2] if ranked else None
