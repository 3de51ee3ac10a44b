"""Opening the warehouse file: where it lives, and in a format older DuckDB tools can read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.errors import InputError
from warehouse.migrate import migrate

# Users open the file with their own DuckDB tools (the 1.5 CLI among them); a file
# written with duckdb 2.0's default storage version is unreadable there.
STORAGE_COMPATIBILITY = "v1.4.0"


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; a writer creates and upgrades it, a reader needs it to exist."""
    target = Path(path)
    if read_only:
        if not target.exists():
            raise InputError(
                f"warehouse {target} does not exist: run `nextbar init` or `nextbar ingest` first"
            )
        con = duckdb.connect(str(target), read_only=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            str(target), config={"storage_compatibility_version": STORAGE_COMPATIBILITY}
        )
        migrate(con)
    try:
        yield con
    finally:
        con.close()
