"""One transaction around a block of writes; a leaf module that every writer imports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit what the block writes, or roll all of it back."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        rollback(con)
        raise


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if any: a commit that failed (a full disk) has already
    ended it, and its error, not "no transaction is active", is the one to report."""
    with suppress(duckdb.TransactionException):
        con.execute("rollback")
