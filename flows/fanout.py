"""Fits and forecasts for many symbols on a Dask cluster: one Prefect task per chunk of symbols.

The flow's own process stays the warehouse's only writer: it saves each symbol's split, the
chunk tasks load the splits, fit, and return plain outcomes (they cannot open the warehouse),
and the flow records them. Without ``[dask] address`` a local cluster of ``workers`` processes
is started for the run; with one, the tasks go to that existing cluster (flows.fitters
decides what goes here and what to the gpu pool).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect_dask import DaskTaskRunner

from pipeline.settings import Settings
from pipeline.settings_sections import DaskConfig
from pipeline.step_options import DEFAULT_SEED, FINETUNE_EPOCHS
from pipeline.training.fit_one import fit_saved
from pipeline.training.global_fit import fit_global
from pipeline.training.jobs import FitJob, ModelOutcome
from warehouse.connection import forbid_warehouse


@dataclass(frozen=True)
class GlobalFit:
    """One global model to fit: its kind, one job per symbol (in symbol order), and its
    hyperparameters."""

    kind: str
    jobs: list[FitJob]
    hyperparameters: dict[str, Any] = field(default_factory=dict)


def task_runner(dask: DaskConfig) -> DaskTaskRunner:
    """The existing cluster at ``dask.address``, else a local cluster of ``dask.workers``."""
    if dask.address:
        return DaskTaskRunner(address=dask.address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": dask.workers,
            "threads_per_worker": 1,  # Keras uses the cores; one fit per worker process
            "processes": True,
            "dashboard_address": ":0",  # any free port: several clusters may share a host
        }
    )


def chunked(items: list[list[FitJob]], dask: DaskConfig) -> list[list[list[FitJob]]]:
    """At most ``chunk_size`` symbols per chunk, and at least one chunk per worker."""
    size = min(dask.chunk_size, max(1, math.ceil(len(items) / dask.workers)))
    return [items[i : i + size] for i in range(0, len(items), size)]


@task(name="fit-chunk", task_run_name="fit-chunk-{index}")
def fit_chunk(
    index: int,
    jobs: list[list[FitJob]],
    models_dir: str,
    epochs: int,
    finetune_epochs: int,
    seed: int,
) -> list[list[ModelOutcome]]:
    """Fit every symbol's jobs of one chunk; never opens the warehouse."""
    with forbid_warehouse(f"fit-chunk-{index}"):
        return [
            [
                fit_saved(
                    job,
                    models_dir=Path(models_dir),
                    epochs=epochs,
                    finetune_epochs=finetune_epochs,
                    seed=seed,
                )
                for job in symbol_jobs
            ]
            for symbol_jobs in jobs
        ]


@task(name="fit-global", task_run_name="fit-{kind}")
def fit_global_task(
    kind: str,
    jobs: list[FitJob],
    models_dir: str,
    epochs: int,
    seed: int,
    hyperparameters: dict[str, Any],
) -> list[ModelOutcome]:
    """One network across every symbol's split; one outcome per symbol. No warehouse."""
    with forbid_warehouse(f"fit-{kind}"):
        return fit_global(
            kind,
            jobs,
            models_dir=Path(models_dir),
            epochs=epochs,
            seed=seed,
            hyperparameters=hyperparameters,
        )


@flow(name="fit-chunks")
def fit_chunks(
    chunks: list[list[list[FitJob]]],
    models_dir: str,
    epochs: int,
    finetune_epochs: int = FINETUNE_EPOCHS,
    seed: int = DEFAULT_SEED,
    global_fits: list[GlobalFit] | None = None,
) -> tuple[list[list[ModelOutcome]], list[list[ModelOutcome]]]:
    """One task per chunk, and one per global model, on the flow's task runner: the outcomes
    per symbol, in order, and per global model one outcome per symbol."""
    futures = [
        fit_chunk.submit(i, chunk, models_dir, epochs, finetune_epochs, seed)
        for i, chunk in enumerate(chunks)
    ]
    pooled = [
        fit_global_task.submit(g.kind, g.jobs, models_dir, epochs, seed, g.hyperparameters)
        for g in global_fits or []
    ]
    return (
        [outcomes for future in futures for outcomes in future.result()],
        [future.result() for future in pooled],
    )


def fan_out(
    jobs: list[list[FitJob]],
    settings: Settings,
    epochs: int,
    seed: int,
    finetune_epochs: int = FINETUNE_EPOCHS,
    global_fits: list[GlobalFit] | None = None,
) -> tuple[list[list[ModelOutcome]], list[list[ModelOutcome]]]:
    """Fit each symbol's jobs (``jobs[i]``: symbol i's) in chunks, and each global model, on
    Dask (``[dask]``): the outcomes per symbol in the same order, and per global model one
    outcome per symbol."""
    chunks = chunked(jobs, settings.dask)
    if not chunks and not global_fits:
        return [], []
    runner = fit_chunks.with_options(task_runner=task_runner(settings.dask))  # type: ignore[arg-type]
    return runner(chunks, str(settings.models_dir), epochs, finetune_epochs, seed, global_fits)
