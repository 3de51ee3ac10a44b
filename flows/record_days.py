"""The one writer of the daily step: a list of day outcomes (one live day, a watch list's
days, or a replay's block) recorded in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.common import open_warehouse, record_champion_of
from flows.day_result import DayResult
from pipeline.daily.day import DayOutcome
from pipeline.settings import Settings
from pipeline.step_config import StepConfig
from warehouse import forecasts as wforecasts
from warehouse.day_runs import record_day_run
from warehouse.models import record_split, write_runs
from warehouse.transactions import transaction


@task(name="record-days", cache_policy=NO_CACHE)
def record_days(
    settings: Settings, days: list[DayOutcome], step: StepConfig, is_replay: bool
) -> list[DayResult]:
    """Store the days' splits, runs and forecasts; for live days also each champion and, with
    its inputs' fingerprint, the day itself for a same-day re-run to reuse."""
    if not days:
        return []
    now = datetime.now(tz=UTC)
    rows = [day.forecast_rows(step.target, is_replay=is_replay, issued_at=now) for day in days]
    purpose = "replay" if is_replay else "daily"
    with open_warehouse(settings) as con, transaction(con):
        for split in {s.split_id: s for day in days for s in day.splits}.values():
            record_split(con, split.to_record())
        write_runs(
            con,
            [
                o.to_record(symbol=day.info.symbol, purpose=purpose, preset=step.preset)
                for day in days
                for o in day.outcomes
            ],
        )
        frames = [r for r in rows if not r.empty]
        new = wforecasts.new_forecasts_by_day(
            con, pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        )
        if not is_replay:
            for day, day_rows in zip(days, rows, strict=True):
                _record_live_day(con, day, day_rows, now)
    return [DayResult.forecast(day, new[day.info.symbol, day.as_of]) for day in days]


def _record_live_day(
    con: duckdb.DuckDBPyConnection, day: DayOutcome, rows: pd.DataFrame, now: datetime
) -> None:
    """A live day's champion from now on, and the day's inputs and runs."""
    champion = record_champion_of(con, day.info.symbol, day.outcomes)
    if day.fingerprint:
        record_day_run(
            con,
            day.info.symbol,
            day.as_of,
            day.fingerprint,
            champion.model if champion else None,
            [str(r) for r in rows["run_id"]] if not rows.empty else [],
            len(rows),
            now,
        )
