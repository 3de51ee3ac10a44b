"""The daily step's decisions: retrain or fine-tune, which split each model gets, forecast rows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.daily.step import RetrainPolicy, StepConfig
from pipeline.data.calendars import next_trading_day, trading_days
from pipeline.data.symbols import SymbolInfo
from pipeline.models.base import META_FILE
from pipeline.models.registry import ENSEMBLE_KIND, NEURAL_KINDS
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.scaling import MinMaxParams
from pipeline.splits.split import Split
from pipeline.training.jobs import FitJob, ModelOutcome


@dataclass(frozen=True)
class BaseRun:
    """The newest earlier run of a model that a fine-tune may start from."""

    run_id: str
    artifact_uri: str
    last_full_as_of: date  # as-of date of the full retrain its lineage started from

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> BaseRun:
        """From a row of warehouse.models.base_runs."""
        return cls(row["run_id"], row["artifact_uri"], pd.Timestamp(row["last_full_as_of"]).date())


def wants_fine_tune(
    info: SymbolInfo, kind: str, base: BaseRun | None, as_of: date, policy: RetrainPolicy
) -> bool:
    """The policy alone: fine-tune a neural model whose lineage's last full retrain is fewer
    than ``retrain_every`` trading days before ``as_of`` (and not after it); else retrain."""
    if kind not in NEURAL_KINDS or base is None or policy.retrain_every <= 1:
        return False
    if base.last_full_as_of >= as_of:  # never start from a model that saw later bars
        return False
    since = len(trading_days(info, base.last_full_as_of, as_of)) - 1
    return since < policy.retrain_every


def saved_scalers(artifact_uri: str) -> tuple[MinMaxParams, MinMaxParams]:
    """The (feature, target) scalers a saved model was trained with, without loading it."""
    meta = json.loads(Path(artifact_uri, META_FILE).read_text())
    return MinMaxParams.from_dict(meta["scaler"]["features"]), MinMaxParams.from_dict(
        meta["scaler"]["target"]
    )


def saved_config(artifact_uri: str) -> SplitConfig:
    """The split config a saved model was trained with."""
    meta = json.loads(Path(artifact_uri, META_FILE).read_text())
    return SplitConfig.from_dict(meta["split_config"])


def same_inputs(a: SplitConfig, b: SplitConfig) -> bool:
    """Whether two configs give models the same inputs and target (sizes may differ)."""
    keys = ("window", "features", "target", "target_kind", "scaler")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def forecast_rows(
    info: SymbolInfo,
    outcomes: list[ModelOutcome],
    *,
    as_of: date,
    target: str,
    last_known: float,
    champion_run_id: str | None,
    is_replay: bool,
    issued_at: datetime,
) -> pd.DataFrame:
    """One forecast row per succeeded model for the next trading day after ``as_of``."""
    target_date = next_trading_day(info, as_of)
    rows: list[dict[str, Any]] = [
        {
            "symbol": info.symbol,
            "model": o.model,
            "run_id": o.run_id,
            "target": target,
            "as_of_date": as_of,
            "target_date": target_date,
            "issued_at": issued_at,
            "predicted": o.next_prediction,
            **o.intervals,
            "last_known": last_known,
            "is_champion": o.run_id == champion_run_id,
            "is_replay": is_replay,
            "scale": o.scale,
            "quantiles": o.quantiles,
        }
        for o in outcomes
        if o.status == "succeeded" and o.next_prediction is not None
    ]
    return pd.DataFrame(rows)


def plan_fits(
    info: SymbolInfo,
    kinds: list[str],
    bases: dict[str, BaseRun],
    config: SplitConfig,
    as_of: date,
    policy: RetrainPolicy,
) -> dict[str, BaseRun | None]:
    """Per model: the base run to fine-tune from, or None for a full retrain (also when the
    base's saved model is gone or was trained on other inputs than ``config``)."""
    plan: dict[str, BaseRun | None] = {}
    for kind in kinds:
        base = bases.get(kind)
        usable = (
            base is not None
            and wants_fine_tune(info, kind, base, as_of, policy)
            and Path(base.artifact_uri, META_FILE).is_file()
            and same_inputs(saved_config(base.artifact_uri), config)
        )
        plan[kind] = base if usable else None
    return plan


@dataclass
class DayPlan:
    """One symbol's day before fitting: what is known, what to fit, the splits to keep."""

    as_of: date
    last_known: float  # the as-of value of the target: the naive forecast
    jobs: list[FitJob]
    ensemble_errors: dict[str, float] | None  # the ensemble's recent errors; None: no ensemble
    splits: list[Split]  # to record and save at the jobs' split paths
    fingerprint: str = ""  # the day's inputs (pipeline.daily.reuse), for a same-day re-run

    def errors(self) -> dict[str, dict[str, float]]:
        """Each model's recent errors (the ensemble's too), to calibrate the day on."""
        out = {job.kind: job.recent_errors for job in self.jobs}
        if self.ensemble_errors is not None:
            out[ENSEMBLE_KIND] = self.ensemble_errors
        return out


def plan_day(
    info: SymbolInfo,
    bars: pd.DataFrame,
    fresh: Split,
    step: StepConfig,
    *,
    bases: dict[str, BaseRun],
    errors: Mapping[str, dict[str, float]],
    splits_dir: Path,
) -> DayPlan:
    """A retrain or fine-tune per model, each with its latest scored ``errors`` to calibrate its
    intervals on; the day's splits: ``fresh`` (``step.day_split``) for retrains, and for each
    fine-tune ``bars`` scaled as its base run was (``bases``: the newest earlier run per model).
    """
    config = step.split_config()
    plan = plan_fits(info, step.fitted_kinds(), bases, config, fresh.as_of_date, step.policy)
    splits = {fresh.split_id: fresh}
    jobs = []
    for kind, base in plan.items():
        split = fresh
        if base is not None:
            scalers = saved_scalers(base.artifact_uri)
            split = build_split(bars, config, symbol=info.symbol, scalers=scalers)
            splits.setdefault(split.split_id, split)
        jobs.append(
            FitJob(
                kind,
                str(splits_dir / f"{split.split_id}.npz"),
                base.run_id if base else None,
                base.artifact_uri if base else None,
                step.hyperparameters_for(kind),
                errors.get(kind, {}),
            )
        )
    ensemble_errors = errors.get(ENSEMBLE_KIND, {}) if step.wants_ensemble() else None
    kept = list(splits.values())
    return DayPlan(fresh.as_of_date, fresh.latest_known, jobs, ensemble_errors, kept)
