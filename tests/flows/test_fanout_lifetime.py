"""The local Dask cluster's worker processes end when the process that started them is killed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Starts the cluster the daily step's task runner asks for, prints its workers' process ids
# and the resource tracker's, then waits to be killed.
_PARENT = """
import json, multiprocessing.resource_tracker as rt, os, time
from distributed import Client, LocalCluster
from flows.fanout import task_runner
from pipeline.settings_sections import DaskConfig

if __name__ == "__main__":
    cluster = LocalCluster(**task_runner(DaskConfig(workers=1)).cluster_kwargs)
    workers = list(Client(cluster).run(os.getpid).values())
    print(json.dumps([*workers, rt._resource_tracker._pid]), flush=True)
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
def test_dask_workers_end_when_their_parent_is_killed() -> None:
    assert_children_die_with_parent([_PARENT], children=2)
