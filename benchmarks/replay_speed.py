"""Replay speed (issue #11): where one replayed day's time goes, and the fast replay against
the daily step run day by day (today's replay), under both retrain policies, MAE beside cost.

    python -m benchmarks.run --suite profile
    python -m benchmarks.run --suite replay_speed   # 40 days side by side, then 240 fast
    python -m benchmarks.run --suite overhead
    python -m benchmarks.run --suite warm_run
"""

from __future__ import annotations

import cProfile
import os
import pstats
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.models.recurrent import RecurrentModel
from pipeline.splits.build import build_split
from pipeline.splits.split import Split

SYMBOL, TARGET = "600519.SH", "close"
MODELS = ["naive", "drift", "linear", "gru", "lstm", "ensemble"]
RETRAIN_EVERY = 20
# One replayed day's parts: (label, function names whose cumulative time it is, their folder).
PARTS = (
    ("split builds", ("build_split",), "/pipeline/splits/"),
    ("split files (npz)", ("saved_jobs",), "/flows/"),
    ("full fits", ("_fit",), "/pipeline/models/"),
    ("fine-tunes", ("_fine_tune",), "/pipeline/models/"),
    ("predict (validation + next day)", ("predict",), "/pipeline/models/"),
    (
        "scores and interval calibration",
        ("score_parts", "calibration_pool", "interval_bounds"),
        "/pipeline/",
    ),
    ("model saves", ("save",), "/pipeline/models/"),
    ("warehouse reads", ("base_runs", "recent_errors"), "/warehouse/"),
    ("warehouse writes", ("record_split", "write_runs", "new_forecasts_by_day"), "/warehouse/"),
    ("warehouse opens (migrations, views)", ("connect",), "/warehouse/"),
)


@contextmanager
def _warehouse() -> Iterator[tuple[str, list[date]]]:
    """A fresh warehouse with the bundled Moutai history; its dates."""
    from flows.ingest import ingest
    from warehouse.bars import load_bars
    from warehouse.connection import connect

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NEXTBAR_MODELS_DIR"] = str(Path(tmp) / "models")
        os.environ["NEXTBAR_SPLITS_DIR"] = str(Path(tmp) / "splits")
        path = Path(tmp) / "bench.duckdb"
        ingest(symbols=[SYMBOL], source="bundled", warehouse=str(path))
        with connect(path, read_only=True) as con:
            dates = list(load_bars(con, SYMBOL)["date"].dt.date)
        yield str(path), dates


def profile(**_: object) -> pd.DataFrame:
    """One replayed fine-tune day of the daily step (today's replay), by part, after a warm-up
    day with full retrains; "Prefect and the rest" is what the parts leave of the day's wall."""
    from flows.replay import replay_stepwise
    from pipeline.settings import load_settings
    from pipeline.step_config import StepConfig

    step = StepConfig.from_settings(
        load_settings(), models=MODELS, target=TARGET, retrain_every=RETRAIN_EVERY
    )
    with _warehouse() as (path, dates):
        replay_stepwise(SYMBOL, dates[-3], dates[-3], step, path)  # full retrains, warm-up
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(replay_stepwise, SYMBOL, dates[-2], dates[-2], step, path)
        wall = time.perf_counter() - started
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for label, names, folder in PARTS:
        seconds = sum(
            ct
            for (filename, _, name), (_, _, _, ct, _) in stats.items()
            if name in names and folder in filename
        )
        rows.append({"part": label, "seconds": seconds})
    frame = pd.DataFrame(rows)
    rest = wall - frame["seconds"].sum()
    frame = pd.concat(
        [frame, pd.DataFrame([{"part": "Prefect tasks/flows and the rest", "seconds": rest}])]
    )
    frame["share"] = frame["seconds"] / wall
    total = pd.DataFrame([{"part": "one replayed day (wall)", "seconds": wall, "share": 1.0}])
    return pd.concat([frame, total], ignore_index=True)


def _run(replay: Callable[..., object], path: str, **kwargs: object) -> float:
    started = time.perf_counter()
    replay(warehouse=path, **kwargs)
    return time.perf_counter() - started


def replay_speed(days: int = 40, long_days: int = 240, **_: object) -> pd.DataFrame:
    """The same ``days`` Moutai close days, refit every 20: today's replay (the daily step day by
    day, fine-tuning) against the fast replay fine-tuning and frozen; MAE beside naive's. Then
    the fast frozen replay over ``long_days`` (the issue's 240), whose "today" is today's cost
    per day times ``long_days``.
    """
    from flows.replay import replay, replay_stepwise
    from pipeline.settings import load_settings
    from pipeline.step_config import StepConfig
    from warehouse.connection import connect
    from warehouse.forecasts import leaderboard

    rows = []
    for name, policy, fast, n in (
        ("today: daily step day by day", "finetune", False, days),
        ("fast replay, finetune", "finetune", True, days),
        ("fast replay, frozen", "frozen", True, days),
        (f"fast replay, frozen, {long_days} days", "frozen", True, long_days),
    ):
        with _warehouse() as (path, dates):
            start, end = dates[-n - 1], dates[-2]
            if fast:
                seconds = _run(
                    replay,
                    path,
                    symbol=SYMBOL,
                    start=start,
                    end=end,
                    retrain_every=RETRAIN_EVERY,
                    models=MODELS,
                    target=TARGET,
                    policy=policy,
                )
            else:
                step = StepConfig.from_settings(
                    load_settings(),
                    models=MODELS,
                    target=TARGET,
                    retrain_every=RETRAIN_EVERY,
                    policy=policy,
                )
                seconds = _run(
                    replay_stepwise, path, symbol=SYMBOL, start=start, end=end, step=step
                )
            with connect(Path(path), read_only=True) as con:
                board = leaderboard(con, [SYMBOL])
        for row in board.to_dict("records"):
            rows.append(
                {
                    "replay": name,
                    "days": n,
                    "model": row["model"],
                    "n": row["n"],
                    "mae": row["mae"],
                    "mae_over_naive": row["mae"] / row["naive_mae"],
                    "seconds": seconds,
                }
            )
    frame = pd.DataFrame(rows)
    today = frame.loc[frame["replay"].str.startswith("today"), "seconds"].iloc[0]
    frame["speed_up"] = today * frame["days"] / days / frame["seconds"]
    return frame


def _plain_keras(split: Split, hp: dict[str, Any], epochs: int) -> float:
    """The same windows, network and settings fitted by a plain Keras script; its seconds."""
    import keras

    X, y = split.X_train, split.y_train
    started = time.perf_counter()
    keras.utils.set_random_seed(42)
    layers: list[keras.layers.Layer] = [keras.Input(shape=X.shape[1:])]
    units = list(hp["units"])
    for i, n in enumerate(units):
        layers += [keras.layers.GRU(n, return_sequences=i < len(units) - 1)]
        layers += [keras.layers.Dropout(hp["dropout"])]
    model = keras.Sequential([*layers, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(hp["learning_rate"]), loss="mse")
    model.fit(
        X,
        y,
        validation_data=(split.X_val, split.y_val),
        epochs=epochs,
        batch_size=hp["batch_size"],
        callbacks=[keras.callbacks.EarlyStopping(patience=hp["patience"])],
        verbose=0,
    )
    return time.perf_counter() - started


def overhead(epochs: int = 10, **_: object) -> pd.DataFrame:
    """nextbar's full gru retrain (fit, score, save) against a plain Keras fit of the same
    windows, both fitting ``epochs`` epochs (no early stop in so few); best of two each."""
    from benchmarks.run import _bars
    from pipeline.settings import load_settings
    from pipeline.step_config import StepConfig
    from pipeline.training.train import train_model

    step = StepConfig.from_settings(
        load_settings(), models=["gru"], target=TARGET, history_bars=1000
    )
    split = build_split(_bars(SYMBOL).tail(1000), step.split_config(), symbol=SYMBOL)
    hp = {**RecurrentModel.defaults, **step.hyperparameters_for("gru")}
    with tempfile.TemporaryDirectory() as tmp:
        train_model(split, "gru", run_id="warm-up", models_dir=Path(tmp), epochs=1)
        ours, plain = [], []
        for i in range(2):
            started = time.perf_counter()
            train_model(
                split,
                "gru",
                run_id=f"r{i}",
                models_dir=Path(tmp),
                epochs=epochs,
                hyperparameters=hp,
            )
            ours.append(time.perf_counter() - started)
            plain.append(_plain_keras(split, hp, epochs))
    return pd.DataFrame(
        [
            {"fit": "nextbar train_model (fit, score, save)", "seconds": min(ours)},
            {"fit": "plain Keras script", "seconds": min(plain)},
            {"fit": "overhead (ratio)", "seconds": min(ours) / min(plain)},
        ]
    )
