"""``nextbar sql``: one read-only query of the warehouse, its result bounded or streamed.

A table shows at most ``--max-rows`` rows, then says how many there were; CSV and JSON
stream every row in chunks, so a million-row result neither hangs nor fills memory.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.app import WarehouseOpt, WideOpt, app, warehouse_path
from flows.output import OutputFormat

if TYPE_CHECKING:
    import duckdb

    from warehouse.queries import Row

DEFAULT_MAX_ROWS = 1000


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="One SQL statement (read-only)")],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table (at most --max-rows rows) | csv | json")
    ] = OutputFormat.table,
    max_rows: Annotated[
        int,
        typer.Option("--max-rows", min=1, help="Most rows a table shows (csv, json: all rows)"),
    ] = DEFAULT_MAX_ROWS,
    wide: WideOpt = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Print the result of one read-only SQL query of the warehouse.

    A table shows at most --max-rows rows and then how many there were; csv and json stream
    every row. The query sees the warehouse and nothing else (no files, no attaches).
    """
    from warehouse.connection import connect
    from warehouse.queries import rows, run_query

    with connect(warehouse_path(warehouse), read_only=True) as con:
        columns = run_query(con, query)
        if fmt is OutputFormat.table:
            _print_table(con, columns, max_rows, wide)
        elif fmt is OutputFormat.csv:
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(columns)
            for batch in rows(con):
                writer.writerows(batch)
        else:
            _write_json(columns, rows(con))
    sys.stdout.flush()


def _print_table(
    con: duckdb.DuckDBPyConnection, columns: list[str], max_rows: int, wide: bool
) -> None:
    """The first ``max_rows`` rows as a table; the rest only counted."""
    import pandas as pd

    from flows.output import console, print_frame
    from warehouse.queries import rows

    chunks = []
    shown = 0
    while shown <= max_rows and not (chunk := con.fetch_df_chunk(1)).empty:
        chunks.append(chunk)
        shown += len(chunk)
    frame = pd.concat(chunks) if chunks else pd.DataFrame(columns=columns)
    total = len(frame) + sum(len(batch) for batch in rows(con))
    print_frame(frame.head(max_rows).reset_index(drop=True), wide=wide)
    if total > max_rows:
        console.print(
            f"{max_rows:,} of {total:,} rows shown (--max-rows); all of them: "
            "--format csv or --format json",
            highlight=False,
            soft_wrap=True,  # one line, whatever the width
        )


def _write_json(columns: list[str], batches: Iterable[list[Row]]) -> None:
    """A JSON array of records, one per line, written as the rows arrive."""
    out = sys.stdout
    out.write("[")
    separator = "\n"
    for record in _records(columns, batches):
        out.write(separator + json.dumps(record, default=_json_value, ensure_ascii=False))
        separator = ",\n"
    out.write("\n]\n")


def _records(columns: list[str], batches: Iterable[list[Row]]) -> Iterator[dict[str, Any]]:
    for batch in batches:
        for row in batch:
            yield {c: _finite(v) for c, v in zip(columns, row, strict=True)}


def _finite(value: object) -> object:
    """NaN and infinities as null: JSON has neither."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _json_value(value: object) -> object:
    """Dates as ISO dates, timestamps as ISO timestamps, decimals as numbers, the rest as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)
