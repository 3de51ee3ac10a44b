"""Deploy tests: only those marked ``prefect_api`` use the session's Prefect harness."""

from __future__ import annotations

import pytest

MARK = "prefect_api"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARK}: needs the session's Prefect test harness")


@pytest.fixture(autouse=True)
def _prefect_when_marked(request: pytest.FixtureRequest) -> None:
    """Start the ~25 s harness only for tests that talk to a Prefect API."""
    if request.node.get_closest_marker(MARK):
        request.getfixturevalue("prefect_harness")
