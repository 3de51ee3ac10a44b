"""Flow ``replay``: the daily step walked forward over past trading days, a few tasks per block."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.common import load_settings, open_warehouse, resolve_symbols, warn_calendar_horizons
from flows.day import run_day
from flows.day_result import DayResult
from pipeline.daily.plan import BaseRun, forecast_rows
from pipeline.daily.realized import Realized
from pipeline.daily.replay import ReplayDay, ReplayEngine
from pipeline.daily.step import StepConfig
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.evaluation.champion import champion_of
from pipeline.settings import Settings
from pipeline.step_options import DAY_OPTIONS, StepOptions, with_step_options
from warehouse import forecasts as wforecasts
from warehouse.bars import load_bars
from warehouse.models import base_runs, record_split, write_runs
from warehouse.transactions import transaction

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
        bases = {
            row["model"]: BaseRun.from_row(row)
            for row in base_runs(con, info.symbol, days[0]).to_dict("records")
        }
        flat = step.calibration.flat_kinds
        stored = wforecasts.day_errors(con, info.symbol, step.target, days[-1], flat)
    realized = Realized(stored, step.calibration.history)
    return ReplayEngine(info, bars, step, settings.models_dir, bases, realized)


@task(name="replay-block", task_run_name="replay-block-{days[0]}", cache_policy=NO_CACHE)
def replay_block(engine: ReplayEngine, days: list[date], done: int, total: int) -> list[ReplayDay]:
    """Replay consecutive days; each reports progress (days done, running MAE beside naive)."""

    counter = iter(range(done + 1, done + len(days) + 1))

    def report(day: ReplayDay) -> None:
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

    return engine.run(days, on_day=report)


@task(name="record-block", task_run_name="record-block-{block[0].as_of}", cache_policy=NO_CACHE)
def record_block(
    settings: Settings, info: SymbolInfo, step: StepConfig, block: list[ReplayDay]
) -> list[DayResult]:
    """Store a block's splits, runs and forecasts in one transaction."""
    now = datetime.now(tz=UTC)
    results, rows = [], []
    for day in block:
        champion = champion_of(day.outcomes)
        rows.append(
            forecast_rows(
                info,
                day.outcomes,
                as_of=day.as_of,
                target=step.target,
                last_known=day.last_known,
                champion_run_id=champion.run_id if champion else None,
                is_replay=True,
                issued_at=now,
            )
        )
        results.append(
            DayResult(
                symbol=info.symbol,
                status="forecast",
                as_of=day.as_of,
                champion=champion.model if champion else None,
                new_forecasts=len(rows[-1]),
                outcomes=day.outcomes,
            )
        )
    with open_warehouse(settings) as con, transaction(con):
        for day in block:
            for split in day.splits.values():
                record_split(con, split.to_record())
        write_runs(
            con,
            [
                o.to_record(symbol=info.symbol, purpose="replay", preset=step.preset)
                for d in block
                for o in d.outcomes
            ],
        )
        frames = [r for r in rows if not r.empty]
        if frames:
            wforecasts.write_forecasts(con, pd.concat(frames, ignore_index=True))
    return results


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
    results: list[DayResult] = []
    size = max(step.policy.retrain_every, 1)
    for first in range(0, len(days), size):
        block = replay_block(engine, days[first : first + size], first, len(days))
        results += record_block(settings, info, step, block)
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
