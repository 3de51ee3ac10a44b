"""The fast replay stores what the live step run day by day stores: forecasts, intervals,
quantiles, runs, metrics and predictions, over 30 trading days of each bundled symbol."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flows.daily import daily
from flows.ingest import ingest
from flows.replay import replay, replay_stepwise
from pipeline.settings import load_settings
from pipeline.step_config import StepConfig
from warehouse.connection import connect

# 30 stored trading days each: BTC's last complete UTC days (the 27th is partial); Moutai's
# across the 2019 National Day week (XSHG closed 1-7 October).
RANGES = {
    "BTC-USD": (date(2024, 4, 27), date(2024, 5, 26)),
    "600519.SH": (date(2019, 9, 16), date(2019, 11, 1)),
}
KERAS = ["naive", "gru", "linear"]  # and naive_vol, their scale
KERAS_FREE = ["naive", "drift", "linear", "naive_ewma", "naive_garch", "naive_har", "naive_vol"]
SMALL: dict[str, Any] = {
    "window": 20,
    "history_bars": 400,
    "epochs": 1,
    "retrain_every": 7,
    "finetune_epochs": 1,
}
RTOL = 1e-9

# What each table is compared on: ids and clocks left out, a run named by (model, issue day).
_RUN = (
    "r.model, s.as_of_date, r.training, r.status, r.epochs_run, r.purpose, "
    # a fine-tune's hyperparameters name its base's artifact (by run id): compared as base_*
    """regexp_replace(r.hyperparameters::varchar, '"fine_tuned_from": "[^"]*", ', '') """
    "as hyperparameters, "
    "b.model as base_model, bs.as_of_date as base_as_of, b.training as base_training"
)
TABLES = {
    "forecasts": (
        "select f.model, f.target, f.as_of_date, f.target_date, f.predicted, f.lower_80, "
        "f.upper_80, f.lower_95, f.upper_95, f.last_known, f.scale, f.is_champion, f.is_replay, "
        "f.run_id is null as no_run from forecasts f order by f.as_of_date, f.model, f.is_replay"
    ),
    "quantiles": (
        "select f.model, f.as_of_date, f.is_replay, q.level, q.value from forecast_quantiles q "
        "join forecasts f using (forecast_id) order by f.as_of_date, f.model, f.is_replay, q.level"
    ),
    "runs": (
        f"select {_RUN} from model_runs r join splits s using (split_id) "
        "left join model_runs b on b.run_id = r.base_run_id "
        "left join splits bs on bs.split_id = b.split_id order by s.as_of_date, r.model, r.purpose"
    ),
    "metrics": (
        "select r.model, s.as_of_date, m.split, m.metric, m.value from metrics m "
        "join model_runs r using (run_id) join splits s using (split_id) "
        "order by s.as_of_date, r.model, r.purpose, m.split, m.metric"
    ),
    "predictions": (
        "select r.model, s.as_of_date, p.split, p.date, p.predicted, p.actual, p.last_known "
        "from predictions p join model_runs r using (run_id) join splits s using (split_id) "
        "order by s.as_of_date, r.model, r.purpose, p.split, p.date"
    ),
}


def _copy(source: Path, directory: Path, name: str) -> str:
    target = directory / f"{name}.duckdb"
    shutil.copy(source, target)
    return str(target)


def _tables(path: str) -> dict[str, pd.DataFrame]:
    with connect(Path(path), read_only=True) as con:
        return {name: con.execute(sql).df() for name, sql in TABLES.items()}


def assert_same_tables(
    ours: dict[str, pd.DataFrame], theirs: dict[str, pd.DataFrame], rtol: float = RTOL
) -> None:
    """Equal rows, table by table: floats within ``rtol``, everything else exactly."""
    for name, frame in ours.items():
        other = theirs[name]
        assert len(frame) == len(other), f"{name}: {len(frame)} rows != {len(other)}"
        assert len(frame), f"{name}: no rows"
        floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
        exact = [c for c in frame.columns if c not in floats]
        pd.testing.assert_frame_equal(frame[exact], other[exact], obj=name)
        for column in floats:
            np.testing.assert_allclose(
                frame[column], other[column], rtol=rtol, atol=0, err_msg=f"{name}.{column}"
            )


def _replay_pair(
    base: Path,
    directory: Path,
    symbol: str,
    policy: str,
    models: list[str],
    span: tuple[date, date],
) -> tuple[list[date], float, float, dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Replay ``span`` fast and stepwise from copies of ``base``: the days, each path's
    seconds and each path's tables."""
    start, end = span
    fast = _copy(base, directory, f"fast-{policy}")
    stepwise = _copy(base, directory, f"stepwise-{policy}")
    clock = time.perf_counter()
    days = replay(
        symbol=symbol, start=start, end=end, models=models, policy=policy, warehouse=fast, **SMALL
    )
    fast_s = time.perf_counter() - clock
    step = StepConfig.from_settings(load_settings(), models=models, policy=policy, **SMALL)
    clock = time.perf_counter()
    replay_stepwise(symbol=symbol, start=start, end=end, step=step, warehouse=stepwise)
    stepwise_s = time.perf_counter() - clock
    return [d.as_of for d in days if d.as_of], fast_s, stepwise_s, _tables(fast), _tables(stepwise)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both bundled histories in a warehouse nothing has forecast from yet."""
    path = tmp_path_factory.mktemp("identity") / "bars.duckdb"
    ingest(symbols=list(RANGES), source="bundled", warehouse=str(path))
    return path


Pair = tuple[list[date], float, float, dict[str, pd.DataFrame], dict[str, pd.DataFrame]]


@pytest.fixture(scope="module")
def keras_free(
    ingested: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, str], Pair]:
    """Each (symbol, policy)'s replay pair of the Keras-free kinds, run once for the module."""

    @cache
    def pair(symbol: str, policy: str) -> Pair:
        directory = tmp_path_factory.mktemp(f"{symbol}-{policy}")
        return _replay_pair(ingested, directory, symbol, policy, KERAS_FREE, RANGES[symbol])

    return pair


# one case a symbol in the fast loop (a pair takes ~100 s: the stepwise path's tasks), the rest slow
CASES = [
    ("BTC-USD", "finetune"),
    ("600519.SH", "frozen"),
    pytest.param("BTC-USD", "frozen", marks=pytest.mark.slow),
    pytest.param("600519.SH", "finetune", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("symbol", "policy"), CASES)
def test_thirty_trading_days_are_replayed(
    keras_free: Callable[[str, str], Pair], symbol: str, policy: str
) -> None:
    days, fast_s, stepwise_s, _, _ = keras_free(symbol, policy)
    start, end = RANGES[symbol]
    assert len(days) == 30 and days[0] == start and days[-1] == end
    if symbol == "600519.SH":  # no day of the National Day closure
        assert not [d for d in days if date(2019, 10, 1) <= d <= date(2019, 10, 7)]
    print(f"{symbol} {policy}: fast {fast_s:.1f} s, stepwise {stepwise_s:.1f} s")


@pytest.mark.parametrize(("symbol", "policy"), CASES)
def test_the_replay_stores_what_the_day_step_stores(
    keras_free: Callable[[str, str], Pair], symbol: str, policy: str
) -> None:
    _, _, _, ours, theirs = keras_free(symbol, policy)
    # every kind, every day, and one champion a day
    assert len(ours["forecasts"]) == 30 * len(KERAS_FREE)
    assert ours["forecasts"].groupby("as_of_date")["is_champion"].sum().eq(1).all()
    assert_same_tables(ours, theirs)


@pytest.mark.slow
def test_a_keras_replay_across_a_holiday_over_live_days_stores_what_the_day_step_stores(
    ingested: Path, tmp_path: Path
) -> None:
    """GRU, fine-tuned, across the National Day closure, in a warehouse holding live forecasts
    of two of the replayed days (the replay's forecasts sit beside them, its calibration pools
    take the live errors first)."""
    live = tmp_path / "live.duckdb"
    shutil.copy(ingested, live)
    for day in (date(2019, 9, 26), date(2019, 9, 27), date(2019, 9, 30)):
        daily(
            symbols=["600519.SH"],
            source="bundled",
            as_of=day,
            skip_ingest=True,
            warehouse=str(live),
            models=KERAS,
            **SMALL,
        )
    span = (date(2019, 9, 27), date(2019, 10, 10))
    days, *_, ours, theirs = _replay_pair(live, tmp_path, "600519.SH", "finetune", KERAS, span)
    assert days == [date(2019, 9, d) for d in (27, 30)] + [date(2019, 10, d) for d in (8, 9, 10)]
    assert ours["forecasts"]["is_replay"].value_counts().to_dict() == {True: 5 * 4, False: 3 * 4}
    assert_same_tables(ours, theirs, rtol=1e-5)  # float32 networks, as test_replay_flow's
