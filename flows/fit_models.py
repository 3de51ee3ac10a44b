"""Flow ``fit-models``: fits on saved splits, here or on the gpu work pool's deployment.

It never opens the warehouse, so it can run in another process or on another machine
(``NEXTBAR_GPU_DEPLOYMENT``, e.g. ``fit-models/gpu``); flows.fitters decides when it runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect import flow, task

from flows.concurrency import gpu_slot
from pipeline.settings import Settings
from pipeline.step_config import StepConfig
from pipeline.training.fit_one import fit_saved
from pipeline.training.jobs import FitJob, ModelOutcome

GPU_DEPLOYMENT_ENV = "NEXTBAR_GPU_DEPLOYMENT"  # e.g. "fit-models/gpu": train on the gpu pool


@task(name="fit-model", task_run_name="fit-{job.kind}-{job.training}")
def fit_model(
    job: FitJob, models_dir: str, epochs: int, finetune_epochs: int, seed: int
) -> ModelOutcome:
    """Train or fine-tune one model on its saved split and forecast the next day."""
    with gpu_slot():
        return fit_saved(
            job,
            models_dir=Path(models_dir),
            epochs=epochs,
            finetune_epochs=finetune_epochs,
            seed=seed,
        )


@flow(name="fit-models")
def fit_models(
    jobs: list[FitJob], models_dir: str, epochs: int, finetune_epochs: int, seed: int
) -> list[ModelOutcome]:
    """Train models on saved splits. Never opens the warehouse: deployable to the gpu pool."""
    return [fit_model(job, models_dir, epochs, finetune_epochs, seed) for job in jobs]


def on_gpu_pool() -> bool:
    """Whether fits go to the gpu pool's deployment."""
    return bool(os.environ.get(GPU_DEPLOYMENT_ENV))


def dispatch_fit(jobs: list[FitJob], settings: Settings, step: StepConfig) -> list[ModelOutcome]:
    """Train ``jobs`` with the step's epochs and seed: on the gpu work pool when a deployment
    is configured, else in this process."""
    params: dict[str, Any] = {
        "jobs": jobs,
        "models_dir": str(settings.models_dir),
        "epochs": step.full_epochs(),
        "finetune_epochs": step.policy.step_epochs,
        "seed": step.seed,
    }
    if not on_gpu_pool():
        return fit_models(**params)
    from prefect.deployments import run_deployment

    run = run_deployment(os.environ[GPU_DEPLOYMENT_ENV], parameters=params, timeout=None)
    return run.state.result()  # type: ignore[union-attr]


def regrouped(flat: list[ModelOutcome], sizes: list[int]) -> list[list[ModelOutcome]]:
    """``flat`` cut into consecutive groups of ``sizes``."""
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return [flat[start : start + n] for start, n in zip(starts, sizes, strict=True)]
