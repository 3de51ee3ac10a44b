"""Versioned migrations: numbered ``.sql`` files applied once, in order, and recorded.

Views are derived from the tables, so they are recreated from ``views/`` on every writer open
(with the scores stored for them, when those files changed: ``warehouse.scores``).
"""

from __future__ import annotations

import re
from contextlib import suppress
from importlib import resources

import duckdb

from warehouse.scores import refresh_if_redefined

_MIGRATION_NAME = re.compile(r"^(\d{3})_(\w+)\.sql$")


def _sql_files(folder: str) -> list[tuple[str, str]]:
    """(file name, text) of the package's ``folder/*.sql``, sorted by name."""
    root = resources.files("warehouse").joinpath(folder)
    files = [f for f in root.iterdir() if f.name.endswith(".sql")]
    return [(f.name, f.read_text(encoding="utf-8")) for f in sorted(files, key=lambda f: f.name)]


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations and recreate the views; return the versions applied now."""
    con.execute(
        "create table if not exists schema_migrations ("
        " version integer primary key, name varchar not null,"
        " applied_at timestamptz not null default now())"
    )
    done = {row[0] for row in con.execute("select version from schema_migrations").fetchall()}
    applied = []
    for name, sql in _sql_files("migrations"):
        match = _MIGRATION_NAME.match(name)
        if match is None:
            raise ValueError(f"migration file {name} is not named NNN_name.sql")
        version = int(match.group(1))
        if version in done:
            continue
        con.execute("begin transaction")
        try:
            con.execute(sql)
            con.execute(
                "insert into schema_migrations (version, name) values (?, ?)", [version, name]
            )
            con.execute("commit")
        except Exception:
            with suppress(duckdb.TransactionException):  # a failed commit ended it already
                con.execute("rollback")
            raise
        applied.append(version)
    views = _sql_files("views")
    for _name, sql in views:
        con.execute(sql)
    refresh_if_redefined(con, "".join(sql for _name, sql in views))
    if applied:
        # Fold the new schema into the file now rather than leave it in the write-ahead log.
        con.execute("checkpoint")
    return applied


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest applied migration version (0 for an empty file)."""
    [(version,)] = con.execute("select coalesce(max(version), 0) from schema_migrations").fetchall()
    return int(version)
