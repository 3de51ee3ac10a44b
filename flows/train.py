"""Flow ``train`` (split, fit, record: the single writer). Its fit runs in ``fit-models``
(flows.fit_models), deployable on the gpu pool; ``fit_models`` is exported here as that
deployment's entrypoint (``flows.train.fit_models``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.artifacts import create_table_artifact

from flows.common import (
    keep_split,
    load_settings,
    open_warehouse,
    record_champion_of,
    record_outcomes,
    resolve_symbols,
)
from flows.fit_models import dispatch_fit, fit_models
from pipeline.choices import resolve_kinds
from pipeline.reporting import plots, reports
from pipeline.settings import Settings
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig, TargetKind
from pipeline.step_config import StepConfig
from pipeline.step_options import TRAIN_OPTIONS, StepOptions, with_step_options
from pipeline.training.jobs import FitJob, ModelOutcome
from pipeline.training.presets import Preset
from pipeline.training.search import Candidate, best_by_kind, chosen_trials, search_history
from warehouse.bars import load_bars

__all__ = ["TrainReport", "fit_models", "train"]


@dataclass
class TrainReport:
    """What ``train`` did: the split, every model's outcome, the champion, the chart, and the
    configs tried on validation (empty without a search)."""

    symbol: str
    target: str
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
    step: StepConfig,
) -> tuple[dict[str, Candidate], pd.DataFrame, dict[str, dict[str, Any]], dict[str, str]]:
    """Fit the preset's candidates on the training range, rank them on validation, record each
    trial as a ``search`` run; the best candidate per kind, the trials table, per kind how its
    config was chosen, and the chosen trials' models (the final fits reuse them)."""
    candidates = chosen.candidates(kinds, config, budget=budget, seed=step.seed)
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
    trials = dispatch_fit(jobs, settings, step)
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
    with open_warehouse(settings) as con:
        record_outcomes(con, symbol, outcomes, purpose=purpose, preset=preset, selection=selection)
        best = record_champion_of(con, symbol, outcomes) if champion else None
    return best.run_id if best else None


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
    currency = resolve_symbols([symbol], settings)[0].currency
    return str(plots.plot_test_predictions(predictions, symbol, target, path, currency=currency))


@task(name="publish-train-report")
def publish_train_report(symbol: str, table: pd.DataFrame) -> None:
    """The model table (naive beside every model) as a table artifact."""
    create_table_artifact(
        key=f"train-{symbol.lower().replace('.', '-')}",
        table=[{str(k): v for k, v in row.items()} for row in table.astype(str).to_dict("records")],
        description=f"{symbol}: validation and test MAE per model beside the naive MAE",
    )


@flow(name="train")
@with_step_options(*TRAIN_OPTIONS)
def train(
    symbol: str,
    as_of: date | None = None,
    features: list[str] | None = None,
    target_kind: TargetKind | None = None,
    search_budget: int | None = None,
    warehouse: str | None = None,
    **options: Any,
) -> TrainReport:
    """Rebuild the split from the warehouse, train the models, store runs, metrics, predictions.

    ``models`` default to all kinds; the other parameters, when None, come from the settings
    (nextbar.toml, NEXTBAR_*), and the window, features, target kind, epochs and
    hyperparameters from the preset (``default``, the best found on validation, or ``seed``,
    the tutorials' setup). A preset with a search space (``default``) first tries its own
    config and ``search_budget`` draws (None: the preset's budget; 0: no search) per searchable
    kind on the training range, and each kind keeps the config with the lowest validation MAE;
    what the user set is not searched; the test range is not seen until the final fits.
    """
    settings = load_settings(warehouse)
    resolve_symbols([symbol], settings)
    kinds = resolve_kinds(options.get("models") or ["all"])
    step = StepConfig.from_options(settings, StepOptions.of(options))
    chosen, config = step.chosen_preset().overriding(
        step.split_config(test_size=step.test_size),
        window=step.window,
        features=tuple(features) if features else None,
        target_kind=target_kind,
    )
    budget = chosen.search_budget if search_budget is None else search_budget
    paths = {config: prepare_split(settings, symbol, config, as_of)}  # checks the data first
    picked, trials, selection, reuse = search_configs(
        settings, symbol, config, as_of, chosen, kinds, budget, step
    )
    final = {kind: chosen.settings_for(kind, config, picked.get(kind)) for kind in kinds}
    for kind_config, _ in final.values():
        if kind_config not in paths:
            paths[kind_config] = prepare_split(settings, symbol, kind_config, as_of)
    jobs = [
        FitJob(kind, paths[c], hyperparameters=hp, trial_artifact=reuse.get(kind))
        for kind, (c, hp) in final.items()
    ]
    outcomes = dispatch_fit(jobs, settings, step)
    champion = record_runs(settings, symbol, outcomes, "train", chosen.name, selection=selection)
    table = reports.train_table(outcomes, champion)
    plot = plot_test_predictions(settings, symbol, step.target, outcomes)
    publish_train_report(symbol, table)
    split_id = Path(paths[config]).stem
    return TrainReport(symbol, step.target, split_id, outcomes, champion, table, plot, trials)
