"""Opening the warehouse file: where it lives, and in a format older DuckDB tools can read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import duckdb

from pipeline.errors import InputError
from warehouse.migrate import migrate

# Users open the file with their own DuckDB tools (the 1.5 CLI among them); a file
# written with duckdb 2.0's default storage version is unreadable there.
STORAGE_COMPATIBILITY = "v1.4.0"

# Set while a (Dask) worker fits models: the warehouse has one writer, the flow's process.
_FORBIDDEN: ContextVar[str | None] = ContextVar("warehouse_forbidden", default=None)


class WarehouseForbiddenError(RuntimeError):
    """Code running as a worker tried to open the warehouse."""


@contextmanager
def forbid_warehouse(who: str) -> Iterator[None]:
    """Make every :func:`connect` in this context fail, naming ``who`` (e.g. a Dask task)."""
    token = _FORBIDDEN.set(who)
    try:
        yield
    finally:
        _FORBIDDEN.reset(token)


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; a writer creates and upgrades it, a reader needs it to exist."""
    if (who := _FORBIDDEN.get()) is not None:
        raise WarehouseForbiddenError(f"{who} must not open the warehouse {path}: one writer")
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
