"""``nextbar demo``: the main job offline on the bundled history."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from flows.cli.app import EpochsOpt, HistoryOpt, VerboseOpt, WarehouseOpt, app, warehouse_path
from flows.cli.daily import (
    next_command,
    print_daily,
    print_replay_summary,
    warehouse_flag,
)
from flows.cli.data import print_ingest
from flows.output import console, print_frame, quiet_backend
from flows.progress import fit_progress, replay_progress


@app.command()
def demo(
    replay_days: Annotated[int, typer.Option("--replay-days", help="Trading days to replay")] = 20,
    epochs: EpochsOpt = None,
    history_bars: HistoryOpt = 1000,
    verbose: VerboseOpt = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """The main job offline on the bundled history: ingest, replay, today's step, report."""
    from flows.common import resolve_symbols
    from flows.daily import daily
    from flows.ingest import ingest as ingest_flow
    from flows.replay import replay as replay_flow
    from pipeline.settings import load_settings
    from warehouse.bars import bar_summary, load_bars
    from warehouse.connection import connect

    started = time.monotonic()
    quiet_backend()
    path = warehouse_path(warehouse)
    # One full retrain: the replay keeps its weights frozen (the fast path); the day's step
    # fine-tunes from it, as a daily schedule would.
    retrain_every = replay_days + 5
    console.rule("1. ingest the bundled real history")
    print_ingest(ingest_flow(source="bundled", warehouse=str(path)))
    with connect(path, read_only=True) as con:
        print_frame(bar_summary(con), title="bars per symbol")
        days = {
            s.symbol: list(load_bars(con, s.symbol)["date"].dt.date) for s in resolve_symbols(None)
        }
    for symbol, dates in days.items():
        start, end = dates[-replay_days - 1], dates[-2]
        console.rule(f"2. replay {symbol}: {replay_days} trading days")
        with replay_progress() as bar:
            replayed = replay_flow(
                symbol=symbol,
                start=start,
                end=end,
                retrain_every=retrain_every,
                epochs=epochs,
                history_bars=history_bars,
                warehouse=str(path),
            )
        print_replay_summary(symbol, [d.as_of for d in replayed], bar.last, None)
    console.rule("3. the day's step as of the last bundled bar")
    with fit_progress(verbose):
        report = daily(
            source="bundled",
            skip_ingest=True,
            retrain_every=retrain_every,
            epochs=epochs,
            history_bars=history_bars,
            warehouse=str(path),
        )
    print_daily(report, path)
    console.rule("4. query it")
    for query in EXAMPLE_QUERIES:
        console.print(
            f'  nextbar sql "{query}"{warehouse_flag(path)}', highlight=False, soft_wrap=True
        )
    console.print(f"  duckdb -readonly {path}", highlight=False, soft_wrap=True)
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    first = next(iter(days), None)
    console.print(
        f"done in {minutes} min {seconds} s: warehouse {path}, charts in "
        f"{load_settings(warehouse=path).plots_dir}; next: {next_command('models', path, first)}, "
        f"{next_command('run', path)} --skip-ingest, the queries above",
        highlight=False,
        soft_wrap=True,
    )


EXAMPLE_QUERIES = (
    "select symbol, count(*), min(date), max(date) from bars group by 1",
    "select * from latest_forecasts where is_champion or model = 'naive'",
    "select symbol, target_date, model, predicted, actual, accuracy, naive_accuracy"
    " from forecast_accuracy where is_champion order by target_date desc limit 10",
    "select symbol, model, n, mae, naive_mae, skill_vs_naive from leaderboard"
    " where window_name = 'all' order by symbol, mae",
)
