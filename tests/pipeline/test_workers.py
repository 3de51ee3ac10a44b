"""The fit pool: one process fits here; workers that cannot start leave the fits here."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.split import Split
from pipeline.training.jobs import FitJob, ModelOutcome
from pipeline.training.workers import AheadFits, FitPool, worker_count

CSV = Path(__file__).resolve().parents[2] / "pipeline" / "data" / "bundled" / "SH600519.csv"


def _pool(processes: int, tmp_path: Path) -> FitPool:
    return FitPool(processes, models_dir=tmp_path, epochs=1, finetune_epochs=0, seed=1)


def _split() -> Split:
    bars = pd.read_csv(CSV, index_col=0, nrows=150).drop(columns="code").reset_index(drop=True)
    bars["date"] = pd.to_datetime(bars["date"])
    config = SplitConfig(window=5, features=("close",), validation_size=20, test_size=0)
    return build_split(bars, config, symbol="600519.SH")


def test_one_process_or_one_fit_spawns_nothing(tmp_path: Path) -> None:
    job = (_split(), FitJob("naive", ""))
    assert _pool(1, tmp_path).submit([job, job]) == []
    assert _pool(2, tmp_path).submit([job]) == []
    assert _pool(1, tmp_path).submit([job], ahead=True) == []


def test_workers_that_could_not_start_leave_the_fits_here(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pool = _pool(2, tmp_path)
    broken: Future[ModelOutcome] = Future()
    broken.set_exception(BrokenProcessPool("a worker died while starting"))
    outcome = pool.result(broken, _split(), FitJob("naive", ""))
    assert outcome.status == "succeeded" and outcome.next_prediction is not None
    assert pool.processes == 1
    assert "if __name__" in caplog.text


def test_worker_count_defaults_to_the_cores() -> None:
    assert worker_count(3) == 3
    assert worker_count(None) >= 1


def test_fits_started_ahead_are_taken_on_their_day_and_stale_ones_cancelled() -> None:
    ahead = AheadFits()
    split, job = _split(), FitJob("gru", "")
    futures: dict[str, Future[ModelOutcome]] = {k: Future() for k in ("gru", "lstm", "old")}
    ahead.put("gru", date(2024, 5, 14), (futures["gru"], split, job))
    ahead.put("lstm", date(2024, 5, 14), (futures["lstm"], split, job))
    ahead.put("lstm", date(2024, 5, 10), (futures["old"], split, job))
    assert ahead.has("gru", date(2024, 5, 14))
    taken = ahead.take(date(2024, 5, 14), ["gru"])  # lstm's plan changed: not a retrain today
    assert list(taken) == ["gru"] and taken["gru"][0] is futures["gru"]
    assert futures["lstm"].cancelled() and futures["old"].cancelled()
    assert not ahead.has("lstm", date(2024, 5, 14))


# Starts two fit workers, prints their ids and the resource tracker's, then waits to be killed.
_PARENT = """
import json, multiprocessing.resource_tracker as rt, sys, time
from pathlib import Path
from tests.pipeline.test_workers import _pool, _split
from pipeline.training.jobs import FitJob

if __name__ == "__main__":
    pool = _pool(2, Path(sys.argv[1]))
    futures = pool.submit([(_split(), FitJob("naive", ""))] * 2)
    [f.result() for f in futures]
    print(json.dumps([*pool._executor._processes, rt._resource_tracker._pid]), flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def assert_children_die_with_parent(parent_script: list[str], children: int) -> None:
    """Start ``parent_script`` (it prints its children's pids as JSON, then waits), kill -9
    it, and assert that each of its ``children`` processes ends within 20 s."""
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen(
        [sys.executable, "-c", *parent_script], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        pids = json.loads(parent.stdout.readline())
        assert len(pids) == children and all(_alive(pid) for pid in pids)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in pids if _alive(pid)]
    finally:
        parent.kill()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    assert_children_die_with_parent([_PARENT, str(tmp_path)], children=3)
