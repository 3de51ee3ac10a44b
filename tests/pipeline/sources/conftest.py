"""Fixtures shared by the source tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from local_server import Handler, LocalServer


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], LocalServer]]:
    """Start a LocalServer answering with a handler; all are stopped after the test."""
    with ExitStack() as stack:
        yield lambda handler: stack.enter_context(LocalServer(handler))
