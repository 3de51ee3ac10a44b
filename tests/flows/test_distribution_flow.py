"""Quantile forecasts on a tiny real replay: stored, never crossing, scored beside naive's in the
views and the CLI, and drawn as a fan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest import ingest
from flows.output import console
from flows.replay import replay
from pipeline.forecast.intervals import QUANTILE_LEVELS
from pipeline.reporting.plots import plot_forecasts
from warehouse.connection import connect
from warehouse.forecasts import forecast_quantiles

KINDS = ["naive", "naive_ewma", "naive_garch", "naive_har"]  # gru_dist: test_probabilistic
SCALED = set(KINDS) - {"naive"}


def _df(path: Path, sql: str) -> pd.DataFrame:
    with connect(path, read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BTC-USD: two UTC days replayed with the volatility kinds beside naive."""
    path = tmp_path_factory.mktemp("distribution") / "nextbar.duckdb"
    ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(path))
    replay(
        symbol="BTC-USD",
        start=date(2024, 5, 24),
        end=date(2024, 5, 25),
        retrain_every=2,
        models=KINDS,
        history_bars=400,
        warehouse=str(path),
    )
    return path


def test_every_forecast_carries_non_crossing_quantiles_matching_its_intervals(
    replayed: Path,
) -> None:
    quantiles = _df(
        replayed,
        """select f.forecast_id, f.model, f.scale, f.lower_80, f.upper_80, f.lower_95,
                  f.upper_95, list(q.value order by q.level) as q, list(q.level order by q.level)
                  as levels
           from forecasts f join forecast_quantiles q using (forecast_id)
           group by all""",
    )
    assert set(quantiles["model"]) == set(KINDS) and len(quantiles) == 2 * len(KINDS)
    for row in quantiles.itertuples():
        assert list(row.levels) == list(QUANTILE_LEVELS)
        assert list(row.q) == sorted(row.q)
        at = dict(zip(row.levels, row.q, strict=True))
        assert (row.lower_80, row.upper_80) == (at[0.1], at[0.9])
        assert (row.lower_95, row.upper_95) == (at[0.025], at[0.975])
        assert (row.model in SCALED) == (row.scale == row.scale and row.scale is not None)


def test_the_leaderboard_scores_the_distribution_beside_naive(replayed: Path) -> None:
    board = _df(replayed, "select * from leaderboard where window_name = 'all'").set_index("model")
    assert set(board.index) == set(KINDS) and (board["n"] == 2).all()
    for column in ("interval_score_80", "interval_score_95", "pinball_loss", "mean_width_95"):
        assert board[column].notna().all() and (board[column] > 0).all()
    naive = board.loc["naive"]
    assert board["naive_interval_score_95"].tolist() == [naive["interval_score_95"]] * len(KINDS)
    assert board["naive_pinball_loss"].tolist() == [naive["pinball_loss"]] * len(KINDS)
    assert not naive["is_beating_naive_interval"]  # a tie is no win
    expected = board["interval_score_95"] <= board["naive_interval_score_95"]
    assert not (board["is_beating_naive_interval"] & ~expected).any()


def test_the_cli_shows_the_scores_beside_naive(
    replayed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "_width", 400)  # rich would shorten the column names
    runner = CliRunner()
    sql = runner.invoke(
        app,
        [
            "sql",
            "select model, interval_score_95, naive_interval_score_95, pinball_loss,"
            " naive_pinball_loss from leaderboard where window_name = 'all'",
            "--format",
            "csv",
            "--warehouse",
            str(replayed),
        ],
    )
    assert sql.exit_code == 0, sql.output
    assert "naive_garch" in sql.output and "naive_interval_score_95" in sql.output
    models = runner.invoke(app, ["models", "--symbol", "BTC-USD", "--warehouse", str(replayed)])
    assert models.exit_code == 0, models.output
    assert "interval_score_95" in models.output and "naive_pinball_loss" in models.output


def test_the_fan_chart_is_drawn(replayed: Path, tmp_path: Path) -> None:
    with connect(replayed, read_only=True) as con:
        latest = con.execute(
            "select * from forecasts where model = 'naive_garch' order by as_of_date desc limit 1"
        ).df()
        fan = forecast_quantiles(con, str(latest["forecast_id"].iloc[0]))
        history = con.execute("select * from forecast_accuracy where model = 'naive_garch'").df()
        bars = con.execute("select * from bars where symbol = 'BTC-USD' order by date").df()
    path = plot_forecasts(
        bars, history, latest, "BTC-USD", "close", tmp_path / "fan.png", quantiles=fan
    )
    assert len(fan) == len(QUANTILE_LEVELS) and path.stat().st_size > 10_000
