"""The replay's fits: a frozen model's days (between two retrains its weights stay as they
are, so a whole block of days is forecast in one batched predict, and each day's outcome is
built from its slice), every other fit in this process."""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.daily.plan import DayPlan, saved_scalers
from pipeline.daily.schedule import BaseRun
from pipeline.forecast.intervals import interval_bounds
from pipeline.forecast.next_day import next_quantiles
from pipeline.models.base import FINE_TUNE_RECENT, ForecastModel
from pipeline.models.registry import NEURAL_KINDS
from pipeline.splits.build import build_split
from pipeline.splits.split import Split
from pipeline.step_config import StepConfig
from pipeline.training.fit_one import fit_one
from pipeline.training.jobs import FitJob, ModelOutcome
from pipeline.training.train import keras_runtime, saved_model, score_parts


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


class ReplayFitter:
    """The replay's fitter (pipeline.daily.day.Fitter), in this process: under the ``frozen``
    policy a recurrent model's kept days come from one batched predict per block of ``days``
    (its next retrain, by the policy's rule, ends the block), every other fit is ``fit_one``.
    ``history(d)``: the bars a day ``d`` trains on."""

    def __init__(
        self,
        step: StepConfig,
        models_dir: Path,
        history: Callable[[date], pd.DataFrame],
        days: list[date],
    ) -> None:
        self.step, self.models_dir, self.history, self.days = step, models_dir, history, days
        self._ahead: dict[tuple[str, date], Frozen] = {}  # (artifact, day) -> its forecast
        self._models: dict[str, tuple[str, ForecastModel]] = {}  # kind -> (artifact, model)

    def __call__(self, plans: list[DayPlan]) -> list[list[ModelOutcome]]:
        return [[self._fit(plan, job) for job in plan.jobs] for plan in plans]

    def _fit(self, plan: DayPlan, job: FitJob) -> ModelOutcome:
        frozen = self.step.policy.mode == "frozen" and job.kind in NEURAL_KINDS
        if frozen and job.base_artifact is not None:
            return self._frozen(plan, job, plan.inputs.bases[job.kind])
        return fit_one(
            plan.split_of(job),
            job,
            models_dir=self.models_dir,
            epochs=self.step.full_epochs(),
            finetune_epochs=self.step.policy.step_epochs,
            seed=self.step.seed,
        )

    def _frozen(self, plan: DayPlan, job: FitJob, base: BaseRun) -> ModelOutcome:
        """``base``'s model, weights frozen, on the day's inputs scaled as it was trained."""
        key = (base.artifact_uri, plan.as_of)
        if key not in self._ahead:
            self._predict_ahead(plan, job, base)
        day = self._ahead.pop(key)
        plan.keep_split(job, day.split)
        model = self._model(job.kind, base.artifact_uri)
        return frozen_outcome(job.kind, base, model, day, job.recent_errors)

    def _predict_ahead(self, plan: DayPlan, job: FitJob, base: BaseRun) -> None:
        """Today and each later day that keeps ``base`` (the policy's rule on what is known
        today): its split (the base's scalers) and forecasts, from one batched predict."""
        info, errors = plan.inputs.info, plan.inputs.errors.get(job.kind, {})
        later = self.days[bisect_right(self.days, plan.as_of) :]
        kept = [plan.as_of, *self.step.policy.kept_days(info, job.kind, base, later, errors)]
        scalers = saved_scalers(base.artifact_uri)
        splits = [
            build_split(self.history(d), plan.config, symbol=info.symbol, scalers=scalers)
            for d in kept
        ]
        blocks = predict_block(self._model(job.kind, base.artifact_uri), splits)
        self._ahead.update({(base.artifact_uri, d): b for d, b in zip(kept, blocks, strict=True)})

    def _model(self, kind: str, artifact: str) -> ForecastModel:
        """The kind's current saved model (a retired one, and its unused days, dropped)."""
        held = self._models.get(kind)
        if held is None or held[0] != artifact:
            if held is not None:
                self._ahead = {k: v for k, v in self._ahead.items() if k[0] != held[0]}
            self._models[kind] = (artifact, saved_model(artifact))
        return self._models[kind][1]
