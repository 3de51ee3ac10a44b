"""The warehouse stays the warehouse: readers reach nothing else, a killed first write never
bricks it, writers wait a bounded time for the lock, and no ingest silently rewrites a series."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.data.bars import canonical
from pipeline.data.symbols import DEFAULT_SYMBOLS
from pipeline.errors import OverwriteRefusedError, WarehouseBusyError
from warehouse.connection import DiskFullError, WarehouseDamagedError, connect, disk_full
from warehouse.deferred_failures import defer_failed_ingest, deferred_path
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.migrate import schema_version
from warehouse.symbols import sync_symbols


def _bars(closes: list[float], unit: str = "usd") -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=len(closes), freq="D"),
            "open": closes,
            "high": [c * 1.1 for c in closes],
            "low": [c * 0.9 for c in closes],
            "close": closes,
            "volume": 10.0,
        }
    )
    return canonical(frame, volume_unit=unit, price_adjustment="split", source="test")


def _request(*, replace: bool = False) -> IngestRequest:
    return IngestRequest(
        str(uuid.uuid4()), "BTC-USD", "test", None, None, datetime.now(tz=UTC), replace=replace
    )


PRICES = ["open", "high", "low", "close"]


def _moutai_request() -> IngestRequest:
    return IngestRequest(str(uuid.uuid4()), "600519.SH", "test", None, None, datetime.now(tz=UTC))


def _store(path: Path, frame: pd.DataFrame, *, replace: bool = False) -> None:
    with connect(path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        store_ingest(con, _request(replace=replace), frame, pd.DataFrame())


def _closes(path: Path) -> list[float]:
    with connect(path, read_only=True) as con:
        return [r[0] for r in con.execute("select close from bars order by date").fetchall()]


@pytest.mark.parametrize(
    "query",
    [
        "copy (select 'x') to '{victim}'",
        "select 1; copy (select 'x') to '{victim}'",
        "export database '{folder}/exported'",
        "select * from read_csv('{victim}', header=false)",
        "select * from read_text('{victim}')",
        "select * from glob('{folder}/*')",
        "attach '{folder}/other.duckdb' as other",
        "install httpfs",
        "set enable_external_access = true",
        "create table t as select 1",
    ],
)
def test_a_reader_reaches_nothing_but_the_warehouse(
    warehouse_path: Path, tmp_path: Path, query: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    duckdb.connect(str(tmp_path / "other.duckdb")).close()
    _store(warehouse_path, _bars([1.0]))
    with connect(warehouse_path, read_only=True) as con, pytest.raises(duckdb.Error):
        con.execute(query.format(victim=victim, folder=tmp_path))
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "exported").exists()


def test_a_reader_still_reads_tables_and_views(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([1.0, 2.0]))
    with connect(warehouse_path, read_only=True) as con:
        assert con.execute("select count(*) from bars").fetchone() == (2,)
        con.execute("select * from leaderboard").fetchall()


def test_a_kill_during_the_first_write_never_bricks_the_warehouse(warehouse_path: Path) -> None:
    # Migrations and views written, then a hard exit: no checkpoint, no close, a WAL left.
    script = f"""
import os, duckdb
import warehouse.migrate as m
real = m._sql_files
def files(folder):
    if folder == "views":  # the migrations are committed; write the views, then die
        for _name, sql in real(folder):
            con.execute(sql)
        os._exit(9)
    return real(folder)
m._sql_files = files
con = duckdb.connect({str(warehouse_path)!r})
con.execute("set checkpoint_threshold = '1GB'")
m.migrate(con)
"""
    result = subprocess.run([sys.executable, "-c", script], check=False)
    assert result.returncode == 9
    assert warehouse_path.with_name(warehouse_path.name + ".wal").exists()
    with connect(warehouse_path, read_only=True) as con:
        con.execute("select * from leaderboard").fetchall()
    with connect(warehouse_path) as con:
        assert schema_version(con) >= 3


def test_a_writer_waits_for_the_lock_then_fails_in_one_line(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([1.0]))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(warehouse_path)!r}); "
            "print('held', flush=True); time.sleep(2)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    busy = pytest.raises(WarehouseBusyError, match="in use by another process")
    with busy, connect(warehouse_path, wait_s=0.3):
        pass
    started = time.monotonic()
    with connect(warehouse_path, wait_s=30) as con:
        assert con.execute("select count(*) from bars").fetchone() == (1,)
    assert time.monotonic() - started < 10
    holder.wait()


def test_a_failure_that_could_not_be_recorded_is_recorded_next_time(
    warehouse_path: Path,
) -> None:
    from warehouse.deferred_failures import record_deferred_failures

    _store(warehouse_path, _bars([1.0]))
    defer_failed_ingest(warehouse_path, _request(), "warehouse is in use")
    with connect(warehouse_path) as con:
        assert record_deferred_failures(con, warehouse_path) == 1
        failed = "select status, error from ingest_runs where status = 'failed'"
        assert con.execute(failed).fetchall() == [("failed", "warehouse is in use")]
    assert not deferred_path(warehouse_path).exists()


def test_an_ingest_that_would_rewrite_the_series_stores_nothing(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([100.0 + i for i in range(10)]))
    # Another instrument, or another price basis, on the same days.
    with pytest.raises(OverwriteRefusedError, match="would change 10 stored bars"):
        _store(warehouse_path, _bars([10.0 + i for i in range(10)]))
    assert _closes(warehouse_path)[0] == 100.0
    _store(warehouse_path, _bars([10.0 + i for i in range(10)]), replace=True)
    assert _closes(warehouse_path)[0] == 10.0


def test_an_ingest_that_disagrees_on_a_short_overlap_stores_nothing(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([100.0, 101.0, 102.0]))
    with pytest.raises(OverwriteRefusedError, match="disagree"):
        _store(warehouse_path, _bars([90.0, 91.0, 92.0, 93.0]))
    assert _closes(warehouse_path) == [100.0, 101.0, 102.0]


def test_a_small_revision_goes_through(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([100.0, 101.0, 102.0]))
    _store(warehouse_path, _bars([100.0, 101.5, 102.0, 103.0]))
    assert _closes(warehouse_path) == [100.0, 101.5, 102.0, 103.0]


def test_units_never_mix_within_a_series(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([100.0, 101.0]))
    for replace in (False, True):
        with pytest.raises(OverwriteRefusedError, match="units never mix"):
            _store(warehouse_path, _bars([100.0, 101.0, 102.0], unit="units"), replace=replace)
    assert _closes(warehouse_path) == [100.0, 101.0]


def test_another_basis_explained_by_one_factor_rebases_the_stored_history(
    warehouse_path: Path,
) -> None:
    # Real Moutai closes (bundled, qfq as of 2020-04) and the same days forward-adjusted as
    # of a later date: every price differs by one factor, as two qfq series do.
    moutai = pd.read_csv(
        Path(__file__).resolve().parents[2] / "pipeline" / "data" / "bundled" / "SH600519.csv"
    ).tail(30)
    frame = moutai[["date", "open", "high", "low", "close", "volume"]].reset_index(drop=True)

    def on_basis(scale: float, first: int, last: int) -> pd.DataFrame:
        part = frame.iloc[first:last].assign(**{c: frame[c] * scale for c in PRICES})
        return canonical(part, volume_unit="lots_100", price_adjustment="qfq", source="test")

    with connect(warehouse_path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        store_ingest(con, _moutai_request(), on_basis(1.0, 0, 20), pd.DataFrame())
        store_ingest(con, _moutai_request(), on_basis(0.93, 10, 30), pd.DataFrame())
        closes = con.execute("select close from bars order by date").fetchall()
        reasons = con.execute("select distinct reason from bar_revisions").fetchall()
    expected = frame["close"] * 0.93
    assert [c for (c,) in closes] == pytest.approx(expected.tolist(), rel=1e-9)
    assert reasons == [("rebased x0.93 onto the basis of test",)]


def test_another_basis_no_factor_explains_is_refused(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([100.0 + i for i in range(10)]))
    other = _bars([50.0 + 2 * i for i in range(10)])
    other["price_adjustment"] = "qfq"
    with pytest.raises(OverwriteRefusedError, match="nothing stored"):
        _store(warehouse_path, other)


def _filled(path: Path) -> int:
    """A warehouse with enough bars to span many blocks, checkpointed; its size."""
    n = 20_000
    frame = pd.DataFrame(
        {
            "date": pd.date_range("1970-01-02", periods=n, freq="D"),
            "open": np.linspace(1, 2, n),
            "high": np.linspace(1, 2, n) * 1.1,
            "low": np.linspace(1, 2, n) * 0.9,
            "close": np.linspace(1, 2, n),
            "volume": 10.0,
        }
    )
    _store(path, canonical(frame, volume_unit="usd", price_adjustment="split", source="test"))
    with connect(path) as con:
        con.execute("checkpoint")
    return path.stat().st_size


def test_verify_refuses_a_truncated_warehouse_and_writes_nothing(warehouse_path: Path) -> None:
    size = _filled(warehouse_path)
    os.truncate(warehouse_path, size // 2)
    damaged = warehouse_path.read_bytes()
    with (
        pytest.raises(WarehouseDamagedError, match="is damaged and was left as it is"),
        connect(warehouse_path, verify=True),
    ):
        pass
    assert warehouse_path.read_bytes() == damaged
    assert not warehouse_path.with_name(warehouse_path.name + ".wal").exists()


def test_verify_passes_a_sound_warehouse(warehouse_path: Path) -> None:
    _filled(warehouse_path)
    with connect(warehouse_path, verify=True) as con:
        assert con.execute("select count(*) from bars").fetchone() == (20_000,)


def test_init_on_a_truncated_warehouse_says_damaged_and_stops(warehouse_path: Path) -> None:
    size = _filled(warehouse_path)
    os.truncate(warehouse_path, size // 2)
    nextbar = shutil.which("nextbar") or str(Path(sys.executable).with_name("nextbar"))
    result = subprocess.run(
        [nextbar, "init", "--warehouse", str(warehouse_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ready" not in result.stdout
    assert f"error: warehouse {warehouse_path} is damaged" in result.stderr
    assert warehouse_path.stat().st_size == size // 2


def test_a_full_disk_says_disk_full_and_keeps_the_data(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([1.0, 2.0]))
    with connect(warehouse_path) as con:
        con.execute("checkpoint")
    # Every write of the write-ahead log now fails with ENOSPC, as on a full disk.
    warehouse_path.with_name(warehouse_path.name + ".wal").symlink_to("/dev/full")
    with pytest.raises(DiskFullError, match=r"^disk full: .*No space left on device"):
        _store(warehouse_path, _bars([1.0, 2.0, 3.0, 4.0]))
    warehouse_path.with_name(warehouse_path.name + ".wal").unlink()
    assert _closes(warehouse_path) == [1.0, 2.0]


def test_disk_full_is_found_anywhere_in_an_errors_chain() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/models/x.keras")
        except OSError:  # as a failed commit's rollback did: the cause is only the context
            raise duckdb.TransactionException("cannot rollback - no transaction is active")  # noqa: B904
    except duckdb.Error as exc:
        full = disk_full(exc)
    assert full is not None and str(full).startswith("disk full: [Errno 28]")
    assert disk_full(duckdb.IOException("Could not read enough bytes")) is None
