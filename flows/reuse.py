"""A same-day re-run: the inputs a day's step follows from, an earlier run on the same, and
whether the source has anything new for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from pipeline.daily.inputs import DayInputs
from pipeline.daily.schedule import BaseRun
from pipeline.data import ingest as plan
from pipeline.data.bars import in_volume_unit
from pipeline.data.calendars import today_in
from pipeline.data.symbols import SymbolInfo
from pipeline.data.validation import validate_bars
from pipeline.errors import NextbarError
from pipeline.settings import Settings
from pipeline.step_config import StepConfig
from warehouse import forecasts as wforecasts
from warehouse.bar_changes import would_change
from warehouse.bars import last_bar_date, load_bars, series_facts
from warehouse.day_runs import DayRun, reusable_day_run
from warehouse.models import base_runs


@dataclass(frozen=True)
class ReusedDay:
    """A day already run on the same inputs: its fits and forecasts stand."""

    as_of: date
    run: DayRun


def day_inputs(
    con: duckdb.DuckDBPyConnection,
    info: SymbolInfo,
    as_of: date | None,
    step: StepConfig,
    stored: pd.DataFrame | None = None,
) -> DayInputs:
    """Read a day's inputs, keyed: the bars known on ``as_of`` (None: the newest; ``stored``:
    those bars, when already read), the models' earlier runs and their latest scored errors."""
    known = load_bars(con, info.symbol, until=as_of) if stored is None else stored
    bars = step.recent(known)
    fresh = step.day_split(info.symbol, bars)
    day = fresh.as_of_date
    calibration = step.calibration
    errors = wforecasts.recent_errors(
        con, info.symbol, step.target, day, calibration.history, calibration.flat_kinds
    )
    return DayInputs(info, bars, fresh, read_bases(con, info.symbol, day), errors).keyed(step)


def read_bases(con: duckdb.DuckDBPyConnection, symbol: str, before: date) -> dict[str, BaseRun]:
    """Per model, the newest earlier run a fine-tune on ``before`` would start from."""
    return BaseRun.by_model(base_runs(con, symbol, before).to_dict("records"))


def earlier_run(
    con: duckdb.DuckDBPyConnection, info: SymbolInfo, inputs: DayInputs
) -> ReusedDay | None:
    """The day's newest live run when it ran on the same inputs, else None."""
    day = inputs.fresh.as_of_date
    run = reusable_day_run(con, info.symbol, day, inputs.fingerprint)
    return ReusedDay(day, run) if run is not None else None


def nothing_new_at_source(
    con: duckdb.DuckDBPyConnection, info: SymbolInfo, source: str, settings: Settings
) -> bool:
    """Whether ``source`` has no new, revised or rejected bar for ``info`` over the range an
    ingest would fetch now. Asked outside Prefect and storing nothing, so that a same-day re-run
    needs no ingest flow; any fault (a source error, tushare without a token here) says False,
    and the flow then ingests as usual, with its retries."""
    if source == "tushare" and settings.tushare_token is None:
        return False  # the token may live in a Prefect Secret block, which only the flow reads
    unit, series_range = series_facts(con, [info.symbol])[info.symbol]
    try:
        span = plan.plan_range(info, last_bar_date(con, info.symbol), settings)
        fetched = plan.fetch_bars(plan.make_source(source, info, settings), info, *span)
        bars = in_volume_unit(fetched.bars, unit)  # as the store step reads them
    except NextbarError:
        return False
    checked = validate_bars(bars, today=today_in(info), series_range=series_range)
    return checked.rejected.empty and not would_change(con, info.symbol, checked.valid)
