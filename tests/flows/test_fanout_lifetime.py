"""The local Dask cluster's worker processes end when the process that started them is killed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.test_workers import assert_children_die_with_parent

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
    assert_children_die_with_parent([_PARENT], children=2)
