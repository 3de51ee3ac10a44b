"""What a fit is asked (``FitJob``) and what it returns (``ModelOutcome``): plain data that
crosses processes and machines (the fit itself: :mod:`pipeline.training.fit_one`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version
from typing import Any

import pandas as pd


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
