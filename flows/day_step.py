"""One symbol's day of the daily step, and a watch list's days, as Prefect tasks: read the
day's inputs (or reuse a day already run on them), the one day step (pipeline.daily.day) with
its fits here, on the gpu pool or on Dask (flows.fitters), and the one writer."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
from prefect import get_run_logger, task

from flows.common import open_warehouse
from flows.day_result import DayResult, reused_result
from flows.fitters import dask_fitter, local_fitter
from flows.output import quiet_backend
from flows.record_days import record_days
from flows.reuse import ReusedDay, day_inputs, earlier_run
from pipeline.daily.day import DayOutcome, step_day, step_days
from pipeline.daily.inputs import DayInputs
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.settings import Settings
from pipeline.step_config import StepConfig
from warehouse.bars import load_bars_of


@task(name="prepare-day", task_run_name="prepare-day-{info.symbol}-{as_of}")
def prepare_day(
    settings: Settings,
    info: SymbolInfo,
    as_of: date | None,
    step: StepConfig,
    force: bool = False,
) -> DayInputs | ReusedDay:
    """The day's inputs: the final bars dated <= as_of, the models' earlier runs and their
    latest scored errors. A day whose newest live run had the same inputs (their key) is
    reused instead, unless ``force``."""
    with open_warehouse(settings) as con:
        return _prepare(con, info, as_of, step, force)


def _prepare(
    con: duckdb.DuckDBPyConnection,
    info: SymbolInfo,
    as_of: date | None,
    step: StepConfig,
    force: bool,
    stored: pd.DataFrame | None = None,
) -> DayInputs | ReusedDay:
    """:func:`prepare_day` on an open warehouse (``stored``: the symbol's bars dated <= as_of,
    when already read)."""
    inputs = day_inputs(con, info, as_of, step, stored)
    earlier = None if force else earlier_run(con, info, inputs)
    return inputs if earlier is None else earlier


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
    inputs = prepare_day(settings, info, as_of, step, force=force or is_replay)
    if isinstance(inputs, ReusedDay):
        return reused_result(info, inputs)
    quiet_backend()  # only now: a reused day never loads the backend
    day = step_day(inputs, step, local_fitter(settings, step))
    log_notes([day])
    [result] = record_days(settings, [day], step, is_replay)
    return result


@task(name="prepare-days")
def prepare_days(
    settings: Settings,
    infos: list[SymbolInfo],
    as_of: date | None,
    step: StepConfig,
    force: bool = False,
) -> list[DayInputs | ReusedDay | str]:
    """Each symbol's day inputs, its reused day, or why it cannot run; one warehouse opening
    for them all."""
    prepared: list[DayInputs | ReusedDay | str] = []
    with open_warehouse(settings) as con:
        stored = load_bars_of(con, [i.symbol for i in infos], until=as_of)
        for info in infos:
            try:
                prepared.append(_prepare(con, info, as_of, step, force, stored[info.symbol]))
            except InputError as exc:
                prepared.append(str(exc))
    return prepared


def run_days(
    settings: Settings,
    infos: list[SymbolInfo],
    as_of: date | None,
    step: StepConfig,
    force: bool = False,
) -> list[DayResult]:
    """The daily step of many symbols: inputs and records here, fits on Dask in chunks (days
    already run on the same inputs are reused, unless ``force``)."""
    prepared = prepare_days(settings, infos, as_of, step, force)
    ready = [p for p in prepared if isinstance(p, DayInputs)]
    if ready:
        quiet_backend()
    days = step_days(ready, step, dask_fitter(settings, step))
    log_notes(days)
    skipped = [
        DayResult(i.symbol, "skipped", p)
        for i, p in zip(infos, prepared, strict=True)
        if isinstance(p, str)
    ]
    reused = [
        reused_result(i, p)
        for i, p in zip(infos, prepared, strict=True)
        if isinstance(p, ReusedDay)
    ]
    return [*record_days(settings, days, step, is_replay=False), *reused, *skipped]


def log_notes(days: list[DayOutcome]) -> None:
    """What each day left out (an ensemble of too few members), as warnings of the run."""
    for day in days:
        for note in day.notes:
            get_run_logger().warning("%s: %s", day.info.symbol, note)
