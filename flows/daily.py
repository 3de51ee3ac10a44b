"""Flow ``daily``: ingest, split, train or fine-tune, forecast, score, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows.common import (
    dispatch_fit,
    keep_split,
    load_settings,
    open_warehouse,
    record_champion_of,
    record_outcomes,
    resolve_symbols,
)
from flows.events import emit_interval_breaches
from flows.ingest import ingest
from pipeline.daily.combine import combine_top_k
from pipeline.daily.plan import BaseRun, DayPlan, forecast_rows, plan_day
from pipeline.daily.step import StepConfig
from pipeline.data.calendars import is_trading_day, today_in
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.forecast.intervals import HISTORY_WINDOW
from pipeline.reporting import plots, reports
from pipeline.settings import Settings
from pipeline.training.jobs import ModelOutcome, champion_of
from warehouse import forecasts as wforecasts
from warehouse.bars import load_bars
from warehouse.models import base_runs


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
    """Plan the day (pipeline.daily.plan.plan_day) on the final bars dated <= as_of, the
    models' earlier runs and their latest scored errors; keep the day's splits."""
    with open_warehouse(settings) as con:
        bars = step.recent(load_bars(con, info.symbol, until=as_of))
        fresh = step.day_split(info.symbol, bars)
        day = fresh.as_of_date
        bases = {
            row["model"]: BaseRun.from_row(row)
            for row in base_runs(con, info.symbol, day).to_dict("records")
        }
        errors = wforecasts.recent_errors(con, info.symbol, step.target, day, HISTORY_WINDOW)
        plan = plan_day(
            info, bars, fresh, step, bases=bases, errors=errors, splits_dir=settings.splits_dir
        )
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
        plan.jobs,
        settings,
        epochs=step.full_epochs(),
        seed=step.seed,
        finetune_epochs=step.policy.step_epochs,
    )
    if plan.ensemble_errors is not None:
        ensemble = combine_ensemble(plan, outcomes, step.ensemble_top_k(), step.ensemble_members())
        outcomes = [*outcomes, ensemble] if ensemble else outcomes
    return record_day(settings, info, plan.as_of, plan.last_known, outcomes, step, is_replay)


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
        champions = latest[latest["is_champion"]]
        fans = {
            symbol: wforecasts.forecast_quantiles(con, str(forecast_id))
            for symbol, forecast_id in zip(
                champions["symbol"], champions["forecast_id"], strict=True
            )
        }
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
                str(
                    plots.plot_forecasts(
                        bars[symbol],
                        history,
                        champion,
                        symbol,
                        target,
                        path,
                        quantiles=fans.get(symbol),
                    )
                )
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
    retrain_every: int | None = None,
    finetune_epochs: int | None = None,
    epochs: int | None = None,
    target: str | None = None,
    preset: str | None = None,
    window: int | None = None,
    history_bars: int | None = None,
    skip_ingest: bool = False,
    warehouse: str | None = None,
    policy: str = "finetune",
) -> reports.DailyReport:
    """Ingest, split, retrain or fine-tune, forecast the next trading day, score, report.

    With ``as_of`` the step runs as of that day (bars dated later are ignored); without it, as of
    the newest stored bar, and a symbol whose market is closed today is skipped. ``policy``:
    between full retrains, ``finetune`` each model daily or keep its weights ``frozen``.
    Parameters left None come from the settings (nextbar.toml, NEXTBAR_*), epochs and window
    from the preset.
    """
    settings = load_settings(warehouse)
    infos = resolve_symbols(symbols, settings)
    source = source or settings.sources.default
    step = StepConfig.from_parameters(settings, locals())
    if not skip_ingest:
        since = datetime.now(tz=UTC)
        ingest(symbols=[i.symbol for i in infos], source=source, warehouse=str(settings.warehouse))
        alert_interval_breaches(settings, [i.symbol for i in infos], since)
    results = []
    for info in infos:
        reason = None if as_of or source == "bundled" else check_trading_day(info)
        if reason:
            get_run_logger().info("%s: %s", info.symbol, reason)
            results.append(DayResult(info.symbol, "skipped", reason))
            continue
        results.append(run_day(settings, info, as_of, step, is_replay=False))
    report = report_forecasts(
        settings, [r.symbol for r in results if r.status == "forecast"], step.target
    )
    report.days = results
    return report
