"""The day's decisions before fitting: retrain or fine-tune each model, and on which split."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.daily.inputs import DayInputs
from pipeline.daily.schedule import BaseRun, RetrainPolicy
from pipeline.data.symbols import SymbolInfo
from pipeline.models.base import META_FILE
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.scaling import MinMaxParams
from pipeline.splits.split import Split
from pipeline.step_config import StepConfig
from pipeline.training.jobs import FitJob


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


def plan_fits(
    info: SymbolInfo,
    kinds: list[str],
    bases: dict[str, BaseRun],
    errors: dict[str, dict[str, float]],
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
            and policy.fine_tunes(info, kind, base, as_of, errors.get(kind, {}))
            and Path(base.artifact_uri, META_FILE).is_file()
            and same_inputs(saved_config(base.artifact_uri), config)
        )
        plan[kind] = base if usable else None
    return plan


@dataclass
class DayPlan:
    """One symbol's day before fitting: its inputs and one job per model, in the plan's order
    (a job's ``split_path`` is set by a fitter that saves the split for another process)."""

    inputs: DayInputs
    jobs: list[FitJob]
    config: SplitConfig
    _splits: dict[str, Split] = field(default_factory=dict)  # per kind, once built

    @property
    def as_of(self) -> date:
        """The day's as-of date."""
        return self.inputs.fresh.as_of_date

    @property
    def last_known(self) -> float:
        """The as-of value of the target: the naive forecast."""
        return self.inputs.fresh.latest_known

    def split_of(self, job: FitJob) -> Split:
        """The job's split: the day's fresh one for a retrain, for a fine-tune the day's bars
        scaled as its base run was (built when first asked)."""
        if job.base_artifact is None:
            return self.inputs.fresh
        if job.kind not in self._splits:
            scalers = saved_scalers(job.base_artifact)
            self._splits[job.kind] = build_split(
                self.inputs.bars, self.config, symbol=self.inputs.info.symbol, scalers=scalers
            )
        return self._splits[job.kind]

    def keep_split(self, job: FitJob, split: Split) -> None:
        """A fitter built ``job``'s split itself (the same one :meth:`split_of` would build)."""
        self._splits[job.kind] = split

    def used_splits(self) -> list[Split]:
        """The day's splits that its runs name, to record (the fresh one always)."""
        splits = {self.inputs.fresh.split_id: self.inputs.fresh}
        for split in self._splits.values():
            splits.setdefault(split.split_id, split)
        return list(splits.values())


def plan_day(inputs: DayInputs, step: StepConfig) -> DayPlan:
    """A retrain or fine-tune per fitted model, each with its latest scored errors to calibrate
    its intervals on."""
    config = step.split_config()
    kinds = step.fitted_kinds()
    plan = plan_fits(
        inputs.info,
        kinds,
        inputs.bases,
        inputs.errors,
        config,
        inputs.fresh.as_of_date,
        step.policy,
    )
    jobs = [
        FitJob(
            kind,
            "",
            base.run_id if base else None,
            base.artifact_uri if base else None,
            step.hyperparameters_for(kind),
            inputs.errors.get(kind, {}),
        )
        for kind, base in plan.items()
    ]
    return DayPlan(inputs, jobs, config)
