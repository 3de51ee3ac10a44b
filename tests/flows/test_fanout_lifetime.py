"""The local Dask cluster's worker processes end when the process that started them is killed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pipeline.test_workers import _alive

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


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_dask_workers_end_when_their_parent_is_killed() -> None:
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        children = json.loads(parent.stdout.readline())
        assert len(children) == 2 and all(_alive(pid) for pid in children)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in children if _alive(pid)]
    finally:
        parent.kill()
