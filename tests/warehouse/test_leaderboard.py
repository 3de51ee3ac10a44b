"""The leaderboard's Diebold-Mariano test and recent errors, checked by hand on a real file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.evaluation.significance import diebold_mariano
from warehouse.connection import connect
from warehouse.forecasts import FORECAST_COLUMNS, issue_forecasts, recent_errors

DAYS = 40
START = date(2024, 1, 1)


def _store(con: duckdb.DuckDBPyConnection, closes: np.ndarray, predicted: np.ndarray) -> None:
    """BTC-USD bars with these closes, and a 'model' forecast of each next close."""
    con.execute(
        "insert into symbols (symbol, name, calendar, currency, timezone, yahoo_ticker)"
        " values ('BTC-USD', 'Bitcoin', '24/7', 'USD', 'UTC', 'BTC-USD') on conflict do nothing"
    )
    dates = [START + timedelta(days=i) for i in range(len(closes))]
    con.executemany(
        "insert into bars values (?, ?, ?, ?, ?, ?, 1, null, null, false, 'usd', 'none',"
        " 'test', 'run', now())",
        [("BTC-USD", d, c, c, c, c) for d, c in zip(dates, closes, strict=True)],
    )
    _issue(
        con,
        [
            _forecast(model, dates[i], value, closes[i])
            for model, values in (("model", predicted), ("naive", closes[:-1]))
            for i, value in enumerate(values)
        ],
    )


def _forecast(
    model: str,
    as_of: date,
    predicted: float,
    last_known: float,
    *,
    target: str = "close",
    issued_at: datetime = datetime(2024, 3, 1, tzinfo=UTC),
    is_replay: bool = True,
) -> dict[str, object]:
    """A BTC-USD forecast issued on ``as_of`` for the next day, with ±1 / ±2 intervals."""
    return {
        "symbol": "BTC-USD",
        "model": model,
        "run_id": None,
        "target": target,
        "as_of_date": as_of,
        "target_date": as_of + timedelta(days=1),
        "issued_at": issued_at,
        "predicted": predicted,
        "lower_80": predicted - 1,
        "upper_80": predicted + 1,
        "lower_95": predicted - 2,
        "upper_95": predicted + 2,
        "last_known": last_known,
        "is_champion": not is_replay,
        "is_replay": is_replay,
    }


def _issue(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    issue_forecasts(con, pd.DataFrame(rows, columns=FORECAST_COLUMNS))


@pytest.fixture
def stored(warehouse_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    closes = 100 + np.cumsum(rng.normal(0, 1, DAYS + 1))
    predicted = closes[:-1] + 0.6 * np.diff(closes) + rng.normal(0, 0.5, DAYS)
    with connect(warehouse_path) as con:
        _store(con, closes, predicted)
    return warehouse_path, closes, predicted


def test_the_leaderboard_dm_statistic_matches_the_python_test(
    stored: tuple[Path, np.ndarray, np.ndarray],
) -> None:
    path, closes, predicted = stored
    with connect(path, read_only=True) as con:
        board = con.execute(
            "select * from leaderboard where window_name = 'all' order by model"
        ).df()
    model = board[board["model"] == "model"].iloc[0]
    naive = board[board["model"] == "naive"].iloc[0]
    dm = diebold_mariano(closes[1:], predicted, closes[:-1])
    assert model["n"] == DAYS
    assert model["dm_statistic"] == pytest.approx(dm.statistic, rel=1e-9)
    # one Diebold-Mariano: the view's p-value is pipeline.evaluation.significance's
    assert model["dm_p_value_better"] == pytest.approx(stats.norm.cdf(dm.statistic), abs=1e-6)
    assert model["dm_p_value_better"] == pytest.approx(dm.p_value_better, abs=1e-6)
    assert model["dm_statistic"] < 0 and model["is_beating_naive"]
    assert pd.isna(naive["dm_statistic"]) and pd.isna(naive["dm_p_value_better"])
    # honest flags: a tie is no win, and naive calls no direction
    assert naive["skill_vs_naive"] == 0 and not naive["is_beating_naive"]
    assert not naive["is_beating_naive_interval"]
    assert pd.isna(naive["direction_accuracy"])
    base = closes[:-1]
    hits = np.sign(predicted - base) == np.sign(closes[1:] - base)
    assert model["direction_accuracy"] == pytest.approx(hits.mean())


def test_recent_errors_are_the_latest_known_on_the_day(
    stored: tuple[Path, np.ndarray, np.ndarray],
) -> None:
    path, closes, predicted = stored
    as_of = START + timedelta(days=20)
    with connect(path, read_only=True) as con:
        errors = recent_errors(con, "BTC-USD", "close", as_of, window=5, flat=("naive", "model"))
        # a model calibrated on a scale never pools the raw errors of forecasts without one
        scaled = recent_errors(con, "BTC-USD", "close", as_of, window=5)
    assert set(scaled) == {"naive"}
    days = [START + timedelta(days=i) for i in range(16, 21)]
    assert sorted(errors["model"]) == [d.isoformat() for d in days]
    i = 20  # the forecast for day 20 was issued on day 19 from close 19
    assert errors["model"][as_of.isoformat()] == pytest.approx(
        (closes[i] - predicted[i - 1]) / closes[i - 1]
    )
    assert set(errors) == {"model", "naive"}


def test_a_day_forecast_live_and_in_a_replay_counts_once_live_first(
    stored: tuple[Path, np.ndarray, np.ndarray],
) -> None:
    path, closes, predicted = stored
    day = START + timedelta(days=10)
    # five off, where the replay's forecast was not
    live = _forecast(
        "model",
        day - timedelta(days=1),
        closes[10] + 5.0,
        closes[9],
        issued_at=datetime(2024, 3, 2, tzinfo=UTC),
        is_replay=False,
    )
    with connect(path) as con:
        _issue(con, [live])
        board = con.execute(
            "select * from leaderboard where window_name = 'all' and model = 'model'"
        ).df()
    errors = np.abs(closes[1:] - predicted)
    errors[9] = 5.0
    assert board["n"].item() == DAYS
    assert board["target"].item() == "close"
    assert board["mae"].item() == pytest.approx(errors.mean())


def test_open_and_close_forecasts_are_kept_apart(
    stored: tuple[Path, np.ndarray, np.ndarray],
) -> None:
    path, closes, _ = stored
    # older than every close forecast: it must still be listed
    first = _forecast(
        "model",
        START,
        closes[0] + 1.0,
        closes[0],
        target="open",
        issued_at=datetime(2024, 3, 3, tzinfo=UTC),
        is_replay=False,
    )
    with connect(path) as con:
        _issue(con, [first])
        board = con.execute(
            "select target, n from leaderboard where window_name = 'all' and model = 'model'"
            " order by target"
        ).fetchall()
    assert board == [("close", DAYS), ("open", 1)]
