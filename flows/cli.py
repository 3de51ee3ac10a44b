"""The ``nextbar`` command line: each command runs a flow or reads the warehouse."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer

from flows.output import OutputFormat, console, err_console, print_frame

if TYPE_CHECKING:
    from flows.ingest import SymbolIngest
    from pipeline.reports import DailyReport

# Quiet Prefect's console chatter and telemetry unless the user asked otherwise.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect's temporary server gets 20 s to start by default: too few on a busy 2-core machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# TensorFlow's C++ start-up chatter (no CUDA on a CPU machine, CPU features) is not for users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

app = typer.Typer(
    help="nextbar: next-trading-day price forecasts, always beside the naive baseline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        envvar="NEXTBAR_WAREHOUSE",
        help="DuckDB file [default: ./data/nextbar.duckdb]",
    ),
]
PresetOpt = Annotated[
    str, typer.Option(help="default (the best found on validation) | seed (the tutorials' setup)")
]
SymbolsOpt = Annotated[
    list[str] | None, typer.Option("--symbol", "-s", help="Symbol (repeatable); default all")
]


def _date(value: str | None) -> date | None:
    return datetime.strptime(value, "%Y-%m-%d").date() if value else None


def _warehouse(path: Path | None) -> Path:
    from pipeline.settings import Settings

    return path or Settings().warehouse


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors")] = False,
) -> None:
    os.environ["NEXTBAR_DEBUG"] = "1" if debug else ""


@app.command()
def init(warehouse: WarehouseOpt = None) -> None:
    """Create or upgrade the warehouse and register the configured symbols."""
    from flows.common import resolve_symbols
    from warehouse.connection import connect
    from warehouse.migrate import schema_version
    from warehouse.symbols import sync_symbols

    path = _warehouse(warehouse)
    with connect(path) as con:
        sync_symbols(con, resolve_symbols(None))
        version = schema_version(con)
    console.print(f"warehouse {path} ready (schema version {version})")


@app.command()
def ingest(
    symbol: SymbolsOpt = None,
    source: Annotated[
        str | None, typer.Option(help="tushare | yfinance | bundled; default per symbol")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Import your own CSV (tushare, Yahoo or Investing.com)"),
    ] = None,
    start: Annotated[str | None, typer.Option(help="First date, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="Last date, YYYY-MM-DD")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Fetch daily bars into the warehouse (incremental, idempotent, revisions kept)."""
    from flows.ingest import ingest as ingest_flow
    from pipeline.errors import InputError

    if file and (not symbol or len(symbol) != 1):
        raise InputError("--file needs exactly one --symbol: the instrument the file holds")
    if file and not file.exists():
        raise InputError(f"--file {file}: no such file")
    results = ingest_flow(
        symbols=symbol,
        source=source,
        start=_date(start),
        end=_date(end),
        file=str(file) if file else None,
        warehouse=str(_warehouse(warehouse)),
    )
    print_ingest(results)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A SQL query (read-only)")],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format")
    ] = OutputFormat.table,
    warehouse: WarehouseOpt = None,
) -> None:
    """Run a read-only SQL query against the warehouse and print the result."""
    from warehouse.connection import connect

    with connect(_warehouse(warehouse), read_only=True) as con:
        frame = con.execute(query).df()
    print_frame(frame, fmt)


@app.command()
def train(
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Symbol to train")],
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model", "-m", help="gru|lstm|rnn|naive|drift|linear|ensemble|all (repeatable)"
        ),
    ] = None,
    preset: PresetOpt = "default",
    epochs: Annotated[
        int | None,
        typer.Option(help="Most epochs, early stopping on validation [default: preset's]"),
    ] = None,
    target: Annotated[str, typer.Option(help="close | open | high | low")] = "close",
    window: Annotated[
        int | None, typer.Option(help="Bars per input window [default: preset's]")
    ] = None,
    test_size: Annotated[
        int, typer.Option("--test-size", help="Last N targets scored as test")
    ] = 300,
    validation_size: Annotated[
        int, typer.Option("--validation-size", help="Targets before test for early stopping")
    ] = 120,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Use only bars dated <= this day")
    ] = None,
    search_budget: Annotated[
        int | None,
        typer.Option(
            "--search-budget",
            help="Configs drawn per model (linear, gru, lstm) beside the preset's own, ranked on "
            "validation; 0: no search [default: preset's, 4 for default, 0 for seed]",
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Rebuild the split, pick configs on validation, train models, store runs; print each
    model beside naive."""
    from flows.train import train as train_flow

    _show_progress()
    report = train_flow(
        symbol=symbol,
        models=model or ["all"],
        epochs=epochs,
        target=target,
        preset=preset,
        window=window,
        test_size=test_size,
        validation_size=validation_size,
        as_of=_date(as_of),
        search_budget=search_budget,
        warehouse=str(_warehouse(warehouse)),
    )
    if not report.search.empty:
        print_frame(
            report.search.drop(columns=["run_id", "status"]),
            title=f"{symbol}: configs tried on validation only (the test range unseen)",
        )
    print_frame(
        report.table, title=f"{symbol}: every model beside the naive baseline (MAE, {target})"
    )
    if report.plot:
        console.print(f"chart: {report.plot}")


@app.command()
def models(
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Symbol")],
    limit: Annotated[int, typer.Option(help="Most rows")] = 30,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format")
    ] = OutputFormat.table,
    warehouse: WarehouseOpt = None,
) -> None:
    """List model runs (MAE beside naive) and the current champion."""
    from flows.common import resolve_symbols
    from warehouse.connection import connect
    from warehouse.models import current_champion, list_runs

    resolve_symbols([symbol])
    with connect(_warehouse(warehouse), read_only=True) as con:
        runs = list_runs(con, symbol, limit)
        champion = current_champion(con, symbol)
    print_frame(runs, fmt, title=f"{symbol}: model runs")
    if fmt is OutputFormat.table:
        if champion:
            console.print(
                f"champion: {champion['model']} (validation MAE {champion['validation_mae']:.4f}, "
                f"run {champion['run_id']})"
            )
        else:
            console.print("no champion yet: run `nextbar train --symbol " + symbol + "`")


def _show_progress() -> None:
    """Show per-epoch progress (``nextbar.progress``) through Prefect's console handler."""
    import logging

    logging.getLogger("nextbar").setLevel(logging.INFO)


ModelsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--models",
        "-m",
        help="Model kinds (repeatable) [default: naive drift linear gru lstm ensemble]",
    ),
]
RetrainOpt = Annotated[
    int, typer.Option("--retrain-every", help="Full retrain every N trading days")
]
FinetuneOpt = Annotated[
    int, typer.Option("--finetune-epochs", help="Epochs of a warm-start fine-tune")
]
EpochsOpt = Annotated[
    int | None, typer.Option("--epochs", help="Most epochs of a full retrain [default: preset's]")
]
HistoryOpt = Annotated[
    int | None, typer.Option("--history-bars", help="Train on the newest N bars only")
]


@app.command()
def run(
    symbol: SymbolsOpt = None,
    source: Annotated[
        str | None, typer.Option(help="tushare | yfinance | bundled; default per symbol")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Run as of this day (default: newest bar)")
    ] = None,
    models: ModelsOpt = None,
    retrain_every: RetrainOpt = 5,
    finetune_epochs: FinetuneOpt = 3,
    epochs: EpochsOpt = None,
    history_bars: HistoryOpt = None,
    target: Annotated[str, typer.Option(help="close | open")] = "close",
    preset: PresetOpt = "default",
    warehouse: WarehouseOpt = None,
) -> None:
    """The daily flow: ingest, split, train or fine-tune, forecast the next trading day, score."""
    from flows.daily import daily

    _show_progress()
    report = daily(
        symbols=symbol,
        source=source,
        as_of=_date(as_of),
        models=models,
        retrain_every=retrain_every,
        finetune_epochs=finetune_epochs,
        epochs=epochs,
        history_bars=history_bars,
        target=target,
        preset=preset,
        warehouse=str(_warehouse(warehouse)),
    )
    print_daily(report, _warehouse(warehouse))


@app.command()
def replay(
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Symbol to replay")],
    start: Annotated[str, typer.Option(help="First as-of day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="Last as-of day, YYYY-MM-DD")],
    models: ModelsOpt = None,
    retrain_every: RetrainOpt = 5,
    finetune_epochs: FinetuneOpt = 3,
    epochs: EpochsOpt = None,
    history_bars: HistoryOpt = None,
    target: Annotated[str, typer.Option(help="close | open")] = "close",
    preset: PresetOpt = "default",
    warehouse: WarehouseOpt = None,
) -> None:
    """Walk-forward backtest: the daily step as of each stored trading day, bars known that day."""
    from flows.daily import replay as replay_flow

    _show_progress()
    start_day, end_day = _date(start), _date(end)
    assert start_day is not None and end_day is not None
    days = replay_flow(
        symbol=symbol,
        start=start_day,
        end=end_day,
        models=models,
        retrain_every=retrain_every,
        finetune_epochs=finetune_epochs,
        epochs=epochs,
        history_bars=history_bars,
        target=target,
        preset=preset,
        warehouse=str(_warehouse(warehouse)),
    )
    console.print(f"replayed {len(days)} trading days of {symbol} ({start_day} .. {end_day})")
    print_leaderboard(_warehouse(warehouse), [symbol])


@app.command()
def serve(
    warehouse: WarehouseOpt = None,
    limit: Annotated[
        int | None, typer.Option(help="Most runs at once [default: 1, one writer]")
    ] = None,
) -> None:
    """Run every deployment on its schedule in this process (Ctrl-C stops); no work pool needed."""
    from flows.serve import serve_deployments

    # Served runs log to the Prefect UI; the temporary server (no PREFECT_API_URL) can take
    # longer than Prefect's default 20 s to start on a small machine.
    os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    serve_deployments(warehouse=str(warehouse) if warehouse else None, limit=limit)


def print_daily(report: DailyReport, path: Path) -> None:
    """Next-day forecasts, the latest scores and the leaderboard, naive beside every model."""
    for day in report.days:
        if day.status == "skipped":
            console.print(f"{day.symbol}: skipped: {day.reason}")
    print_frame(report.forecasts, title="next trading day: champion forecast, intervals, naive")
    print_frame(report.last_scored, title="latest scored champion forecast (accuracy beside naive)")
    print_leaderboard(path, list(report.forecasts["symbol"]))
    for plot in report.plots:
        console.print(f"chart: {plot}")


def print_leaderboard(path: Path, symbols: list[str]) -> None:
    """Every model's scored forecasts beside naive (all windows)."""
    from warehouse.connection import connect
    from warehouse.forecasts import leaderboard

    with connect(path, read_only=True) as con:
        board = leaderboard(con, symbols)
    columns = [
        "symbol",
        "target",
        "model",
        "n",
        "mae",
        "naive_mae",
        "skill_vs_naive",
        "is_beating_naive",
        "dm_p_value_better",
        "mean_accuracy",
        "naive_mean_accuracy",
        "direction_accuracy",
        "coverage_80",
        "coverage_95",
    ]
    print_frame(board[columns], title="leaderboard: scored forecasts, every model beside naive")


@app.command()
def demo(
    replay_days: Annotated[int, typer.Option("--replay-days", help="Trading days to replay")] = 20,
    epochs: EpochsOpt = None,
    history_bars: HistoryOpt = 1000,
    warehouse: WarehouseOpt = None,
) -> None:
    """The main job offline on the bundled history: ingest, replay, today's step, report."""
    from flows.common import resolve_symbols
    from flows.daily import daily
    from flows.daily import replay as replay_flow
    from flows.ingest import ingest as ingest_flow
    from warehouse.bars import bar_summary, load_bars
    from warehouse.connection import connect

    _show_progress()
    path = _warehouse(warehouse)
    # Fine-tune between full retrains for the whole replay, as a daily schedule would.
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
        console.rule(f"2. replay {symbol}: {replay_days} trading days, {start} .. {end}")
        replay_flow(
            symbol=symbol,
            start=start,
            end=end,
            retrain_every=retrain_every,
            epochs=epochs,
            history_bars=history_bars,
            warehouse=str(path),
        )
    console.rule("3. the day's step as of the last bundled bar")
    report = daily(
        source="bundled",
        skip_ingest=True,
        retrain_every=retrain_every,
        epochs=epochs,
        history_bars=history_bars,
        warehouse=str(path),
    )
    print_daily(report, path)
    console.rule("query it")
    for query in EXAMPLE_QUERIES:
        console.print(f'  nextbar sql "{query}"', highlight=False, soft_wrap=True)
    console.print(f"  duckdb -readonly {path}", highlight=False)


EXAMPLE_QUERIES = (
    "select symbol, count(*), min(date), max(date) from bars group by 1",
    "select * from latest_forecasts where is_champion or model = 'naive'",
    "select symbol, target_date, model, predicted, actual, accuracy, naive_accuracy"
    " from forecast_accuracy where is_champion order by target_date desc limit 10",
    "select symbol, model, n, mae, naive_mae, skill_vs_naive from leaderboard"
    " where window_name = 'all' order by symbol, mae",
)


def print_ingest(results: list[SymbolIngest]) -> None:
    """The per-symbol ingest summary."""
    frame = pd.DataFrame([r.__dict__ for r in results])
    print_frame(frame.drop(columns=["start", "end", "error"]), title="ingest")


def main() -> None:
    """Entry point: one-line errors and a non-zero exit, tracebacks only with --debug."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        if os.environ.get("NEXTBAR_DEBUG"):
            raise
        err_console.print(f"[red]error:[/red] {type(exc).__name__}: {exc}", highlight=False)
        raise SystemExit(1) from None
