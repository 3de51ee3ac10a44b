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

# Quiet Prefect's console chatter and telemetry unless the user asked otherwise.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

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
    from pipeline.symbols import DEFAULT_SYMBOLS
    from warehouse.connection import connect
    from warehouse.migrate import schema_version
    from warehouse.symbols import sync_symbols

    path = _warehouse(warehouse)
    with connect(path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
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
        typer.Option("--model", "-m", help="gru|lstm|rnn|naive|drift|linear|all (repeatable)"),
    ] = None,
    epochs: Annotated[int, typer.Option(help="Most epochs (early stopping on validation)")] = 50,
    target: Annotated[str, typer.Option(help="close | open | high | low")] = "close",
    window: Annotated[int, typer.Option(help="Bars per input window")] = 60,
    test_size: Annotated[
        int, typer.Option("--test-size", help="Last N targets scored as test")
    ] = 300,
    validation_size: Annotated[
        int, typer.Option("--validation-size", help="Targets before test for early stopping")
    ] = 120,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Use only bars dated <= this day")
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Rebuild the split, train models, store runs; print each model beside naive."""
    from flows.train import train as train_flow

    _show_progress()
    report = train_flow(
        symbol=symbol,
        models=model or ["all"],
        epochs=epochs,
        target=target,
        window=window,
        test_size=test_size,
        validation_size=validation_size,
        as_of=_date(as_of),
        warehouse=str(_warehouse(warehouse)),
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
    from pipeline.symbols import get_symbol
    from warehouse.connection import connect
    from warehouse.models import current_champion, list_runs

    get_symbol(symbol)
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


@app.command()
def demo(warehouse: WarehouseOpt = None) -> None:
    """The main job offline: ingest the bundled history of every symbol and summarise it."""
    from flows.ingest import ingest as ingest_flow
    from warehouse.bars import bar_summary
    from warehouse.connection import connect

    path = _warehouse(warehouse)
    console.rule("1. ingest the bundled real history")
    results = ingest_flow(source="bundled", warehouse=str(path))
    print_ingest(results)
    with connect(path, read_only=True) as con:
        print_frame(bar_summary(con), title="bars per symbol")
    console.rule("query it")
    console.print(f'  nextbar sql "{EXAMPLE_QUERY}"')


EXAMPLE_QUERY = "select symbol, count(*), min(date), max(date) from bars group by 1"


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
