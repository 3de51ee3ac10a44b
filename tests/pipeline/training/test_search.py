"""The budgeted search: validation only (the test bars never reach it), within its budget."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.splits.config import SplitConfig
from pipeline.training.presets import get_preset
from pipeline.training.search import Candidate, SearchSpace, search

CSV = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled" / "SH600519.csv"
BASE = SplitConfig(
    window=5,
    features=("open",),
    target="open",
    test_size=20,
    validation_size=20,
    min_train_size=30,
)
SPACE = SearchSpace(
    windows=(5, 8),
    feature_sets=(("open", "close"), ("log_return", "gap")),
    target_kinds=("log_return_from_close", "level"),
    units=((4,),),
    dropouts=(0.0, 0.1),
    learning_rates=(1e-3,),
)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    """120 bars whose last 20 (the test range) are NaN: reading them would raise."""
    frame = pd.read_csv(CSV, index_col=0, nrows=120).drop(columns="code")
    frame["date"] = pd.to_datetime(frame["date"])
    frame.loc[frame.index[-BASE.test_size :], ["open", "high", "low", "close", "volume"]] = np.nan
    return frame.reset_index(drop=True)


@pytest.mark.slow
def test_search_never_sees_the_test_range(bars: pd.DataFrame) -> None:
    result = search(
        bars,
        BASE,
        symbol="600519.SH",
        kinds=("linear", "gru"),
        space=SPACE,
        budget=1,
        epochs=1,
        fixed={"gru": {"batch_size": 32}},
    )
    table = result.table
    first_test_date = bars["date"].iloc[-BASE.test_size].date()
    assert (table["validation_end"] < first_test_date).all()
    assert (table["train_end"] < table["validation_start"]).all()
    # Every candidate is ranked on the same validation targets, whatever its window.
    assert table["validation_start"].nunique() == table["validation_end"].nunique() == 1
    assert table["validation_end"].iloc[0] == bars["date"].iloc[-BASE.test_size - 1].date()
    assert np.isfinite(table["validation_mae"]).all()


@pytest.mark.slow
def test_budget_best_and_seed(bars: pd.DataFrame) -> None:
    def run(seed: int) -> pd.DataFrame:
        return search(
            bars, BASE, symbol="X", kinds=("linear",), space=SPACE, budget=3, seed=seed
        ).table

    table = run(1)
    assert len(table) == 3 and len(SPACE.grid("linear", BASE)) == 8
    assert table["validation_mae"].is_monotonic_increasing
    assert run(1)["validation_mae"].tolist() == table["validation_mae"].tolist()
    full = search(bars, BASE, symbol="X", kinds=("linear",), space=SPACE, budget=100)
    assert len(full.table) == 8  # a budget above the grid tries the whole grid once
    best = full.best
    assert isinstance(best, Candidate) and best.kind == "linear"
    assert full.table["validation_mae"].iloc[0] == full.table["validation_mae"].min()


def test_recurrent_grid_crosses_split_and_model_settings() -> None:
    grid = SPACE.grid("gru", BASE)
    assert len(grid) == 8 * 2
    assert {c.hyperparameters["dropout"] for c in grid} == {0.0, 0.1}
    assert {c.config.window for c in grid} == {5, 8} and all(
        c.config.target == "open" for c in grid
    )


def test_presets_seed_is_the_tutorials_and_default_was_searched() -> None:
    seed = get_preset("seed").split_config("open", test_size=240, validation_size=120)
    assert (seed.window, seed.features, seed.target_kind) == (60, ("open",), "level")
    assert get_preset("seed").hyperparameters_for("gru") == {
        "units": (80, 100),
        "dropout": 0.2,
        "learning_rate": 1e-3,
        "batch_size": 64,
    }
    assert get_preset("seed").epochs == 50
    default = get_preset("default")
    assert default.search is not None  # the space ``train`` re-checks the choices in
    grid = {(c.config, *c.hyperparameters.values()) for c in default.search.grid("gru", BASE)}
    for target in ("open", "close"):
        config = replace(  # the grid's target and sizes: only the searched settings differ
            default.split_config(target, test_size=20, validation_size=20),
            target="open",
            min_train_size=BASE.min_train_size,
        )
        for kind in ("gru", "lstm"):
            hp = default.hyperparameters_for(kind)
            assert (config, hp["units"], hp["dropout"], hp["learning_rate"]) in grid
    members = default.hyperparameters_for("ensemble")["member_hyperparameters"]
    assert members["gru"] == default.hyperparameters_for("gru")
    with pytest.raises(InputError, match="seed"):
        get_preset("best")


def test_train_candidates_start_from_the_preset_and_hold_no_test_range() -> None:
    default = get_preset("default")
    config = default.split_config("open", test_size=240, validation_size=120)
    candidates = default.candidates(["naive", "linear", "gru", "rnn"], config, budget=4)
    kinds = [c.kind for c in candidates]
    assert set(kinds) == {"linear", "gru"}  # naive has nothing to search; rnn is not searched
    assert candidates[0] == Candidate("linear", replace(config, test_size=0))
    own_gru = {"units": (32,), "dropout": 0.2, "learning_rate": 1e-3}
    assert candidates[1] == Candidate("gru", replace(config, test_size=0), own_gru)
    # the whole linear grid is 4 configs, one of them the preset's own: tried once
    assert kinds.count("gru") == 5 and kinds.count("linear") == 4
    assert all(c.config.test_size == 0 for c in candidates)
    assert all(c.config.target == "open" for c in candidates)
    assert default.candidates(["gru"], config, budget=0) == []
    assert get_preset("seed").candidates(["gru"], config, budget=4) == []


def test_settings_the_user_gave_are_held_out_of_the_search() -> None:
    space = SPACE.fixing(window=60, target_kind="level")
    grid = space.grid("gru", BASE)
    assert {c.config.window for c in grid} == {60}
    assert {c.config.target_kind for c in grid} == {"level"}
    assert {c.config.features for c in grid} == set(SPACE.feature_sets)
