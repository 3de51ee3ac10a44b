"""Every flow test runs against the session's real Prefect test harness."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _prefect(prefect_harness: None) -> None:
    """Use the session-wide harness."""
