"""is_interval_champion on a real file: validation scores until a model has 250 scored days,
then its trailing 250-day 95% interval score, known on the issue day and no later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from warehouse.connection import connect

SIGMAS = {"naive": 0.02, "tight": 0.004, "wide": 0.04}
VALIDATION = {"naive": 5.0, "tight": 1.0, "wide": 9.0}  # tight wins on validation


def _champions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select * from interval_champions order by target_date").df()


def _interval_scores(ladders: Any, model: str) -> np.ndarray:
    """Target day t's (1 …) 95% interval score of the model's forecast issued on day t - 1."""
    closes = ladders.closes
    lower = np.array([ladders.quantiles(model, i)[0.025] for i in range(len(closes) - 1)])
    upper = np.array([ladders.quantiles(model, i)[0.975] for i in range(len(closes) - 1)])
    actual = closes[1:]
    miss = np.maximum(lower - actual, 0) + np.maximum(actual - upper, 0)
    return upper - lower + 40 * miss


def test_validation_first_then_the_last_250_scored_days(warehouse_path: Path, store: Any) -> None:
    with connect(warehouse_path) as con:
        ladders = store.ladders(con, SIGMAS, VALIDATION)
        champions = _champions(con)
        flagged = con.execute(
            "select target_date, model from forecast_accuracy where is_interval_champion"
        ).df()
        latest = con.execute("select model, is_interval_champion from latest_forecasts").df()
    days = len(ladders.closes)
    assert len(champions) == days  # one per target day, the unscored next day included
    scores = {m: _interval_scores(ladders, m) for m in SIGMAS}
    for row in champions.itertuples():
        i = (row.as_of_date.date() - ladders.day(0)).days  # target days 1 … i are known
        assert row.n_scored == i
        if i < 250:
            assert (row.model, row.basis, row.interval_score_95) == ("tight", "validation", 1.0)
            continue
        trailing = {m: s[i - 250 : i].mean() for m, s in scores.items()}
        best = min(trailing, key=lambda m: (trailing[m], m))
        assert (row.model, row.basis) == (best, "trailing_250")
        assert row.interval_score_95 == pytest.approx(trailing[best], rel=1e-9)
    assert set(champions["basis"]) == {"validation", "trailing_250"}
    # every scored champion forecast is flagged in forecast_accuracy, and nothing else
    scored = champions[champions["target_date"] <= pd.Timestamp(ladders.day(days - 1))]
    pd.testing.assert_frame_equal(
        flagged.sort_values("target_date", ignore_index=True),
        scored[["target_date", "model"]].reset_index(drop=True),
        check_dtype=False,
    )
    assert latest["is_interval_champion"].sum() == 1
    assert latest.set_index("model")["is_interval_champion"][champions["model"].iloc[-1]]


def test_a_later_or_revised_bar_leaves_earlier_days_champions_alone(
    warehouse_path: Path, store: Any
) -> None:
    with connect(warehouse_path) as con:
        ladders = store.ladders(con, SIGMAS, VALIDATION, known=270)
        cutoff = pd.Timestamp(ladders.day(269))
        before = _champions(con)
        store.ingest(con, ladders.closes[270:], first=270)
        revised = ladders.closes[278:282] * np.array([1.0, 1.0, 0.5, 1.0])
        store.ingest(con, revised, first=278)
        after = _champions(con)
    assert (before["basis"] == "trailing_250").any()
    pd.testing.assert_frame_equal(
        before[before["as_of_date"] <= cutoff], after[after["as_of_date"] <= cutoff]
    )


def test_no_basis_no_champion_and_ties_go_by_name(warehouse_path: Path, store: Any) -> None:
    with connect(warehouse_path) as con:
        store.ladders(con, SIGMAS, days=40)  # no runs: no validation score, 39 scored days
        assert _champions(con).empty
        flags = con.execute("select is_interval_champion from latest_forecasts").fetchall()
        assert flags == [(False,)] * len(SIGMAS)
    with connect(warehouse_path.with_name("tie.duckdb")) as con:
        store.ladders(con, SIGMAS, {"naive": 2.0, "tight": 3.0, "wide": 2.0}, days=40)
        assert set(_champions(con)["model"]) == {"naive"}
