"""Prefect global concurrency limits around the warehouse writer and the GPU.

DuckDB lets one process open a file for writing, and every deployment run is its own process, so
two runs writing at once would fail on the file lock. deploy/setup.sh creates the limits; where
they do not exist (``nextbar`` on a laptop, the tests) the context managers do nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectNotFound

WAREHOUSE_WRITER = "warehouse-writer"  # limit 1: one run writes the warehouse at a time
GPU = "gpu"  # limit = the number of GPUs: one training job per GPU


@contextmanager
def warehouse_writer() -> Iterator[None]:
    """Hold the ``warehouse-writer`` slot while the body opens the warehouse read-write."""
    with _slot(WAREHOUSE_WRITER):
        yield


@contextmanager
def gpu_slot() -> Iterator[None]:
    """Hold one ``gpu`` slot while the body trains."""
    with _slot(GPU):
        yield


@contextmanager
def _slot(name: str) -> Iterator[None]:
    if not _limit_exists(name):
        yield
        return
    # strict=False: a limit deleted since the check is skipped, as if it had never existed
    with concurrency(name, occupy=1, strict=False):
        yield


def _limit_exists(name: str) -> bool:
    # Asked first because concurrency(strict=False) would log a warning on every call where
    # the limit was never created, which is the normal case outside a deployed setup.
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            return False
    return True
