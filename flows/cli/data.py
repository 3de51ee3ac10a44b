"""Commands that fill and read the warehouse: ``init``, ``ingest``, ``sql``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer

from flows.cli.app import (
    SymbolsOpt,
    WarehouseOpt,
    app,
    check_range,
    parse_date,
    warehouse_path,
)
from flows.output import OutputFormat, console, print_frame

if TYPE_CHECKING:
    from flows.ingest import SymbolIngest


@app.command()
def init(warehouse: WarehouseOpt = None) -> None:
    """Create or upgrade the warehouse and register the configured symbols."""
    from flows.common import resolve_symbols
    from warehouse.connection import connect
    from warehouse.migrate import schema_version
    from warehouse.symbols import sync_symbols

    path = warehouse_path(warehouse)
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
    """Fetch daily bars into the warehouse (incremental, idempotent, revisions kept)."""
    from flows.common import resolve_symbols
    from pipeline.data.ingest import check_input_file
    from pipeline.data.sources import SOURCE_NAMES
    from pipeline.errors import InputError
    from pipeline.settings import load_settings

    if file and (not symbol or len(symbol) != 1):
        raise InputError("--file needs exactly one --symbol: the instrument the file holds")
    if file:
        check_input_file(file)  # a FIFO is read; a directory or a socket is refused
    if source and source not in SOURCE_NAMES:
        raise InputError(f"--source {source!r}: choose one of {', '.join(SOURCE_NAMES)}")
    resolve_symbols(symbol, load_settings())  # an unreadable code fails here, in one line
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    check_range(first, last)
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

    with connect(warehouse_path(warehouse), read_only=True) as con:
        frame = con.execute(query).df()
    print_frame(frame, fmt)


def print_ingest(results: list[SymbolIngest]) -> None:
    """The per-symbol ingest summary."""
    frame = pd.DataFrame([r.__dict__ for r in results])
    print_frame(frame.drop(columns=["start", "end", "error"]), title="ingest")
