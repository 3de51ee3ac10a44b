"""Shared fixtures: real files under tmp_path, one Prefect test harness per session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import pipeline.models  # noqa: F401  # the default Keras backend, before a test imports Keras

# Keep TensorFlow's C++ chatter and Prefect's telemetry out of test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Tests never look up a Prefect Secret block for the tushare token.
os.environ["NEXTBAR_NO_SECRET_BLOCK"] = "1"
os.environ.pop("TUSHARE_TOKEN", None)
# JAX's compiled steps are kept for the session, not beside each test's
# temporary warehouse.
_JAX_CACHE = tempfile.TemporaryDirectory(prefix="nextbar-test-jax-cache-")
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", _JAX_CACHE.name)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A real, temporary Prefect API for the whole session (it takes ~25 s to start).

    Flow-run heartbeats are off: Prefect 3.8 joins their thread at the end of every flow run,
    which costs up to a second a run, and no test watches for crashed runs."""
    from prefect.settings import temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings(updates={"flows.heartbeat_frequency": None}),
    ):
        yield


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    """A fresh warehouse file location (created by the first writer)."""
    return tmp_path / "nextbar.duckdb"


@pytest.fixture
def xshg_until_2026(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """XSHG's horizon pinned at 2026-12-31 (exchange-calendars 4.13's), so tests about the days
    past it stay meaningful after a release adds 2027's holidays."""
    from pipeline.data import calendars, past_horizon

    def fresh() -> None:  # nor what an earlier test's runs made known (closures, files)
        for known in (
            past_horizon._closures,
            past_horizon._holidays,
            past_horizon._extra_sessions,
            past_horizon._deferred,
        ):
            known.clear()
        calendars._sessions.cache_clear()
        calendars._trading_calendar.cache_clear()

    monkeypatch.setattr(calendars, "XSHG_LAST_DAY", date(2026, 12, 31))
    fresh()
    yield
    fresh()


@pytest.fixture
def holidays_2027_file() -> Path:
    """Invented XSHG closures of 2027 (test data only, never product data)."""
    return Path(__file__).parent / "data" / "xshg-holidays-2027-TEST-ONLY.txt"
