"""Migrations are applied once, in order, and the file stays readable by older DuckDB."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import InputError
from warehouse.connection import connect
from warehouse.migrate import migrate, schema_version


def _created(folder: str, kind: str) -> set[str]:
    """The names the package's SQL files under ``folder`` create as ``kind``, less those dropped."""
    texts = [f.read_text() for f in resources.files("warehouse").joinpath(folder).iterdir()]
    sql = "\n".join(t for t in texts if t).lower()
    created = re.findall(rf"create (?:or replace )?{kind} (?:if not exists )?(\w+)", sql)
    dropped = re.findall(rf"drop {kind} (?:if exists )?(\w+)", sql)
    return set(created) - {name for name in dropped if created.count(name) < 2}


def test_a_new_file_gets_every_migration(warehouse_path: Path) -> None:
    migrations = [
        f.name
        for f in resources.files("warehouse").joinpath("migrations").iterdir()
        if f.name.endswith(".sql")
    ]
    with connect(warehouse_path) as con:
        assert schema_version(con) == len(migrations)
        applied = {r[0] for r in con.execute("select name from schema_migrations").fetchall()}
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        views = {r[0] for r in con.execute("select view_name from duckdb_views()").fetchall()}
    assert applied == set(migrations)
    assert _created("migrations", "table") <= tables  # every migration's tables
    assert "forecasts" in tables and "day_runs" in tables and "calendar_closures" in tables
    assert _created("views", "view") <= views  # and every view over them


def test_reopening_applies_nothing_twice(warehouse_path: Path) -> None:
    with connect(warehouse_path) as con:
        assert migrate(con) == []


def test_an_older_file_is_upgraded(warehouse_path: Path) -> None:
    # A file written by a nextbar that only knew migration 001.
    first = resources.files("warehouse").joinpath("migrations/001_bars.sql").read_text()
    con = duckdb.connect(str(warehouse_path))
    con.execute(
        "create table schema_migrations (version integer primary key, name varchar not null,"
        " applied_at timestamptz not null default now())"
    )
    con.execute(first)
    con.execute("insert into schema_migrations (version, name) values (1, '001_bars.sql')")
    con.close()
    with connect(warehouse_path) as con:
        assert schema_version(con) > 1
        assert con.execute("select count(*) from forecasts").fetchone() == (0,)


def test_the_file_uses_a_storage_version_older_tools_read(warehouse_path: Path) -> None:
    with connect(warehouse_path) as con:
        con.execute("select 1")
    with connect(warehouse_path, read_only=True) as con:
        rows = con.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = 'nextbar'"
        ).fetchall()
    assert rows and rows[0][0] is not None and not rows[0][0].startswith("v2")


def test_reading_a_missing_warehouse_says_what_to_do(tmp_path: Path) -> None:
    with (
        pytest.raises(InputError, match="nextbar init"),
        connect(tmp_path / "nope.duckdb", read_only=True),
    ):
        pass


def test_bar_revisions_have_a_key_and_units_are_documented(warehouse_path: Path) -> None:
    with connect(warehouse_path) as con:
        keys = con.execute(
            "select constraint_column_names from duckdb_constraints()"
            " where table_name = 'bar_revisions' and constraint_type = 'PRIMARY KEY'"
        ).fetchall()
        comments = dict(
            con.execute(
                "select table_name || '.' || column_name, comment from duckdb_columns()"
                " where comment is not null"
            ).fetchall()
        )
    assert keys == [(["symbol", "date", "revised_by_run_id"],)]
    assert "thousands of CNY" in comments["bars.amount"]
    assert "thousands of CNY" in comments["bar_revisions.old_amount"]
    assert "percent" in comments["metrics.value"]
    assert "symbols.currency" in comments["forecasts.predicted"]
