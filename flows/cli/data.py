"""Commands that fill the warehouse: ``init``, ``ingest`` (``sql`` reads it: flows.cli.sql)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.app import SymbolsOpt, WarehouseOpt, app, parse_date, warehouse_path
from flows.cli.checks import check_options
from flows.output import console, print_frame

if TYPE_CHECKING:
    from flows.ingest import SymbolIngest


@app.command()
def init(warehouse: WarehouseOpt = None) -> None:
    """Create or upgrade the warehouse; register the configured symbols."""
    from flows.symbols import resolve_symbols
    from warehouse.connection import connect
    from warehouse.migrate import schema_version
    from warehouse.symbols import sync_symbols

    path = warehouse_path(warehouse)
    with connect(path, verify=True) as con:  # a damaged file is reported, never migrated
        sync_symbols(con, resolve_symbols(None))
        version = schema_version(con)
    console.print(f"warehouse {path} ready (schema version {version})")


@app.command()
def ingest(
    symbol: SymbolsOpt = None,
    source: Annotated[
        str | None,
        typer.Option(help="tushare | yfinance | bundled [default: sources.default, per symbol]"),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="Import your own file (one --symbol): a tushare, Yahoo or Investing.com CSV, "
            "or a Chinese terminal export (通达信, 同花顺, 东方财富)",
        ),
    ] = None,
    start: Annotated[str | None, typer.Option(help="First date, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="Last date, YYYY-MM-DD")] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Let this ingest rewrite stored bars it disagrees with (old values are kept)",
        ),
    ] = False,
    ignore_code: Annotated[
        bool,
        typer.Option(
            "--ignore-code", help="Import a --file that names another instrument than --symbol"
        ),
    ] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Fetch daily bars: incremental, idempotent, revisions kept."""
    from pipeline.data.ingest import check_input_file
    from pipeline.errors import InputError

    if file and (not symbol or len(symbol) != 1):
        raise InputError("--file needs exactly one --symbol: the instrument the file holds")
    if file:
        check_input_file(file)  # a FIFO is read; a directory or a socket is refused
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    check_options({"symbol": symbol, "source": source, "start": start, "end": end}, stored=False)
    from flows.ingest import ingest as ingest_flow
    from flows.progress import ingest_progress

    with ingest_progress():
        results = ingest_flow(
            symbols=symbol,
            source=source,
            start=first,
            end=last,
            file=str(file) if file else None,
            warehouse=str(warehouse_path(warehouse)),
            replace=replace,
            ignore_code=ignore_code,
        )
    print_ingest(results)


def print_ingest(results: list[SymbolIngest]) -> None:
    """The per-symbol ingest summary."""
    import pandas as pd

    frame = pd.DataFrame([r.__dict__ for r in results])
    shown = frame.drop(columns=["start", "end", "error"])
    print_frame(
        shown, title="ingest", key=["symbol", "source", "status", "new"], hint="table ingest_runs"
    )
