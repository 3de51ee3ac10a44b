"""Flow ``replay``: the daily step walked forward over past trading days, a few tasks per block."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.common import load_settings, open_warehouse, resolve_symbols, warn_calendar_horizons
from flows.day_result import DayResult
from flows.day_step import log_notes, run_day
from flows.fitters import replay_fitter
from flows.record_days import record_days
from flows.reuse import read_bases
from pipeline.daily.day import DayOutcome, Fitter
from pipeline.daily.realized import Realized
from pipeline.daily.replay import ReplayEngine
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.settings import Settings
from pipeline.step_config import StepConfig
from pipeline.step_options import DAY_OPTIONS, StepOptions, with_step_options
from warehouse import forecasts as wforecasts
from warehouse.bars import load_bars

progress_log = logging.getLogger("nextbar.replay")  # one record per day: the CLI's progress bar


def replay_days(settings: Settings, symbol: str, start: date, end: date) -> list[date]:
    """The stored trading days of ``symbol`` in [start, end]; InputError when there are none."""
    if start > end:
        raise InputError(f"start {start} is after end {end}: give a range with start <= end")
    with open_warehouse(settings, read_only=True) as con:
        days = [d.date() for d in load_bars(con, symbol)["date"] if start <= d.date() <= end]
    if not days:
        raise InputError(
            f"{symbol} has no stored bars between {start} and {end}: ingest them first"
        )
    return days


@task(name="load-replay", task_run_name="load-replay-{info.symbol}", cache_policy=NO_CACHE)
def load_replay(
    settings: Settings,
    info: SymbolInfo,
    days: list[date],
    step: StepConfig,
) -> ReplayEngine:
    """Read once what replaying ``days`` needs: the final bars, each model's run before the
    first and the stored forecasts' scored errors."""
    with open_warehouse(settings, read_only=True) as con:
        bars = load_bars(con, info.symbol)
        bases = read_bases(con, info.symbol, days[0])
        flat = step.calibration.flat_kinds
        stored = wforecasts.day_errors(con, info.symbol, step.target, days[-1], flat)
    return ReplayEngine(info, bars, step, bases, Realized(stored, step.calibration.history))


@task(name="replay-block", task_run_name="replay-block-{days[0]}", cache_policy=NO_CACHE)
def replay_block(
    engine: ReplayEngine, days: list[date], fitter: Fitter, done: int, total: int
) -> list[DayOutcome]:
    """Replay consecutive days; each reports progress (days done, running MAE beside naive)."""

    counter = iter(range(done + 1, done + len(days) + 1))

    def report(day: DayOutcome) -> None:
        scored, mae, naive_mae = engine.running_mae()
        n = next(counter)
        progress = {"done": n, "total": total, "scored": scored, "mae": mae, "naive_mae": naive_mae}
        progress_log.info(
            "%s replayed %s (%d/%d)",
            engine.info.symbol,
            day.as_of,
            n,
            total,
            extra={"replay": {**progress, "symbol": engine.info.symbol, "day": day.as_of}},
        )

    return engine.run(days, fitter, on_day=report)


@flow(name="replay")
@with_step_options(*DAY_OPTIONS)
def replay(
    symbol: str,
    start: date,
    end: date,
    warehouse: str | None = None,
    **options: Any,
) -> list[DayResult]:
    """Walk forward: the daily step as of each stored trading day in [start, end].

    Day d sees only bars dated <= d, so its forecasts are exactly what a live run with the same
    ``policy`` would have issued; they are marked as replays and scored from the stored bars.
    ``frozen`` (the default) retrains fully every ``retrain_every`` trading days and keeps the
    weights in between, so its cost is the retrains; ``finetune`` fine-tunes daily. Parameters
    left None come from the settings (nextbar.toml, NEXTBAR_*; ``[replay]`` for the schedule),
    epochs and window from the preset.
    """
    settings = load_settings(warehouse)
    [info] = resolve_symbols([symbol], settings)
    warn_calendar_horizons([info])
    step = StepConfig.for_replay(settings, StepOptions.of(options))
    days = replay_days(settings, symbol, start, end)
    progress_log.info(
        "%s: replaying %d trading days",
        symbol,
        len(days),
        extra={"replay": {"done": 0, "total": len(days), "symbol": symbol, "mae": None}},
    )
    engine = load_replay(settings, info, days, step)
    fitter = replay_fitter(settings, engine, days)
    results: list[DayResult] = []
    size = max(step.policy.retrain_every, 1)
    for first in range(0, len(days), size):
        block = replay_block(engine, days[first : first + size], fitter, first, len(days))
        log_notes(block)
        results += record_days(settings, block, step, is_replay=True)
    return results


@flow(name="replay-stepwise")
def replay_stepwise(
    symbol: str, start: date, end: date, step: StepConfig, warehouse: str | None = None
) -> list[DayResult]:
    """The reference the fast replay is checked and timed against: the live daily step
    (``run_day``: its tasks, saved splits and transactions) as of each day in turn."""
    settings = load_settings(warehouse)
    [info] = resolve_symbols([symbol], settings)
    days = replay_days(settings, symbol, start, end)
    return [run_day(settings, info, day, step, is_replay=True) for day in days]
