"""Flow ``daily``: ingest, split, train or fine-tune, forecast, score, report."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows.common import (
    load_settings,
    open_warehouse,
    resolve_symbols,
    warn_calendar_horizons,
)
from flows.day_result import DayResult, reused_result
from flows.day_step import run_day, run_days
from flows.events import emit_interval_breaches
from flows.ingest import MANY_SYMBOLS, ingest
from flows.reuse import day_inputs, earlier_run, nothing_new_at_source
from pipeline.data.calendars import is_trading_day, today_in
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.reporting import plots, reports
from pipeline.settings import Settings
from pipeline.settings import load_settings as load_plain_settings
from pipeline.step_config import StepConfig
from pipeline.step_options import DAY_OPTIONS, StepOptions, with_step_options
from warehouse import forecasts as wforecasts
from warehouse.bars import load_bars
from warehouse.connection import connect


@task(name="check-trading-day", task_run_name="check-trading-day-{info.symbol}")
def check_trading_day(info: SymbolInfo) -> str | None:
    """Why today's live run should skip (an exchange holiday or weekend), or None."""
    today = today_in(info)
    if is_trading_day(info, today):
        return None
    return (
        f"{today} is not a {info.calendar} trading day (weekend or exchange holiday): nothing to do"
    )


def skip_reason(info: SymbolInfo, as_of: date | None, source: str | None) -> str | None:
    """Why a live run (no ``as_of``, a real source) skips this symbol today, or None."""
    return None if as_of or source == "bundled" else check_trading_day.fn(info)


@task(name="alert-interval-breaches")
def alert_interval_breaches(settings: Settings, symbols: list[str], since: datetime) -> int:
    """A Prefect event per live forecast, scored by this run's ingest, outside its 95% interval."""
    with open_warehouse(settings, read_only=True) as con:
        rows = wforecasts.interval_breaches(con, symbols, since)
    emit_interval_breaches(rows.to_dict("records"))
    return len(rows)


@task(name="report-forecasts")
def report_forecasts(
    settings: Settings, symbols: list[str], target: str, reused: frozenset[str] = frozenset()
) -> reports.DailyReport:
    """Next-day forecasts beside naive, latest scores, a chart per symbol (a ``reused`` day
    keeps the one drawn when its forecasts were issued), a Prefect artifact."""
    with open_warehouse(settings, read_only=True) as con:
        report = build_report(con, settings, symbols, target, reused)
    create_markdown_artifact(
        key="next-day-forecasts", markdown=report.markdown(), description="nextbar daily"
    )
    return report


def build_report(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    symbols: list[str],
    target: str,
    reused: frozenset[str],
) -> reports.DailyReport:
    """The report of :func:`report_forecasts`, read through ``con``, without the artifact."""
    currencies = {i.symbol: i.currency for i in resolve_symbols(symbols, settings)}
    latest = wforecasts.latest_forecasts(con, symbols)
    board = wforecasts.leaderboard(con, symbols)
    scored = {s: wforecasts.scored_history(con, s) for s in symbols}
    bars = {s: load_bars(con, s) for s in symbols}
    champions = latest[latest["is_champion"]]
    fans = {
        symbol: wforecasts.forecast_quantiles(con, str(forecast_id))
        for symbol, forecast_id in zip(champions["symbol"], champions["forecast_id"], strict=True)
    }
    report = reports.daily_report(latest, scored, board, currencies)
    for symbol in symbols:
        champion = latest[(latest["symbol"] == symbol) & latest["is_champion"]]
        history = scored[symbol][scored[symbol]["is_champion"]]
        if not champion.empty:
            path = (
                settings.plots_dir
                / symbol
                / f"forecast-{champion['as_of_date'].iloc[0]:%Y-%m-%d}.png"
            )
            if symbol in reused and path.is_file():
                report.plots.append(str(path))
                continue
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
                        currency=currencies[symbol],
                    )
                )
            )
    return report


def reused_report(
    symbols: list[str] | None,
    as_of: date | None,
    source: str | None = None,
    warehouse: str | None = None,
    *,
    ask_source: bool = False,
    **step: object,
) -> reports.DailyReport | None:
    """The report of a re-run whose every day already ran on the same bars and settings (the
    live runs' ``day_runs``), read without starting Prefect (nothing needs to run); None when
    any day would fit, or skip (the flow decides then). With ``ask_source`` (a re-run that
    would ingest), each symbol's source must first have nothing new for it."""
    settings = load_plain_settings(warehouse=warehouse)
    infos = resolve_symbols(symbols, settings)
    if ask_source and len(infos) >= MANY_SYMBOLS:
        return None  # a watch list's ingest is batched: the flow fetches it once
    config = StepConfig.from_options(settings, StepOptions.of(step))
    source = source or settings.sources.default
    results = []
    with connect(settings.warehouse, read_only=True) as con:
        for info in infos:
            if skip_reason(info, as_of, source):
                return None  # the flow says why it skips
            asked = source or info.default_source
            if ask_source and not nothing_new_at_source(con, info, asked, settings):
                return None
            try:
                earlier = earlier_run(con, info, day_inputs(con, info, as_of, config))
            except InputError:
                return None  # the flow reports it
            if earlier is None:
                return None
            results.append(reused_result(info, earlier, asked if ask_source else None))
        symbols_done = [r.symbol for r in results]
        report = build_report(con, settings, symbols_done, config.target, frozenset(symbols_done))
    report.days = results
    return report


@flow(name="daily")
@with_step_options(*DAY_OPTIONS)
def daily(
    symbols: list[str] | None = None,
    source: str | None = None,
    as_of: date | None = None,
    skip_ingest: bool = False,
    warehouse: str | None = None,
    force: bool = False,
    **options: Any,
) -> reports.DailyReport:
    """Ingest, split, retrain or fine-tune, forecast the next trading day, score, report.

    With ``as_of`` the step runs as of that day (bars dated later are ignored); without it, as of
    the newest stored bar, and a symbol whose market is closed today is skipped. ``policy``:
    between full retrains, ``finetune`` each model daily or keep its weights ``frozen``. A day
    whose latest live run had the same bars and settings reuses that run's fits and forecasts
    (its result says so), unless ``force``.
    Parameters left None come from the settings (nextbar.toml, NEXTBAR_*), epochs and window
    from the preset.
    """
    settings = load_settings(warehouse)
    infos = resolve_symbols(symbols, settings)
    warn_calendar_horizons(infos)
    source = source or settings.sources.default
    step = StepConfig.from_options(settings, StepOptions.of(options))
    if not skip_ingest:
        since = datetime.now(tz=UTC)
        ingest(symbols=[i.symbol for i in infos], source=source, warehouse=str(settings.warehouse))
        alert_interval_breaches(settings, [i.symbol for i in infos], since)
    results = []
    runnable = []
    for info in infos:
        reason = skip_reason(info, as_of, source)
        if reason:
            get_run_logger().info("%s: %s", info.symbol, reason)
            results.append(DayResult(info.symbol, "skipped", reason))
        else:
            runnable.append(info)
    if len(runnable) >= settings.dask.min_symbols:
        results += run_days(settings, runnable, as_of, step, force)
    else:
        results += [run_day(settings, i, as_of, step, False, force) for i in runnable]
    report = report_forecasts(
        settings,
        [r.symbol for r in results if r.status in ("forecast", "reused")],
        step.target,
        frozenset(r.symbol for r in results if r.status == "reused"),
    )
    report.days = results
    return report
