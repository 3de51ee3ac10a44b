"""The daily loop on real bundled bars: forecasts, scoring once the actual arrives, replay."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from flows.daily import daily
from flows.ingest import ingest
from flows.replay import replay
from pipeline.errors import InputError, UnknownSymbolError
from pipeline.forecast.calibration import Calibration
from pipeline.forecast.intervals import calibration_pool, quantile_forecast
from pipeline.models.registry import load_model
from pipeline.models.volatility import ScaledNaiveModel
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from warehouse.bars import load_bars
from warehouse.connection import connect

pytestmark = pytest.mark.slow  # trains real Keras models

SMALL = {"window": 20, "history_bars": 400, "epochs": 1}
BASELINES = ["naive", "drift", "linear"]


def _df(path: Path, sql: str) -> pd.DataFrame:
    with connect(path, read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Moutai ingested, then four trading days replayed under the daily step's ``finetune``
    policy with a GRU beside the baselines, and the ensemble (which adds its missing member,
    lstm)."""
    path = tmp_path_factory.mktemp("daily") / "nextbar.duckdb"
    ingest(symbols=["600519.SH"], source="bundled", warehouse=str(path))
    replay(
        symbol="600519.SH",
        start=date(2020, 4, 14),
        end=date(2020, 4, 17),
        retrain_every=3,
        policy="finetune",  # the daily step's policy: the days between retrains fine-tune
        finetune_epochs=1,
        models=[*BASELINES, "gru", "ensemble"],
        warehouse=str(path),
        **SMALL,
    )
    return path


def test_replay_forecasts_each_day_from_bars_known_that_day(replayed: Path) -> None:
    rows = _df(
        replayed,
        """select f.as_of_date, f.target_date, s.as_of_date as split_as_of, s.validation_end,
                  s.first_bar_date, s.test_start
           from forecasts f join model_runs r using (run_id) join splits s using (split_id)""",
    )
    assert sorted(rows["as_of_date"].dt.date.unique()) == [
        date(2020, 4, 14),
        date(2020, 4, 15),
        date(2020, 4, 16),
        date(2020, 4, 17),
    ]
    assert (rows["split_as_of"] == rows["as_of_date"]).all()
    assert (rows["validation_end"] <= rows["as_of_date"]).all()
    assert (
        rows["test_start"].isna().all()
    )  # the daily split keeps nothing back: tomorrow is the test
    # 2020-04-17 is a Friday: its forecast is for Monday 2020-04-20.
    assert set(rows.loc[rows["as_of_date"] == "2020-04-17", "target_date"]) == {
        pd.Timestamp("2020-04-20")
    }


def test_the_policy_fine_tunes_between_full_retrains(replayed: Path) -> None:
    runs = _df(
        replayed,
        """select s.as_of_date, r.training, r.base_run_id is not null as has_base, r.epochs_run
           from model_runs r join splits s using (split_id) where r.model = 'gru'
           order by s.as_of_date""",
    )
    # retrain_every=3: full on the 14th, fine-tunes on the 15th and 16th, full again on the 17th.
    assert runs["training"].tolist() == ["full", "fine_tune", "fine_tune", "full"]
    assert runs["has_base"].tolist() == [False, True, True, False]
    assert (runs["epochs_run"] >= 1).all()  # the fine-tunes trained: the weights are not frozen


def test_scores_equal_a_hand_computation(replayed: Path) -> None:
    scored = _df(
        replayed,
        "select * from forecast_accuracy where model = 'naive' order by target_date",
    )
    bars = _df(
        replayed, "select date, close from bars where date between '2020-04-14' and '2020-04-20'"
    )
    close = dict(zip(bars["date"], bars["close"], strict=True))
    for row in scored.itertuples():
        assert row.predicted == close[row.as_of_date]  # naive: tomorrow = today
        assert row.actual == close[row.target_date]
        assert row.accuracy == pytest.approx(1 - abs(row.actual - row.predicted) / row.actual)
    assert len(scored) == 4


def test_naive_skill_is_exactly_zero_and_every_model_is_on_the_leaderboard(replayed: Path) -> None:
    board = _df(replayed, "select * from leaderboard where window_name = 'all'")
    # the ensemble adds its member lstm, the point models their scale kind naive_vol
    assert set(board["model"]) == {*BASELINES, "gru", "lstm", "ensemble", "naive_vol"}
    naive = board[board["model"] == "naive"].iloc[0]
    assert naive["skill_vs_naive"] == 0
    assert naive["n"] == 4
    assert board["naive_mae"].nunique() == 1


def test_the_ensemble_is_the_mean_of_the_days_top_three_on_validation(replayed: Path) -> None:
    runs = _df(
        replayed,
        """select s.as_of_date, r.model, r.run_id, r.hyperparameters, m.value as val_mae
           from model_runs r join splits s using (split_id)
           join metrics m on m.run_id = r.run_id and m.split = 'validation' and m.metric = 'mae'""",
    )
    forecasts = _df(replayed, "select run_id, as_of_date, model, predicted from forecasts")
    predicted = dict(zip(forecasts["run_id"], forecasts["predicted"], strict=True))
    for day, group in runs.groupby("as_of_date"):
        # naive_vol (the point models' scale) is not among the ensemble's members
        candidates = group[~group["model"].isin(["ensemble", "naive_vol"])]
        members = candidates.sort_values("val_mae", kind="stable")
        [ensemble] = group[group["model"] == "ensemble"].itertuples()
        lineage = json.loads(ensemble.hyperparameters)["combined_from"]
        assert [m["run_id"] for m in lineage] == members["run_id"].head(3).tolist(), day
        expected = sum(predicted[r] for r in members["run_id"].head(3)) / 3
        assert predicted[ensemble.run_id] == pytest.approx(expected)


def test_intervals_calibrate_on_the_errors_scored_by_that_day(replayed: Path) -> None:
    """The last day's gru quantiles: FHS on naive_vol's scale. The pool is naive_vol's
    standardised errors over its training range, then the gru's validation errors over
    naive_vol's scale of each day, replaced where the gru's own issued forecasts were already
    scored (target days up to that day, over the scale they were issued with)."""
    last = date(2020, 4, 17)
    day = f"as_of_date = '{last}'"
    [forecast] = _df(
        replayed, f"select * from forecasts where model = 'gru' and {day}"
    ).itertuples()
    [vol] = _df(
        replayed,
        f"""select f.run_id, f.scale, r.artifact_uri, s.config from forecasts f
            join model_runs r using (run_id) join splits s using (split_id)
            where f.model = 'naive_vol' and f.{day}""",
    ).itertuples()
    assert forecast.scale == pytest.approx(vol.scale)  # tomorrow's naive_vol scale
    scored = _df(
        replayed,
        f"""select strftime(target_date, '%Y-%m-%d') as day, actual, predicted, last_known, scale
            from forecast_accuracy where model = 'gru' and target_date <= '{last}'""",
    )
    assert len(scored) == 3  # issued on the 14th, 15th and 16th
    realized = {
        r.day: (r.actual - r.predicted) / r.last_known / r.scale for r in scored.itertuples()
    }
    # naive_vol's scales are not stored per validation day: its model gives them again
    with connect(replayed, read_only=True) as con:
        bars = load_bars(con, "600519.SH", until=last).tail(SMALL["history_bars"])
    split = build_split(bars, SplitConfig.from_dict(json.loads(vol.config)), symbol="600519.SH")
    model = load_model(vol.artifact_uri)
    assert isinstance(model, ScaledNaiveModel)
    scales = model.predict_scale(split)
    assert scales is not None and scales["latest"][0] == pytest.approx(vol.scale)
    earlier = model.training_errors(split)
    validation = _df(
        replayed,
        f"""select date, actual, predicted, last_known from predictions
            where run_id = '{forecast.run_id}' and split = 'validation' order by date""",
    )
    assert (validation["date"].dt.date == [d.astype(object) for d in split.validation.dates]).all()
    validation["scale"] = scales["validation"]
    calibration = Calibration()
    pool = calibration_pool(validation, realized, calibration.history, earlier)
    assert len(pool) == len(earlier) + 120  # the training range, then validation (< 1000)
    q = quantile_forecast(
        forecast.predicted, forecast.last_known, pool, scale=vol.scale, window=calibration.pool
    )
    assert forecast.upper_80 == pytest.approx(q[0.9])
    assert forecast.lower_95 == pytest.approx(q[0.025])
    # the newest errors in the pool are the gru's scored forecasts, not its validation errors
    assert pool[-3:].tolist() == pytest.approx([realized[day] for day in sorted(realized)])


def test_intervals_are_nested_and_around_the_forecast(replayed: Path) -> None:
    f = _df(replayed, "select * from forecasts")
    assert (f["lower_95"] <= f["lower_80"]).all() and (f["lower_80"] <= f["predicted"]).all()
    assert (f["predicted"] <= f["upper_80"]).all() and (f["upper_80"] <= f["upper_95"]).all()


def test_a_forecast_is_scored_once_its_bar_arrives_and_rescored_on_revision(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nextbar.duckdb"
    ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(path))
    live = {
        "symbols": ["BTC-USD"],
        "source": "bundled",
        "models": BASELINES,
        "warehouse": str(path),
    }
    daily(**live, **SMALL)
    latest = _df(path, "select * from latest_forecasts where model = 'naive'").iloc[0]
    # The bundled file's last bar (2024-05-27) is partial: the forecast is for that day, unscored.
    assert latest["target_date"] == pd.Timestamp("2024-05-27") and not latest["is_scored"]

    again = daily(**live, **SMALL, skip_ingest=True)
    assert all(d.new_forecasts == 0 for d in again.days)  # same bars, same baselines: idempotent

    final = tmp_path / "final.csv"
    final.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-05-27,68512.18,70597.88,68232.50,69394.55,69394.55,25870990717\n"
    )
    ingest(symbols=["BTC-USD"], file=str(final), warehouse=str(path))
    scored = _df(path, "select * from forecast_accuracy where model = 'naive'").iloc[0]
    assert scored["actual"] == 69394.55

    final.write_text(final.read_text().replace("69394.55,69394.55", "69400.00,69400.00"))
    ingest(symbols=["BTC-USD"], file=str(final), warehouse=str(path))
    rescored = _df(path, "select * from forecast_accuracy where model = 'naive'").iloc[0]
    assert rescored["actual"] == 69400.0
    revisions = _df(path, "select reason, old_close from bar_revisions where date = '2024-05-27'")
    assert revisions["old_close"].tolist() == [pytest.approx(70009.664063), 69394.55]


def test_bad_input_fails_clearly(replayed: Path) -> None:
    with pytest.raises(UnknownSymbolError, match="ambiguous"):
        daily(symbols=["600519"], warehouse=str(replayed))
    with pytest.raises(InputError, match="after end"):
        replay(
            symbol="600519.SH",
            start=date(2020, 4, 17),
            end=date(2020, 4, 1),
            warehouse=str(replayed),
        )
    with pytest.raises(InputError, match="no stored bars"):
        replay(
            symbol="600519.SH",
            start=date(2021, 1, 4),
            end=date(2021, 1, 8),
            warehouse=str(replayed),
        )


def test_a_same_day_rerun_reuses_the_days_fits_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "nextbar.duckdb"
    ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(path))
    live = {
        "symbols": ["BTC-USD"],
        "source": "bundled",
        "skip_ingest": True,
        "models": [*BASELINES, "gru"],
        "warehouse": str(path),
        **SMALL,
    }
    runs = "select count(*) as n from model_runs"
    first = daily(**live)
    [day] = first.days
    # the baselines, gru and naive_vol (the scale the point models are issued on)
    assert day.status == "forecast" and _df(path, runs)["n"].iloc[0] == 5
    issued = _df(path, "select * from latest_forecasts order by model")

    again = daily(**live)
    [day] = again.days
    assert day.status == "reused" and day.champion == first.days[0].champion
    assert "same bars and settings" in str(day.reason) and "reused its fits and 5 forecasts" in str(
        day.reason
    )
    assert _df(path, runs)["n"].iloc[0] == 5  # nothing refitted
    pd.testing.assert_frame_equal(
        _df(path, "select * from latest_forecasts order by model"), issued
    )
    assert [s.symbol for s in again.summaries] == ["BTC-USD"]  # still reported
    assert again.plots == first.plots  # the day's chart, as drawn when it was issued

    forced = daily(**live, force=True)
    assert forced.days[0].status == "forecast" and _df(path, runs)["n"].iloc[0] == 10
    other = daily(**{**live, "models": BASELINES})  # other settings: another day's inputs
    assert other.days[0].status == "forecast"
    # back to the first settings: the day's newest run was on others, so it refits
    assert daily(**live).days[0].status == "forecast"
