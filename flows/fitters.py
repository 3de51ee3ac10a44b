"""Where a day's fits run, side by side: each is a pipeline.daily.day.Fitter that the one day
step (pipeline.daily.day.step_days) is given.

- ``local_fitter``: the ``fit-models`` flow, in this process or, with
  ``NEXTBAR_GPU_DEPLOYMENT``, on the gpu pool (flows.fit_models);
- ``dask_fitter``: a watch list's fits in chunks on Dask (flows.fanout), its global models
  across every symbol; the per-symbol fits on the gpu pool when a deployment is configured;
- ``replay_fitter``: the replay's, in this process, frozen days in batched predicts
  (pipeline.daily.frozen.ReplayFitter).

The first two save each job's split where another process can load it; none opens the
warehouse.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from flows.fanout import GlobalFit, fan_out
from flows.fit_models import dispatch_fit, on_gpu_pool, regrouped
from pipeline.daily.day import Fitter
from pipeline.daily.frozen import ReplayFitter
from pipeline.daily.plan import DayPlan
from pipeline.daily.replay import ReplayEngine
from pipeline.models.registry import GLOBAL_KINDS
from pipeline.settings import Settings
from pipeline.step_config import StepConfig
from pipeline.training.jobs import FitJob, ModelOutcome


def saved_jobs(settings: Settings, plan: DayPlan) -> list[FitJob]:
    """The plan's jobs, each split saved in ``settings.splits_dir`` at the job's split path."""
    jobs = []
    for job in plan.jobs:
        split = plan.split_of(job)
        path = split.save(settings.splits_dir / f"{split.split_id}.npz")
        jobs.append(dataclasses.replace(job, split_path=str(path)))
    return jobs


def local_fitter(settings: Settings, step: StepConfig) -> Fitter:
    """Every plan's fits in one ``fit-models`` run (here, or on the gpu pool)."""

    def fit(plans: list[DayPlan]) -> list[list[ModelOutcome]]:
        jobs = [saved_jobs(settings, plan) for plan in plans]
        flat = dispatch_fit([job for symbol_jobs in jobs for job in symbol_jobs], settings, step)
        return regrouped(flat, [len(symbol_jobs) for symbol_jobs in jobs])

    return fit


def dask_fitter(settings: Settings, step: StepConfig) -> Fitter:
    """Every plan's fits on Dask in chunks (or on the gpu pool), each global model once across
    all the plans; a symbol's global outcomes come last."""

    def fit(plans: list[DayPlan]) -> list[list[ModelOutcome]]:
        jobs = [saved_jobs(settings, plan) for plan in plans]
        global_fits = [
            GlobalFit(
                kind,
                [next(j for j in symbol_jobs if j.kind == kind) for symbol_jobs in jobs],
                step.hyperparameters_for(GLOBAL_KINDS[kind]),
            )
            for kind in GLOBAL_KINDS
            if kind in step.fitted_kinds()
        ]
        own = [[j for j in symbol_jobs if j.kind not in GLOBAL_KINDS] for symbol_jobs in jobs]
        per_symbol: list[list[ModelOutcome]] = []
        if on_gpu_pool():
            flat = dispatch_fit([j for symbol_jobs in own for j in symbol_jobs], settings, step)
            per_symbol, own = regrouped(flat, [len(symbol_jobs) for symbol_jobs in own]), []
        fitted, pooled = fan_out(
            own, settings, step.full_epochs(), step.seed, step.policy.step_epochs, global_fits
        )
        per_symbol = per_symbol or fitted
        for outcomes in pooled:
            for symbol_outcomes, outcome in zip(per_symbol, outcomes, strict=True):
                symbol_outcomes.append(outcome)
        return per_symbol

    return fit


def replay_fitter(settings: Settings, engine: ReplayEngine, days: list[date]) -> ReplayFitter:
    """The replay's fits of ``days``, in this process."""
    return engine.fitter(settings.models_dir, days)
