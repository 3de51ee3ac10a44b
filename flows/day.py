"""One symbol's day of the daily step, as Prefect tasks: plan, fit (here, on the gpu pool or
on Dask for many symbols), combine the ensemble, record; ``daily`` and ``replay`` run it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pandas as pd
from prefect import get_run_logger, task

from flows.common import (
    dispatch_fit,
    keep_split,
    open_warehouse,
    record_champion_of,
    record_outcomes,
)
from flows.day_result import DayResult, reused_result
from flows.fanout import GlobalFit, fan_out
from flows.output import quiet_backend
from flows.reuse import ReusedDay, day_inputs, earlier_run
from pipeline.daily.combine import combine_top_k
from pipeline.daily.plan import DayPlan, forecast_rows, plan_day
from pipeline.daily.step import StepConfig
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.evaluation.champion import champion_of
from pipeline.forecast.scaled import calibrate_day
from pipeline.models.registry import GLOBAL_KINDS
from pipeline.settings import Settings
from pipeline.training.jobs import ModelOutcome
from warehouse import forecasts as wforecasts
from warehouse.bars import load_bars_of
from warehouse.day_runs import record_day_run


@task(name="prepare-day", task_run_name="prepare-day-{info.symbol}-{as_of}")
def prepare_day(
    settings: Settings,
    info: SymbolInfo,
    as_of: date | None,
    step: StepConfig,
    force: bool = False,
) -> DayPlan | ReusedDay:
    """Plan the day (pipeline.daily.plan.plan_day) on the final bars dated <= as_of, the
    models' earlier runs and their latest scored errors; keep the day's splits. A day whose
    newest live run had the same inputs (``day_fingerprint``) is reused instead, unless
    ``force``."""
    with open_warehouse(settings) as con:
        return _prepare(con, settings, info, as_of, step, force)


def _prepare(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    info: SymbolInfo,
    as_of: date | None,
    step: StepConfig,
    force: bool,
    stored: pd.DataFrame | None = None,
) -> DayPlan | ReusedDay:
    """:func:`prepare_day` on an open warehouse (``stored``: the symbol's bars dated <= as_of,
    when already read)."""
    inputs = day_inputs(con, info, as_of, step, stored)
    earlier = None if force else earlier_run(con, info, inputs)
    if earlier is not None:
        return earlier
    plan = plan_day(
        info,
        inputs.bars,
        inputs.fresh,
        step,
        bases=inputs.bases,
        errors=inputs.errors,
        splits_dir=settings.splits_dir,
    )
    plan.fingerprint = inputs.fingerprint
    for split in plan.splits:
        keep_split(con, settings, split)
    return plan


@task(name="combine-ensemble")
def combine_ensemble(
    plan: DayPlan, outcomes: list[ModelOutcome], top_k: int, members: list[str]
) -> ModelOutcome | None:
    """The mean of the day's ``top_k`` best ``members`` by validation MAE (None: too few)."""
    try:
        return combine_top_k(
            outcomes,
            last_known=plan.last_known,
            top_k=top_k,
            members=members,
            recent_errors=plan.ensemble_errors,
        )
    except InputError as exc:
        get_run_logger().warning("no ensemble on %s: %s", plan.as_of, exc)
        return None


@task(name="record-day", task_run_name="record-day-{info.symbol}-{as_of}")
def record_day(
    settings: Settings,
    info: SymbolInfo,
    as_of: date,
    last_known: float,
    outcomes: list[ModelOutcome],
    step: StepConfig,
    is_replay: bool,
    fingerprint: str = "",
) -> DayResult:
    """Store the runs, the champion (live runs only) and the forecasts, in one writer; a live
    day with its inputs' ``fingerprint`` is recorded for a same-day re-run to reuse."""
    champion = champion_of(outcomes)
    now = datetime.now(tz=UTC)
    rows = forecast_rows(
        info,
        outcomes,
        as_of=as_of,
        target=step.target,
        last_known=last_known,
        champion_run_id=champion.run_id if champion else None,
        is_replay=is_replay,
        issued_at=now,
    )
    with open_warehouse(settings) as con:
        record_outcomes(
            con,
            info.symbol,
            outcomes,
            purpose="replay" if is_replay else "daily",
            preset=step.preset,
        )
        if not is_replay:
            record_champion_of(con, info.symbol, outcomes)
        issued = wforecasts.issue_forecasts(con, rows)
        if fingerprint and not is_replay:
            record_day_run(
                con,
                info.symbol,
                as_of,
                fingerprint,
                champion.model if champion else None,
                [str(r) for r in rows["run_id"]] if not rows.empty else [],
                len(rows),
                now,
            )
    return DayResult(
        symbol=info.symbol,
        status="forecast",
        as_of=as_of,
        champion=champion.model if champion else None,
        new_forecasts=issued,
        outcomes=outcomes,
    )


def run_day(
    settings: Settings,
    info: SymbolInfo,
    as_of: date | None,
    step: StepConfig,
    is_replay: bool,
    force: bool = False,
) -> DayResult:
    """Split, train or fine-tune, forecast: one symbol, one day (a live day already run on the
    same inputs is reused, unless ``force``)."""
    plan = prepare_day(settings, info, as_of, step, force=force or is_replay)
    if isinstance(plan, ReusedDay):
        return reused_result(info, plan)
    quiet_backend()  # only now: a reused day never loads the backend
    outcomes = dispatch_fit(
        plan.jobs,
        settings,
        epochs=step.full_epochs(),
        seed=step.seed,
        finetune_epochs=step.policy.step_epochs,
    )
    if plan.ensemble_errors is not None:
        ensemble = combine_ensemble(plan, outcomes, step.ensemble_top_k(), step.ensemble_members())
        outcomes = [*outcomes, ensemble] if ensemble else outcomes
    outcomes = calibrate_day(outcomes, plan.errors(), plan.last_known, step.calibration)
    return record_day(
        settings, info, plan.as_of, plan.last_known, outcomes, step, is_replay, plan.fingerprint
    )


@task(name="prepare-days")
def prepare_days(
    settings: Settings,
    infos: list[SymbolInfo],
    as_of: date | None,
    step: StepConfig,
    force: bool = False,
) -> list[DayPlan | ReusedDay | str]:
    """Each symbol's day plan (splits saved for the workers), its reused day, or why it
    cannot run; one warehouse opening for them all."""
    plans: list[DayPlan | ReusedDay | str] = []
    with open_warehouse(settings) as con:
        stored = load_bars_of(con, [i.symbol for i in infos], until=as_of)
        for info in infos:
            try:
                plans.append(_prepare(con, settings, info, as_of, step, force, stored[info.symbol]))
            except InputError as exc:
                plans.append(str(exc))
    return plans


@task(name="record-days")
def record_days(
    settings: Settings,
    days: list[tuple[SymbolInfo, DayPlan, list[ModelOutcome]]],
    step: StepConfig,
    is_replay: bool,
) -> list[DayResult]:
    """The ensembles, then every symbol's runs and forecasts: the one writer."""
    results = []
    for info, plan, outcomes in days:
        if plan.ensemble_errors is not None:
            ensemble = combine_ensemble.fn(
                plan, outcomes, step.ensemble_top_k(), step.ensemble_members()
            )
            outcomes = [*outcomes, ensemble] if ensemble else outcomes
        outcomes = calibrate_day(outcomes, plan.errors(), plan.last_known, step.calibration)
        results.append(
            record_day.fn(
                settings,
                info,
                plan.as_of,
                plan.last_known,
                outcomes,
                step,
                is_replay,
                plan.fingerprint,
            )
        )
    return results


def run_days(
    settings: Settings,
    infos: list[SymbolInfo],
    as_of: date | None,
    step: StepConfig,
    force: bool = False,
) -> list[DayResult]:
    """The daily step of many symbols: plans and records here, fits on Dask in chunks (days
    already run on the same inputs are reused, unless ``force``)."""
    plans = prepare_days(settings, infos, as_of, step, force)
    ready = [(i, p) for i, p in zip(infos, plans, strict=True) if isinstance(p, DayPlan)]
    global_fits = [
        GlobalFit(
            kind,
            [next(j for j in p.jobs if j.kind == kind) for _, p in ready],
            step.hyperparameters_for(GLOBAL_KINDS[kind]),
        )
        for kind in GLOBAL_KINDS
        if ready and kind in step.fitted_kinds()
    ]
    if ready:
        quiet_backend()
    fitted = fan_out(
        [[j for j in p.jobs if j.kind not in GLOBAL_KINDS] for _, p in ready],
        settings,
        settings.dask,
        step.full_epochs(),
        step.seed,
        step.policy.step_epochs,
        global_fits,
    )
    days = [(i, p, o) for (i, p), o in zip(ready, fitted, strict=True)]
    skipped = [
        DayResult(i.symbol, "skipped", p)
        for i, p in zip(infos, plans, strict=True)
        if isinstance(p, str)
    ]
    reused = [
        reused_result(i, p) for i, p in zip(infos, plans, strict=True) if isinstance(p, ReusedDay)
    ]
    return [*record_days(settings, days, step, is_replay=False), *reused, *skipped]
