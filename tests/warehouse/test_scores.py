"""The stored scores behind forecast_accuracy and leaderboard stay what their definitions give
after every kind of write: bars arriving late, revised bars, a live forecast after a replay,
another symbol's writes, and a change of the view files."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.data.bars import canonical
from pipeline.data.symbols import DEFAULT_SYMBOLS
from warehouse.connection import connect
from warehouse.forecasts import issue_forecasts
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.scores import DERIVED_TABLES, refresh_if_redefined
from warehouse.symbols import sync_symbols

START = date(2024, 1, 1)
DAYS = 30
CLOSES = [100.0 + (i % 7) - 0.3 * i for i in range(DAYS + 1)]


def _ingest(con: duckdb.DuckDBPyConnection, symbol: str, closes: list[float], first: date) -> None:
    frame = pd.DataFrame(
        {
            "date": pd.date_range(first, periods=len(closes), freq="D"),
            "open": closes,
            "high": [c * 1.01 for c in closes],
            "low": [c * 0.99 for c in closes],
            "close": closes,
            "volume": 10.0,
            "is_partial": False,
        }
    )
    bars = canonical(frame, volume_unit="usd", price_adjustment="split", source="test")
    request = IngestRequest(str(uuid.uuid4()), symbol, "test", None, None, datetime.now(tz=UTC))
    store_ingest(con, request, bars, pd.DataFrame())


def _forecast(
    model: str, as_of: date, predicted: float, *, is_replay: bool = True, symbol: str = "BTC-USD"
) -> dict[str, object]:
    last = CLOSES[(as_of - START).days]
    return {
        "symbol": symbol,
        "model": model,
        "run_id": None,
        "target": "close",
        "as_of_date": as_of,
        "target_date": as_of + timedelta(days=1),
        "issued_at": datetime(2024, 3, 1 if is_replay else 2, tzinfo=UTC),
        "predicted": predicted,
        "lower_80": predicted - 1,
        "upper_80": predicted + 1,
        "lower_95": predicted - 2,
        "upper_95": predicted + 2,
        "last_known": last,
        "is_champion": not is_replay,
        "is_replay": is_replay,
        "scale": None,
        "quantiles": {0.025: predicted - 2, 0.1: predicted - 1, 0.9: predicted + 1},
    }


def _replays(symbol: str = "BTC-USD") -> pd.DataFrame:
    """naive and a 'model' for every day, and one for the day after the last bar."""
    days = [START + timedelta(days=i) for i in range(DAYS)]
    rows = [_forecast("naive", d, CLOSES[i], symbol=symbol) for i, d in enumerate(days)]
    rows += [_forecast("model", d, CLOSES[i] + 0.5, symbol=symbol) for i, d in enumerate(days)]
    return pd.DataFrame(rows)


def _scores(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    return con.execute(f"select * from {source}").df().sort_values("forecast_id", ignore_index=True)


def _board(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    return (
        con.execute(f"select * from {source}")
        .df()
        .sort_values(["symbol", "target", "model", "window_name"], ignore_index=True)
    )


def _rows(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    frame = con.execute(f"select * from {source}").df()
    return frame.sort_values(list(frame.columns), ignore_index=True)


def assert_as_defined(con: duckdb.DuckDBPyConnection) -> None:
    """Every stored table holds exactly what its definition computes now."""
    every = "(select list(distinct symbol) from forecasts)"
    for table, definition in DERIVED_TABLES.items():
        pd.testing.assert_frame_equal(
            _rows(con, table), _rows(con, f"{definition}({every})"), obj=table
        )
    pd.testing.assert_frame_equal(
        _board(con, "leaderboard"), _board(con, f"leaderboard_of({every})")
    )


@pytest.fixture
def con(warehouse_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """BTC-USD bars up to day 20, and forecasts of every day up to 30."""
    with connect(warehouse_path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        _ingest(con, "BTC-USD", CLOSES[:21], START)
        issue_forecasts(con, _replays())
        yield con


def _actuals(con: duckdb.DuckDBPyConnection) -> dict[date, float]:
    rows = con.execute(
        "select target_date, actual from forecast_accuracy where model = 'naive'"
    ).fetchall()
    return {day: actual for day, actual in rows}


def test_a_bar_arriving_later_scores_its_forecasts(con: duckdb.DuckDBPyConnection) -> None:
    assert max(_actuals(con)) == START + timedelta(days=20)
    _ingest(con, "BTC-USD", CLOSES[21:], START + timedelta(days=21))
    assert max(_actuals(con)) == START + timedelta(days=DAYS)
    [(n,)] = con.execute(
        "select n from leaderboard where model = 'model' and window_name = 'all'"
    ).fetchall()
    assert n == DAYS
    assert_as_defined(con)


def test_a_revised_bar_re_scores_its_forecasts(con: duckdb.DuckDBPyConnection) -> None:
    day = START + timedelta(days=10)
    revised = [*CLOSES[:21]]
    revised[10] += 3.0
    _ingest(con, "BTC-USD", revised, START)
    assert _actuals(con)[day] == pytest.approx(CLOSES[10] + 3.0)
    [(old,)] = con.execute("select old_close from bar_revisions").fetchall()
    assert old == CLOSES[10]
    assert_as_defined(con)


def test_a_live_forecast_takes_the_replays_place(con: duckdb.DuckDBPyConnection) -> None:
    as_of = START + timedelta(days=9)
    issue_forecasts(con, pd.DataFrame([_forecast("model", as_of, 90.0, is_replay=False)]))
    rows = con.execute(
        """
        select is_replay, is_day_forecast from forecast_accuracy
        where model = 'model' and target_date = ? order by is_replay
        """,
        [as_of + timedelta(days=1)],
    ).fetchall()
    assert rows == [(False, True), (True, False)]
    [(n, mae)] = con.execute(
        "select n, mae from leaderboard where model = 'model' and window_name = 'all'"
    ).fetchall()
    errors = [abs(CLOSES[t] - CLOSES[t - 1] - 0.5) for t in range(1, 21)]
    errors[9] = abs(CLOSES[10] - 90.0)
    assert n == 20 and mae == pytest.approx(sum(errors) / 20)
    assert_as_defined(con)


def test_another_symbols_writes_leave_a_symbol_as_it_was(
    con: duckdb.DuckDBPyConnection,
) -> None:
    before = _scores(con, "forecast_accuracy")
    _ingest(con, "600519.SH", CLOSES, START)
    issue_forecasts(con, _replays("600519.SH"))
    after = _scores(con, "forecast_accuracy")
    pd.testing.assert_frame_equal(
        after[after["symbol"] == "BTC-USD"].reset_index(drop=True), before
    )
    assert set(after["symbol"]) == {"BTC-USD", "600519.SH"}
    assert_as_defined(con)


def test_changed_view_files_recompute_every_score(con: duckdb.DuckDBPyConnection) -> None:
    for table in DERIVED_TABLES:
        con.execute(f"delete from {table}")
    assert refresh_if_redefined(con, "-- other view files")
    assert not refresh_if_redefined(con, "-- other view files")
    assert len(_actuals(con)) == 20
    assert_as_defined(con)
