"""Flows ``train`` (split, fit, record: the single writer) and ``fit-models`` (the GPU part)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.artifacts import create_table_artifact

from flows.common import keep_split, load_settings, open_warehouse, resolve_symbols
from flows.concurrency import gpu_slot
from pipeline.reporting import plots, reports
from pipeline.settings import Settings
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.split import Split
from pipeline.training.jobs import FitJob, ModelOutcome, champion_of, fit_one, resolve_kinds
from pipeline.training.presets import Preset, get_preset
from pipeline.training.search import Candidate, best_by_kind, chosen_trials, search_history
from warehouse.bars import load_bars
from warehouse.models import RunRecord, record_champion, record_run

GPU_DEPLOYMENT_ENV = "NEXTBAR_GPU_DEPLOYMENT"  # e.g. "fit-models/gpu": train on the gpu pool


@dataclass
class TrainReport:
    """What ``train`` did: the split, every model's outcome, the champion, the chart, and the
    configs tried on validation (empty without a search)."""

    symbol: str
    split_id: str
    outcomes: list[ModelOutcome]
    champion_run_id: str | None
    table: pd.DataFrame
    plot: str | None
    search: pd.DataFrame


@task(name="prepare-search", task_run_name="prepare-search-{symbol}")
def prepare_search(
    settings: Settings,
    symbol: str,
    base: SplitConfig,
    as_of: date | None,
    candidates: list[Candidate],
) -> list[str]:
    """One saved split per candidate config, built from the bars before the test range only
    (final bars dated <= as_of, less the last ``base.test_size``)."""
    with open_warehouse(settings) as con:
        history = search_history(load_bars(con, symbol, until=as_of), base)
        paths: dict[SplitConfig, str] = {}
        for config in dict.fromkeys(c.config for c in candidates):
            paths[config] = str(
                keep_split(con, settings, build_split(history, config, symbol=symbol))
            )
    return [paths[c.config] for c in candidates]


def search_configs(
    settings: Settings,
    symbol: str,
    config: SplitConfig,
    as_of: date | None,
    chosen: Preset,
    kinds: list[str],
    budget: int,
    epochs: int,
    seed: int,
) -> tuple[dict[str, Candidate], pd.DataFrame, dict[str, dict[str, Any]], dict[str, str]]:
    """Fit the preset's candidates on the training range, rank them on validation, record each
    trial as a ``search`` run; the best candidate per kind, the trials table, per kind how its
    config was chosen, and the chosen trials' models (the final fits reuse them)."""
    candidates = chosen.candidates(kinds, config, budget=budget, seed=seed)
    if not candidates:
        return {}, pd.DataFrame(), {}, {}
    paths = prepare_search(settings, symbol, config, as_of, candidates)
    jobs = [
        FitJob(
            c.kind,
            path,
            hyperparameters={**chosen.hyperparameters_for(c.kind), **c.hyperparameters},
        )
        for c, path in zip(candidates, paths, strict=True)
    ]
    trials = dispatch_fit(jobs, settings, epochs, seed)
    record_runs(settings, symbol, trials, "search", chosen.name, champion=False)
    best = best_by_kind(candidates, [t.metric("validation", "mae") for t in trials])
    notes = reports.selection_notes(candidates, trials, best)
    reuse = chosen_trials(candidates, trials, best)
    return best, reports.search_table(candidates, trials, best), notes, reuse


@task(name="prepare-split", task_run_name="prepare-split-{symbol}")
def prepare_split(settings: Settings, symbol: str, config: SplitConfig, as_of: date | None) -> str:
    """Build the split from stored final bars dated <= as_of, record it, save its arrays."""
    with open_warehouse(settings) as con:
        bars = load_bars(con, symbol, until=as_of)
        return str(keep_split(con, settings, build_split(bars, config, symbol=symbol, as_of=as_of)))


@task(name="fit-model", task_run_name="fit-{job.kind}-{job.training}")
def fit_model(
    job: FitJob, models_dir: str, epochs: int, finetune_epochs: int, seed: int
) -> ModelOutcome:
    """Train or fine-tune one model on its saved split and forecast the next day."""
    with gpu_slot():
        return fit_one(
            Split.load(job.split_path),
            job,
            models_dir=Path(models_dir),
            epochs=epochs,
            finetune_epochs=finetune_epochs,
            seed=seed,
        )


@flow(name="fit-models")
def fit_models(
    jobs: list[FitJob], models_dir: str, epochs: int = 50, finetune_epochs: int = 3, seed: int = 42
) -> list[ModelOutcome]:
    """Train models on saved splits. Never opens the warehouse: deployable to the gpu pool."""
    return [fit_model(job, models_dir, epochs, finetune_epochs, seed) for job in jobs]


def dispatch_fit(
    jobs: list[FitJob], settings: Settings, epochs: int, seed: int, finetune_epochs: int = 3
) -> list[ModelOutcome]:
    """Train on the gpu work pool when a deployment is configured, else in this process."""
    params: dict[str, Any] = {
        "jobs": jobs,
        "models_dir": str(settings.models_dir),
        "epochs": epochs,
        "finetune_epochs": finetune_epochs,
        "seed": seed,
    }
    deployment = os.environ.get(GPU_DEPLOYMENT_ENV)
    if not deployment:
        return fit_models(**params)
    from prefect.deployments import run_deployment

    run = run_deployment(deployment, parameters=params, timeout=None)
    return run.state.result()  # type: ignore[union-attr]


@task(name="record-runs", task_run_name="record-runs-{symbol}")
def record_runs(
    settings: Settings,
    symbol: str,
    outcomes: list[ModelOutcome],
    purpose: str,
    preset: str,
    *,
    champion: bool = True,
    selection: dict[str, dict[str, Any]] | None = None,
) -> str | None:
    """Store every run with metrics and predictions; record the champion (validation MAE)
    unless ``champion`` is False. ``selection`` adds, per model, how its config was chosen."""
    best = champion_of(outcomes) if champion else None
    with open_warehouse(settings) as con:
        for o in outcomes:
            record = run_record(symbol, o, purpose, preset)
            if selection and o.model in selection:
                record.hyperparameters["search"] = selection[o.model]
            record_run(con, record)
        if best is not None:
            record_champion(
                con,
                symbol=symbol,
                run_id=best.run_id,
                model=best.model,
                split_id=best.split_id,
                validation_mae=best.metric("validation", "mae") or 0.0,
                chosen_at=datetime.now(tz=UTC),
            )
    return best.run_id if best else None


def run_record(symbol: str, o: ModelOutcome, purpose: str, preset: str) -> RunRecord:
    return RunRecord(
        run_id=o.run_id,
        symbol=symbol,
        model=o.model,
        split_id=o.split_id,
        hyperparameters={**o.hyperparameters, "preset": preset},
        backend=o.backend,
        device=o.device,
        epochs_run=o.epochs_run,
        train_seconds=o.train_seconds,
        started_at=o.started_at,
        finished_at=o.finished_at,
        status=o.status,
        error=o.error,
        artifact_uri=o.artifact_uri,
        code_version=version("nextbar"),
        purpose=purpose,
        training=o.training,
        base_run_id=o.base_run_id,
        predictions=o.predictions,
        metrics=o.metrics,
    )


@task(name="plot-test-predictions")
def plot_test_predictions(
    settings: Settings, symbol: str, target: str, outcomes: list[ModelOutcome]
) -> str | None:
    """A PNG of the test range: every model, the actual prices and naive."""
    predictions = reports.test_predictions(outcomes)
    if predictions.empty:
        return None
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S")
    path = settings.plots_dir / symbol / f"train-{stamp}.png"
    return str(plots.plot_test_predictions(predictions, symbol, target, path))


@task(name="publish-train-report")
def publish_train_report(symbol: str, table: pd.DataFrame) -> None:
    """The model table (naive beside every model) as a table artifact."""
    create_table_artifact(
        key=f"train-{symbol.lower().replace('.', '-')}",
        table=[{str(k): v for k, v in row.items()} for row in table.astype(str).to_dict("records")],
        description=f"{symbol}: validation and test MAE per model beside the naive MAE",
    )


@flow(name="train")
def train(
    symbol: str,
    models: list[str] | None = None,
    as_of: date | None = None,
    target: str = "close",
    preset: str = "default",
    window: int | None = None,
    test_size: int = 300,
    validation_size: int = 120,
    features: list[str] | None = None,
    target_kind: str | None = None,
    epochs: int | None = None,
    seed: int = 42,
    search_budget: int | None = None,
    warehouse: str | None = None,
) -> TrainReport:
    """Rebuild the split from the warehouse, train the models, store runs, metrics, predictions.

    ``preset`` (``default``, the best found on validation, or ``seed``, the tutorials' setup)
    gives the window, features, target kind, epochs and hyperparameters; the other arguments
    override it when given. A preset with a search space (``default``) first tries its own
    config and ``search_budget`` draws (None: the preset's budget; 0: no search) per searchable
    kind on the training range, and each kind keeps the config with the lowest validation MAE;
    the test range is not seen until the final fits are scored.
    """
    settings = load_settings(warehouse)
    resolve_symbols([symbol])
    kinds = resolve_kinds(models or ["all"])
    chosen = get_preset(preset)
    config = chosen.split_config(target, test_size=test_size, validation_size=validation_size)
    overrides: dict[str, Any] = {
        "window": window,
        "target_kind": target_kind,
        "features": tuple(features) if features else None,
    }
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    if chosen.search is not None:  # what the user set is not searched
        chosen = replace(chosen, search=chosen.search.fixing(**overrides))
    most_epochs = epochs or chosen.epochs
    budget = chosen.search_budget if search_budget is None else search_budget
    paths = {config: prepare_split(settings, symbol, config, as_of)}  # checks the data first
    picked, trials, selection, reuse = search_configs(
        settings, symbol, config, as_of, chosen, kinds, budget, most_epochs, seed
    )
    final = {kind: chosen.settings_for(kind, config, picked.get(kind)) for kind in kinds}
    for kind_config, _ in final.values():
        if kind_config not in paths:
            paths[kind_config] = prepare_split(settings, symbol, kind_config, as_of)
    jobs = [
        FitJob(kind, paths[c], hyperparameters=hp, trial_artifact=reuse.get(kind))
        for kind, (c, hp) in final.items()
    ]
    outcomes = dispatch_fit(jobs, settings, most_epochs, seed)
    champion = record_runs(settings, symbol, outcomes, "train", preset, selection=selection)
    table = reports.train_table(outcomes, champion)
    plot = plot_test_predictions(settings, symbol, target, outcomes)
    publish_train_report(symbol, table)
    return TrainReport(symbol, Path(paths[config]).stem, outcomes, champion, table, plot, trials)
