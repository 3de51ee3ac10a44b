"""Opening the warehouse file: where it lives, and in a format older DuckDB tools can read.

Every opening turns off extension auto-install: nextbar needs none, the machine may be offline,
and DuckDB otherwise tries to download ``core_functions`` (statically linked) while replaying
the write-ahead log of a process that was killed, and the file would no longer open.
A reader sees the warehouse and nothing else: no file reads or writes, no attaches, no
extension installs, and it cannot change that configuration.
Damage is reported, not written over: ``connect(verify=True)`` (``nextbar init``) reads every
table of an existing file in full before migrating it, and a write that fails for lack of
space says "disk full" (the failed commit's rollback never hides it).
A writer's open and close also bring the calendars up to date (warehouse.calendar: closures
seen in the bars past a calendar's horizon, forecasts re-targeted); a reader's open loads the
recorded closures.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import duckdb

from pipeline.environment import LOCK_WAIT, env_value
from pipeline.errors import InputError, NextbarError, WarehouseBusyError
from warehouse.calendar import load_closures, sync_calendars
from warehouse.migrate import migrate

# Users open the file with their own DuckDB tools (the 1.5 CLI among them); a file
# written with duckdb 2.0's default storage version is unreadable there.
STORAGE_COMPATIBILITY = "v1.4.0"
# How long an opening waits for another process to release the file (NEXTBAR_LOCK_WAIT, s).
DEFAULT_LOCK_WAIT_S = 30.0

_Config = dict[str, str | bool | int | float | list[str]]
_OFFLINE: _Config = {"autoinstall_known_extensions": False, "autoload_known_extensions": True}
# A reader's configuration is locked once open (see _lock_reader).
_READER: _Config = {**_OFFLINE, "enable_external_access": False}
_WRITER: _Config = {**_OFFLINE, "storage_compatibility_version": STORAGE_COMPATIBILITY}


_NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device"


class WarehouseDamagedError(InputError):
    """An existing warehouse file that cannot be read in full (truncated, overwritten)."""


class DiskFullError(NextbarError):
    """A write failed because the disk holding it is full."""


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


def check_readable(target: Path, wait_s: float) -> None:
    """Read every table of an existing warehouse file in full; WarehouseDamagedError if any
    part of it cannot be read (nothing is written to it)."""
    if not target.exists() or target.stat().st_size == 0:
        return
    try:
        con = _open(target, True, wait_s)
    except WarehouseBusyError:
        raise
    except InputError as exc:
        raise WarehouseDamagedError(_damaged(target, str(exc.__cause__ or exc))) from None
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database()"
        ).fetchall()
        for schema, table in tables:
            name = ".".join('"' + part.replace('"', '""') + '"' for part in (schema, table))
            # hash of the whole row: every column of every row is read
            con.execute(f"select bit_xor(hash(t)) from {name} as t").fetchall()
    except duckdb.Error as exc:
        raise WarehouseDamagedError(_damaged(target, str(exc))) from None
    finally:
        con.close()


def _damaged(target: Path, reason: str) -> str:
    return (
        f"warehouse {target} is damaged and was left as it is: {reason.splitlines()[0]}; "
        "restore it from a backup, or move it aside to start a new one"
    )


def disk_full(exc: BaseException) -> DiskFullError | None:
    """The DiskFullError for an error caused (anywhere in its chain) by a full disk, or None."""
    seen: BaseException | None = exc
    while seen is not None:
        if (isinstance(seen, OSError) and seen.errno == errno.ENOSPC) or (
            isinstance(seen, duckdb.Error) and _NO_SPACE in str(seen)
        ):
            reason = str(seen).splitlines()[0] if str(seen) else _NO_SPACE
            return DiskFullError(
                f"disk full: {reason}; nothing of this write was stored (what was stored "
                "before is intact): free some space and run it again"
            )
        seen = seen.__cause__ or seen.__context__
    return None


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, wait_s: float | None = None, verify: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; a writer creates and upgrades it, a reader needs it to exist.
    ``verify`` first reads an existing file in full (WarehouseDamagedError if it cannot)."""
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
    wait = lock_wait_s() if wait_s is None else wait_s
    if verify:
        check_readable(target, wait)
    try:
        con = _open(target, read_only, wait)
        try:
            if read_only:
                load_closures(con)
                _lock_reader(con)
            else:
                migrate(con)
                sync_calendars(con)
            yield con
            if not read_only:  # closures the bars just written show, known at once
                sync_calendars(con)
        finally:
            con.close()
    except (duckdb.Error, OSError) as exc:
        if (full := disk_full(exc)) is not None:
            raise full from None
        raise


def _lock_reader(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar (DuckDB prints it on stdout, into a streamed CSV), then the
    configuration locked: the reader's query cannot change it."""
    con.execute("set enable_progress_bar = false")
    con.execute("set lock_configuration = true")
