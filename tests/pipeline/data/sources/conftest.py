"""Fixtures shared by the source tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
import yfinance as yf
from local_server import Handler, LocalServer
from yfinance.data import YfData


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], LocalServer]]:
    """Start a LocalServer answering with a handler; all are stopped after the test."""
    with ExitStack() as stack:
        yield lambda handler: stack.enter_context(LocalServer(handler))


@pytest.fixture(scope="session")
def yfinance_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep yfinance's sqlite caches (ticker time zones, cookies) out of the home directory."""
    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yfinance-cache")))


@pytest.fixture
def fresh_yfinance_state(yfinance_cache_in_tmp: None) -> Iterator[None]:
    """Each test starts without yfinance's process-wide session, crumb and response cache."""
    instances = type(YfData)._instances
    previous = instances.pop(YfData, None)
    YfData.cache_get.cache_clear()
    yield
    YfData.cache_get.cache_clear()
    instances.pop(YfData, None)
    if previous is not None:
        instances[YfData] = previous
