"""A user's own query (``nextbar sql``): one statement, its result read in chunks.

The connection is the read-only one of :func:`warehouse.connection.connect`, so the query sees
the warehouse and nothing else. A DuckDB error keeps its ``LINE n:`` context and caret apart
from its message, so the command line can show either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb

from pipeline.errors import InputError

Row = tuple[Any, ...]


class QueryError(InputError):
    """DuckDB refused the query; ``context`` holds its ``LINE n:`` and caret lines."""

    def __init__(self, message: str, context: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.context = context


def query_error(exc: duckdb.Error) -> QueryError:
    """``exc`` as one message (with the caret's column) and its context lines."""
    message, _, rest = str(exc).partition("\nLINE ")
    context = tuple(f"LINE {rest}".splitlines()) if rest else ()
    text = " ".join(message.split())
    if len(context) == 2 and "^" in context[1]:
        head = context[0].split(":", 1)[0]  # "LINE 1"
        column = context[1].index("^") - len(head) - 1
        text += f" ({head.lower()}, column {column})"
    return QueryError(text, context)


def run_query(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    """Execute the one statement of ``query`` on ``con``; the result's column names.

    Raises InputError for an empty query or several statements, QueryError when DuckDB
    refuses it.
    """
    try:
        statements = con.extract_statements(query)
        if not statements:
            raise InputError("sql: the query is empty: give one SQL statement")
        if len(statements) > 1:
            raise InputError(
                f"sql: {len(statements)} statements given: run one per `nextbar sql` "
                "(each prints its own result)"
            )
        con.execute(statements[0])
    except duckdb.Error as exc:
        raise query_error(exc) from None
    return [column[0] for column in con.description or ()]


def rows(con: duckdb.DuckDBPyConnection, chunk: int = 10_000) -> Iterator[list[Row]]:
    """The rest of the executed query's result, ``chunk`` rows at a time."""
    try:
        while batch := con.fetchmany(chunk):
            yield batch
    except duckdb.Error as exc:  # errors found while reading on (a bad cast in a late row)
        raise query_error(exc) from None
