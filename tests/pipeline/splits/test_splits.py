"""Windows, ranges and scalers of build_split on real Moutai bars, checked against plain loops."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError, InsufficientDataError
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.scaling import target_to_prices
from pipeline.splits.split import Split

CSV = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled" / "SH600519.csv"
SMALL = SplitConfig(
    window=5,
    features=("open", "close"),
    target="close",
    test_size=20,
    validation_size=10,
    min_train_size=10,
)


def moutai(n: int = 80) -> pd.DataFrame:
    """The first ``n`` bars of the tutorial file as a date/OHLCV frame."""
    frame = pd.read_csv(CSV, index_col=0, nrows=n).drop(columns="code")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.reset_index(drop=True)


def all_parts(split: Split, name: str) -> np.ndarray:
    return np.concatenate(
        [getattr(getattr(split, p), name) for p in ("train", "validation", "test")]
    )


def to_prices(split: Split, y_scaled: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Scaled targets back to prices, as a model does with its split's scaler and target kind."""
    return target_to_prices(y_scaled, anchor, split.target_scaler, split.config.target_kind)


def test_windows_equal_a_python_loop() -> None:
    bars = moutai()
    split = build_split(bars, SMALL, symbol="600519.SH")
    scaled = split.feature_scaler.transform(bars[["open", "close"]].to_numpy())
    close, w = bars["close"].to_numpy(), SMALL.window
    ends = range(w - 1, len(bars) - 1)  # sample ends at bar t and targets bar t+1

    np.testing.assert_allclose(
        all_parts(split, "X"), [scaled[t - w + 1 : t + 1] for t in ends], rtol=1e-6
    )
    np.testing.assert_allclose(
        to_prices(split, all_parts(split, "y"), all_parts(split, "last_known")),
        [close[t + 1] for t in ends],
        rtol=1e-6,
    )
    np.testing.assert_array_equal(all_parts(split, "last_known"), [close[t] for t in ends])
    np.testing.assert_array_equal(all_parts(split, "actual"), [close[t + 1] for t in ends])
    assert list(all_parts(split, "dates")) == [bars["date"][t + 1] for t in ends]
    np.testing.assert_allclose(split.latest_window[0], scaled[-w:], rtol=1e-6)
    assert split.latest_known == close[-1]
    assert split.X_train.dtype == np.float32 and split.X_train.shape[1:] == (w, 2)


def test_ranges_are_train_then_validation_then_test() -> None:
    split = build_split(moutai(), SMALL, symbol="600519.SH")
    assert (len(split.train), len(split.validation), len(split.test)) == (45, 10, 20)
    assert split.train.dates.max() < split.validation.dates.min()
    assert split.validation.dates.max() < split.test.dates.min()
    record = split.to_record()
    assert record["train_end"] < record["validation_start"] <= record["validation_end"]
    assert record["validation_end"] < record["test_start"]
    assert record["test_end"] == split.last_bar_date


def test_scalers_see_training_rows_only() -> None:
    # Inflate every bar after the training range tenfold: a scaler fit on all rows would
    # report a data_max ten times the training maximum.
    bars = moutai()
    split = build_split(bars, SMALL, symbol="600519.SH")
    last_train_row = len(split.train) + SMALL.window - 1  # the last training target's bar
    inflated = bars.copy()
    inflated.loc[last_train_row + 1 :, ["open", "close"]] *= 10
    split = build_split(inflated, SMALL, symbol="600519.SH")

    training = bars.iloc[: last_train_row + 1]
    window_rows = training.iloc[:-1]  # the last training bar is only ever a target
    np.testing.assert_array_equal(
        split.feature_scaler.data_max, window_rows[["open", "close"]].max().to_numpy()
    )
    np.testing.assert_array_equal(
        split.target_scaler.data_max, [training["close"].iloc[SMALL.window :].max()]
    )
    assert split.scaler_params["target"]["close"]["data_max"] < inflated["close"].max() / 5


def test_as_of_excludes_later_bars() -> None:
    bars = moutai()
    as_of = bars["date"][70].date()
    split = build_split(bars, SMALL, symbol="600519.SH", as_of=as_of)
    assert split.last_bar_date == as_of and split.test.dates.max() == np.datetime64(as_of)
    changed = bars.copy()
    changed.loc[71:, "close"] = 1e6  # the future must not matter
    again = build_split(changed, SMALL, symbol="600519.SH", as_of=as_of)
    assert again.split_id == split.split_id
    np.testing.assert_array_equal(again.test.X, split.test.X)


def test_split_id_is_deterministic() -> None:
    bars = moutai()
    split_id = build_split(bars, SMALL, symbol="600519.SH").split_id
    assert build_split(bars.copy(), SMALL, symbol="600519.SH").split_id == split_id
    assert build_split(bars, replace(SMALL, window=6), symbol="600519.SH").split_id != split_id
    changed = bars.copy()
    changed.loc[3, "open"] = bars["open"].iloc[3] + 0.01
    assert build_split(changed, SMALL, symbol="600519.SH").split_id != split_id


def test_save_load_round_trip(tmp_path: Path) -> None:
    split = build_split(moutai(), replace(SMALL, features=("close", "log_return")), symbol="X")
    loaded = Split.load(split.save(tmp_path / "split.npz"))
    assert loaded.to_record() == split.to_record()
    for name in ("X", "y", "dates", "last_known", "actual"):
        np.testing.assert_array_equal(all_parts(loaded, name), all_parts(split, name))
    np.testing.assert_array_equal(loaded.latest_window, split.latest_window)
    assert (loaded.latest_known, loaded.last_bar_date) == (split.latest_known, split.last_bar_date)


def test_log_return_target_maps_back_to_prices() -> None:
    config = replace(SMALL, features=("close", "log_return"), target_kind="log_return")
    split = build_split(moutai(), config, symbol="600519.SH")
    for part in (split.train, split.validation, split.test):
        prices = to_prices(split, part.y, part.last_known)
        np.testing.assert_allclose(prices, part.actual, rtol=1e-6)  # float32 storage only
    assert split.first_bar_date == moutai()["date"][0].date()  # the return's extra bar


def test_test_size_zero_trains_on_everything() -> None:
    split = build_split(moutai(), replace(SMALL, test_size=0), symbol="600519.SH")
    assert len(split.test) == 0 and split.test.X.shape == (0, 5, 2)
    assert split.validation.end == split.last_bar_date
    assert split.to_record()["test_start"] is None


def test_too_few_bars_names_the_numbers() -> None:
    with pytest.raises(InsufficientDataError) as error:
        build_split(moutai(40), SMALL, symbol="600519.SH")
    message = str(error.value)
    for part in ("600519.SH has 40 bars", "window 5", "validation 10", "test 20", "at least 45"):
        assert part in message


def test_nan_names_column_and_date() -> None:
    bars = moutai()
    bars.loc[12, "close"] = np.nan
    with pytest.raises(InputError, match=r"'close'.*2010-05-13"):
        build_split(bars, SMALL, symbol="600519.SH")


@pytest.mark.parametrize(
    ("change", "listed"),
    [({"features": ("rsi",)}, "log_return"), ({"target": "volume"}, "close")],
)
def test_unknown_feature_or_target_lists_choices(change: dict[str, object], listed: str) -> None:
    with pytest.raises(InputError, match=listed):
        build_split(moutai(), replace(SMALL, **change), symbol="600519.SH")  # type: ignore[arg-type]


def test_given_scalers_are_reused_and_change_the_split_id() -> None:
    earlier = build_split(moutai(), SMALL, symbol="600519.SH")
    scalers = (earlier.feature_scaler, earlier.target_scaler)
    bars = moutai(160)
    fresh = build_split(bars, SMALL, symbol="600519.SH")
    reused = build_split(bars, SMALL, symbol="600519.SH", scalers=scalers)

    for given, used in zip(scalers, (reused.feature_scaler, reused.target_scaler), strict=True):
        np.testing.assert_array_equal(used.data_min, given.data_min)
        np.testing.assert_array_equal(used.data_max, given.data_max)
    assert reused.X_train.max() > 1.0  # newer bars exceed the given range and are not refit
    last_rows = bars[["open", "close"]].to_numpy()[-21:-1]  # each test window's last bar
    np.testing.assert_allclose(
        reused.test.X[:, -1], earlier.feature_scaler.transform(last_rows), rtol=1e-6
    )
    assert reused.split_id != fresh.split_id
    # Even scalers equal to the ones it would fit make a split of their own.
    own = (fresh.feature_scaler, fresh.target_scaler)
    assert build_split(bars, SMALL, symbol="600519.SH", scalers=own).split_id != fresh.split_id
    assert build_split(bars, SMALL, symbol="600519.SH", scalers=scalers).split_id == reused.split_id


def test_given_scalers_keep_as_of() -> None:
    bars = moutai(160)
    earlier = build_split(bars, SMALL, symbol="600519.SH", as_of=bars["date"][80].date())
    scalers = (earlier.feature_scaler, earlier.target_scaler)
    as_of = bars["date"][120].date()
    split = build_split(bars, SMALL, symbol="600519.SH", as_of=as_of, scalers=scalers)
    changed = bars.copy()
    changed.loc[121:, "close"] = 1e6
    again = build_split(changed, SMALL, symbol="600519.SH", as_of=as_of, scalers=scalers)
    assert split.last_bar_date == as_of and again.split_id == split.split_id


def test_given_scalers_must_match_the_config() -> None:
    split = build_split(moutai(), SMALL, symbol="600519.SH")
    with pytest.raises(InputError, match=r"feature scaler covers \['open', 'close'\].*\['close'\]"):
        build_split(
            moutai(),
            replace(SMALL, features=("close",)),
            symbol="600519.SH",
            scalers=(split.feature_scaler, split.target_scaler),
        )


def test_return_from_close_round_trip_is_exact() -> None:
    config = replace(SMALL, target="open", target_kind="log_return_from_close")
    bars = moutai()
    split = build_split(bars, config, symbol="600519.SH")
    opens, closes, w = bars["open"].to_numpy(), bars["close"].to_numpy(), SMALL.window
    ends = range(w - 1, len(bars) - 1)
    np.testing.assert_array_equal(all_parts(split, "anchor"), [closes[t] for t in ends])
    np.testing.assert_array_equal(all_parts(split, "last_known"), [opens[t] for t in ends])
    assert (split.latest_anchor, split.latest_known) == (closes[-1], opens[-1])
    # Unscaled: the price, its log return from the close and back agree to rounding.
    returns = np.log(opens[w:] / closes[w - 1 : -1])
    scaled = split.target_scaler.transform(returns.reshape(-1, 1))[:, 0]
    np.testing.assert_allclose(to_prices(split, scaled, closes[w - 1 : -1]), opens[w:], rtol=1e-12)
    # Stored float32 targets round trip to float32 precision.
    np.testing.assert_allclose(
        to_prices(split, all_parts(split, "y"), all_parts(split, "anchor")),
        all_parts(split, "actual"),
        rtol=1e-6,
    )


def test_close_anchored_return_of_close_is_the_log_return() -> None:
    bars = moutai()
    plain = build_split(bars, replace(SMALL, target_kind="log_return"), symbol="X")
    anchored = build_split(bars, replace(SMALL, target_kind="log_return_from_close"), symbol="X")
    np.testing.assert_array_equal(all_parts(anchored, "y"), all_parts(plain, "y"))
    np.testing.assert_array_equal(all_parts(anchored, "anchor"), all_parts(plain, "last_known"))


def test_save_load_keeps_the_anchor(tmp_path: Path) -> None:
    config = replace(SMALL, target="open", target_kind="log_return_from_close")
    split = build_split(moutai(), config, symbol="X")
    loaded = Split.load(split.save(tmp_path / "split.npz"))
    np.testing.assert_array_equal(all_parts(loaded, "anchor"), all_parts(split, "anchor"))
    assert loaded.latest_anchor == split.latest_anchor
    assert loaded.target_scaler.columns == ("open_log_return_from_close",)
