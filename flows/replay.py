"""Flow ``replay``: the daily step walked forward over past trading days."""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows.common import load_settings, open_warehouse, resolve_symbols
from flows.daily import DayResult, run_day
from pipeline.daily.step import StepConfig
from pipeline.errors import InputError
from warehouse.bars import load_bars


@flow(name="replay")
def replay(
    symbol: str,
    start: date,
    end: date,
    retrain_every: int | None = None,
    models: list[str] | None = None,
    finetune_epochs: int | None = None,
    epochs: int | None = None,
    target: str | None = None,
    preset: str | None = None,
    window: int | None = None,
    history_bars: int | None = None,
    warehouse: str | None = None,
) -> list[DayResult]:
    """Walk forward: run the daily step as of each stored trading day in [start, end].

    Day d sees only bars dated <= d, so its forecasts are exactly what a live run would have
    issued; they are marked as replays and scored from the stored bars. Parameters left None
    come from the settings (nextbar.toml, NEXTBAR_*), epochs and window from the preset.
    """
    settings = load_settings(warehouse)
    [info] = resolve_symbols([symbol], settings)
    if start > end:
        raise InputError(f"start {start} is after end {end}: give a range with start <= end")
    step = StepConfig.from_parameters(settings, locals())
    with open_warehouse(settings, read_only=True) as con:
        days = [d.date() for d in load_bars(con, symbol)["date"] if start <= d.date() <= end]
    if not days:
        raise InputError(
            f"{symbol} has no stored bars between {start} and {end}: ingest them first"
        )
    return [run_day(settings, info, day, step, is_replay=True) for day in days]
