"""Flow ``daily``: ingest, split, train or fine-tune, forecast, score, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows.common import keep_split, load_settings, open_warehouse, resolve_symbols
from flows.events import emit_interval_breaches
from flows.fanout import GlobalFit, fan_out
from flows.ingest import ingest
from flows.train import dispatch_fit, run_record
from pipeline.config import load_config
from pipeline.daily.combine import combine_top_k
from pipeline.daily.plan import (
    BaseRun,
    StepConfig,
    forecast_rows,
    plan_fits,
    saved_scalers,
)
from pipeline.data.calendars import is_trading_day, today_in
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.forecast.intervals import CALIBRATION_WINDOW
from pipeline.models.registry import ENSEMBLE_KIND, GLOBAL_KINDS
from pipeline.reporting import plots, reports
from pipeline.settings import Settings
from pipeline.splits.build import build_split
from pipeline.training.jobs import FitJob, ModelOutcome, champion_of
from warehouse import forecasts as wforecasts
from warehouse.bars import load_bars
from warehouse.models import base_runs, record_champion, record_run


@dataclass
class DayResult:
    """One symbol's daily step."""

    symbol: str
    status: str  # forecast, skipped
    reason: str | None = None
    as_of: date | None = None
    champion: str | None = None
    new_forecasts: int = 0
    outcomes: list[ModelOutcome] = field(default_factory=list)


@dataclass
class DayPlan:
    """One symbol's day before fitting: what is known, and what to fit."""

    as_of: date
    last_known: float  # the as-of value of the target: the naive forecast
    jobs: list[FitJob]
    ensemble_errors: dict[str, float] | None  # the ensemble's recent errors; None: no ensemble


@task(name="check-trading-day", task_run_name="check-trading-day-{info.symbol}")
def check_trading_day(info: SymbolInfo) -> str | None:
    """Why today's live run should skip (an exchange holiday or weekend), or None."""
    today = today_in(info)
    if is_trading_day(info, today):
        return None
    return (
        f"{today} is not a {info.calendar} trading day (weekend or exchange holiday): nothing to do"
    )


@task(name="prepare-day", task_run_name="prepare-day-{info.symbol}-{as_of}")
def prepare_day(
    settings: Settings, info: SymbolInfo, as_of: date | None, step: StepConfig
) -> DayPlan:
    """Build the day's splits from final bars dated <= as_of; plan a retrain or fine-tune per
    model, each with its latest scored errors to calibrate its intervals on."""
    config = step.split_config()
    kinds = step.fitted_kinds()
    with open_warehouse(settings) as con:
        bars = load_bars(con, info.symbol, until=as_of)
        if step.history_bars:
            bars = bars.tail(step.history_bars)
        fresh = build_split(bars, config, symbol=info.symbol)
        day = fresh.as_of_date
        bases = {
            row["model"]: BaseRun(row["run_id"], row["artifact_uri"], row["last_full_as_of"].date())
            for row in base_runs(con, info.symbol, day).to_dict("records")
        }
        errors = wforecasts.recent_errors(con, info.symbol, step.target, day, CALIBRATION_WINDOW)
        plan = plan_fits(info, kinds, bases, config, day, step.policy)
        splits = {fresh.split_id: fresh}
        jobs = []
        for kind, base in plan.items():
            split = fresh
            if base is not None:
                split = build_split(
                    bars, config, symbol=info.symbol, scalers=saved_scalers(base.artifact_uri)
                )
                splits.setdefault(split.split_id, split)
            path = settings.splits_dir / f"{split.split_id}.npz"
            jobs.append(
                FitJob(
                    kind,
                    str(path),
                    base.run_id if base else None,
                    base.artifact_uri if base else None,
                    step.hyperparameters_for(kind),
                    errors.get(kind, {}),
                )
            )
        for split in splits.values():
            keep_split(con, settings, split)
    ensemble_errors = errors.get(ENSEMBLE_KIND, {}) if step.wants_ensemble() else None
    return DayPlan(day, fresh.latest_known, jobs, ensemble_errors)


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
) -> DayResult:
    """Store the runs, the champion (live runs only) and the forecasts, in one writer."""
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
    purpose = "replay" if is_replay else "daily"
    with open_warehouse(settings) as con:
        for o in outcomes:
            record_run(con, run_record(info.symbol, o, purpose, step.preset))
        if champion is not None and not is_replay:
            record_champion(
                con,
                symbol=info.symbol,
                run_id=champion.run_id,
                model=champion.model,
                split_id=champion.split_id,
                validation_mae=champion.metric("validation", "mae") or 0.0,
                chosen_at=now,
            )
        issued = wforecasts.issue_forecasts(con, rows)
    return DayResult(
        symbol=info.symbol,
        status="forecast",
        as_of=as_of,
        champion=champion.model if champion else None,
        new_forecasts=issued,
        outcomes=outcomes,
    )


def run_day(
    settings: Settings, info: SymbolInfo, as_of: date | None, step: StepConfig, is_replay: bool
) -> DayResult:
    """Split, train or fine-tune, forecast: one symbol, one day."""
    plan = prepare_day(settings, info, as_of, step)
    outcomes = dispatch_fit(
        plan.jobs, settings, step.full_epochs(), step.seed, step.policy.finetune_epochs
    )
    if plan.ensemble_errors is not None:
        ensemble = combine_ensemble(plan, outcomes, step.ensemble_top_k(), step.ensemble_members())
        outcomes = [*outcomes, ensemble] if ensemble else outcomes
    return record_day(settings, info, plan.as_of, plan.last_known, outcomes, step, is_replay)


@task(name="prepare-days")
def prepare_days(
    settings: Settings, infos: list[SymbolInfo], as_of: date | None, step: StepConfig
) -> list[DayPlan | str]:
    """Each symbol's day plan (splits saved for the workers), or why it cannot run."""
    plans: list[DayPlan | str] = []
    for info in infos:
        try:
            plans.append(prepare_day.fn(settings, info, as_of, step))
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
        results.append(
            record_day.fn(settings, info, plan.as_of, plan.last_known, outcomes, step, is_replay)
        )
    return results


def run_days(
    settings: Settings, infos: list[SymbolInfo], as_of: date | None, step: StepConfig
) -> list[DayResult]:
    """The daily step of many symbols: plans and records here, fits on Dask in chunks."""
    plans = prepare_days(settings, infos, as_of, step)
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
    fitted = fan_out(
        [[j for j in p.jobs if j.kind not in GLOBAL_KINDS] for _, p in ready],
        settings,
        load_config().dask,
        step.full_epochs(),
        step.seed,
        step.policy.finetune_epochs,
        global_fits,
    )
    days = [(i, p, o) for (i, p), o in zip(ready, fitted, strict=True)]
    skipped = [
        DayResult(i.symbol, "skipped", p)
        for i, p in zip(infos, plans, strict=True)
        if isinstance(p, str)
    ]
    return [*record_days(settings, days, step, is_replay=False), *skipped]


@task(name="alert-interval-breaches")
def alert_interval_breaches(settings: Settings, symbols: list[str], since: datetime) -> int:
    """A Prefect event per live forecast, scored by this run's ingest, outside its 95% interval."""
    with open_warehouse(settings, read_only=True) as con:
        rows = wforecasts.interval_breaches(con, symbols, since)
    emit_interval_breaches(rows.to_dict("records"))
    return len(rows)


@task(name="report-forecasts")
def report_forecasts(settings: Settings, symbols: list[str], target: str) -> reports.DailyReport:
    """Next-day forecasts beside naive, latest scores, a chart per symbol, a Prefect artifact."""
    with open_warehouse(settings, read_only=True) as con:
        latest = wforecasts.latest_forecasts(con, symbols)
        scored = {s: wforecasts.scored_history(con, s) for s in symbols}
        bars = {s: load_bars(con, s) for s in symbols}
    report = reports.daily_report(latest, scored)
    for symbol in symbols:
        champion = latest[(latest["symbol"] == symbol) & latest["is_champion"]]
        history = scored[symbol][scored[symbol]["is_champion"]]
        if not champion.empty:
            path = (
                settings.plots_dir
                / symbol
                / f"forecast-{champion['as_of_date'].iloc[0]:%Y-%m-%d}.png"
            )
            report.plots.append(
                str(plots.plot_forecasts(bars[symbol], history, champion, symbol, target, path))
            )
    create_markdown_artifact(
        key="next-day-forecasts", markdown=report.markdown(), description="nextbar daily"
    )
    return report


@flow(name="daily")
def daily(
    symbols: list[str] | None = None,
    source: str | None = None,
    as_of: date | None = None,
    models: list[str] | None = None,
    retrain_every: int = 5,
    finetune_epochs: int = 3,
    epochs: int | None = None,
    target: str = "close",
    preset: str = "default",
    window: int | None = None,
    history_bars: int | None = None,
    skip_ingest: bool = False,
    warehouse: str | None = None,
) -> reports.DailyReport:
    """Ingest, split, retrain or fine-tune, forecast the next trading day, score, report.

    With ``as_of`` the step runs as of that day (bars dated later are ignored); without it, as of
    the newest stored bar, and a symbol whose market is closed today is skipped.
    """
    settings = load_settings(warehouse)
    infos = resolve_symbols(symbols)
    step = StepConfig.build(
        models, target, preset, window, history_bars, epochs, retrain_every, finetune_epochs
    )
    if not skip_ingest:
        since = datetime.now(tz=UTC)
        ingest(symbols=[i.symbol for i in infos], source=source, warehouse=str(settings.warehouse))
        alert_interval_breaches(settings, [i.symbol for i in infos], since)
    results = []
    runnable = []
    for info in infos:
        reason = None if as_of or source == "bundled" else check_trading_day.fn(info)
        if reason:
            get_run_logger().info("%s: %s", info.symbol, reason)
            results.append(DayResult(info.symbol, "skipped", reason))
        else:
            runnable.append(info)
    if len(runnable) >= load_config().dask.min_symbols:
        results += run_days(settings, runnable, as_of, step)
    else:
        results += [run_day(settings, i, as_of, step, is_replay=False) for i in runnable]
    report = report_forecasts(
        settings, [r.symbol for r in results if r.status == "forecast"], target
    )
    report.days = results
    return report
