"""Opening the warehouse file: where it lives, and in a format older DuckDB tools can read.

Every opening turns off extension auto-install: nextbar needs none, the machine may be offline,
and DuckDB otherwise tries to download ``core_functions`` (statically linked) while replaying
the write-ahead log of a process that was killed, and the file would no longer open.
A reader sees the warehouse and nothing else: no file reads or writes, no attaches, no
extension installs, and it cannot change that configuration.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import duckdb

from pipeline.environment import LOCK_WAIT, env_value
from pipeline.errors import InputError, WarehouseBusyError
from warehouse.migrate import migrate

# Users open the file with their own DuckDB tools (the 1.5 CLI among them); a file
# written with duckdb 2.0's default storage version is unreadable there.
STORAGE_COMPATIBILITY = "v1.4.0"
# How long an opening waits for another process to release the file (NEXTBAR_LOCK_WAIT, s).
DEFAULT_LOCK_WAIT_S = 30.0

_Config = dict[str, str | bool | int | float | list[str]]
_OFFLINE: _Config = {"autoinstall_known_extensions": False, "autoload_known_extensions": True}
_READER: _Config = {**_OFFLINE, "enable_external_access": False, "lock_configuration": True}
_WRITER: _Config = {**_OFFLINE, "storage_compatibility_version": STORAGE_COMPATIBILITY}


def lock_wait_s() -> float:
    """Seconds to wait for the warehouse lock (``NEXTBAR_LOCK_WAIT``, default 30)."""
    wait = env_value(LOCK_WAIT)  # InputError for a value that is not a number >= 0
    return wait if isinstance(wait, float) else DEFAULT_LOCK_WAIT_S


def _open(target: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds the lock, up to wait_s seconds."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(
                str(target), read_only=read_only, config=_READER if read_only else _WRITER
            )
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise InputError(f"warehouse {target}: cannot open it ({text})") from exc
            if time.monotonic() >= deadline:
                holder = text[text.find("(PID") :].split(")")[0] + ")" if "(PID" in text else ""
                raise WarehouseBusyError(
                    f"warehouse {target} is in use by another process {holder}: "
                    f"gave up after {wait_s:g} s (NEXTBAR_LOCK_WAIT)"
                ) from exc
            time.sleep(0.2)


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
def connect(
    path: Path, *, read_only: bool = False, wait_s: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; a writer creates and upgrades it, a reader needs it to exist."""
    if (who := _FORBIDDEN.get()) is not None:
        raise WarehouseForbiddenError(f"{who} must not open the warehouse {path}: one writer")
    target = Path(path)
    if target.is_dir():
        raise InputError(f"warehouse {target} is a directory: give a file path")
    if read_only and not target.exists():
        raise InputError(
            f"warehouse {target} does not exist: run `nextbar init` or `nextbar ingest` first"
        )
    if not read_only:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"warehouse {target}: cannot create {exc.filename}") from exc
        if not os.access(target.parent, os.W_OK):
            raise InputError(f"warehouse {target}: the folder {target.parent} is not writable")
    con = _open(target, read_only, lock_wait_s() if wait_s is None else wait_s)
    try:
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit what the block writes, or roll all of it back."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
