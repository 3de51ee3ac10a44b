"""Turn a bar frame into scaled, windowed train | validation | test arrays with no look-ahead.

Sample ``i`` ends at bar ``t``: ``X`` holds the features of bars ``t-window+1 .. t``, ``y`` is the
target at bar ``t+1`` (the next trading day: bars only hold trading days), ``last_known`` is the
target column at bar ``t`` (what the naive forecast predicts) and ``anchor`` is the price at bar
``t`` a return target is measured from (``last_known``, or the close for
``log_return_from_close``). Samples are ordered by target
date; the test range is the last ``test_size`` targets, validation the ``validation_size``
targets before it, training the rest. Scalers are fit on training data only, unless a fitted
model's scalers are passed in (to fine-tune it on inputs scaled as it was trained).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from pipeline.errors import InputError, InsufficientDataError
from pipeline.splits.config import SplitConfig
from pipeline.splits.features import FEATURES, log_ratio
from pipeline.splits.scaling import MinMaxParams
from pipeline.splits.split import Split, SplitPart, to_date


def _hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:16]


def _fingerprint(dates: np.ndarray, values: np.ndarray, columns: list[str]) -> str:
    """Hash of exactly the bar values a split reads: dates, column names and float64 values."""
    payload = (
        json.dumps(columns).encode()
        + np.ascontiguousarray(dates.astype("datetime64[D]").astype("int64")).tobytes()
        + np.ascontiguousarray(values, dtype="float64").tobytes()
    )
    return _hash(payload)


def _check_finite(values: np.ndarray, dates: np.ndarray, columns: list[str], symbol: str) -> None:
    """Raise InputError naming the first column with NaN/inf values and up to five dates."""
    for j, column in enumerate(columns):
        bad = ~np.isfinite(values[:, j])
        if bad.any():
            shown = ", ".join(str(d) for d in dates[bad][:5].astype("datetime64[D]"))
            more = f" and {int(bad.sum()) - 5} more" if bad.sum() > 5 else ""
            raise InputError(f"{symbol}: column {column!r} is NaN or infinite on {shown}{more}")


def _check_scaler_columns(
    scalers: tuple[MinMaxParams, MinMaxParams],
    features: tuple[str, ...],
    target: tuple[str, ...],
) -> None:
    """Raise InputError unless given scalers cover exactly the config's features and target."""
    for role, scaler, expected in zip(
        ("feature", "target"), scalers, (features, target), strict=True
    ):
        if scaler.columns != expected:
            raise InputError(
                f"the given {role} scaler covers {list(scaler.columns)}, "
                f"but the config needs {list(expected)}"
            )


def build_split(
    bars: pd.DataFrame,
    config: SplitConfig,
    *,
    symbol: str,
    as_of: date | None = None,
    scalers: tuple[MinMaxParams, MinMaxParams] | None = None,
) -> Split:
    """Window, split and scale ``bars`` dated on or before ``as_of`` (default: all of them).

    ``scalers=(feature_scaler, target_scaler)``, e.g. ``model.scalers()``, are used as they are
    instead of fitting new ones on the training range; values outside their range then scale
    outside [0, 1]. They become part of the split_id.
    """
    config.validate()
    target_name = config.target_name
    if scalers is not None:
        _check_scaler_columns(scalers, config.features, (target_name,))
    missing = [c for c in ["date", *config.used_columns()] if c not in bars]
    if missing:
        raise InputError(f"{symbol}: bars lack columns {missing}")
    if as_of is not None:
        bars = bars.loc[bars["date"] <= pd.Timestamp(as_of)]
    bar_dates = pd.to_datetime(bars["date"]).to_numpy(dtype="datetime64[D]")
    if len(bar_dates) > 1 and not (np.diff(bar_dates) > np.timedelta64(0, "D")).all():
        raise InputError(f"{symbol}: bar dates must be strictly increasing (one bar per day)")

    n_bars = len(bar_dates)
    lookback = config.lookback
    required = (
        lookback + config.window + config.min_train_size + config.validation_size + config.test_size
    )
    if n_bars < required:
        derived = f" + {lookback} for derived features" if lookback else ""
        until = f" up to {as_of}" if as_of is not None else ""
        raise InsufficientDataError(
            f"{symbol} has {n_bars} bars{until}; window {config.window} + "
            f"training {config.min_train_size} + validation {config.validation_size} + "
            f"test {config.test_size}{derived} need at least {required}"
        )

    used = config.used_columns()
    raw = bars[used].to_numpy(dtype="float64")
    _check_finite(raw, bar_dates, used, symbol)
    features = np.column_stack([FEATURES[f].compute(bars, config.target) for f in config.features])
    levels = bars[config.target].to_numpy(dtype="float64")[lookback:]
    anchors = bars[config.anchor_column].to_numpy(dtype="float64")[lookback:]
    # Drop the leading rows where derived features are undefined; nothing reads them.
    features, dates = features[lookback:], bar_dates[lookback:]
    _check_finite(features, dates, list(config.features), symbol)

    window = config.window
    n_samples = len(levels) - window
    n_test, n_val = config.test_size, config.validation_size
    n_train = n_samples - n_val - n_test
    last_known = levels[window - 1 : -1]
    anchor = anchors[window - 1 : -1]
    actual = levels[window:]
    if config.target_kind == "level":
        y = actual
    else:
        y = log_ratio(actual, anchor)
        _check_finite(y.reshape(-1, 1), dates[window:], [target_name], symbol)

    if scalers is not None:
        feature_scaler, target_scaler = scalers
    else:
        # Training windows read bar rows 0 .. n_train+window-2 and training targets end at row
        # n_train+window-1 (train_end), so both scalers see nothing dated after train_end.
        feature_scaler = MinMaxParams.fit(features[: n_train + window - 1], config.features)
        target_scaler = MinMaxParams.fit(y[:n_train].reshape(-1, 1), (target_name,))
    scaled = feature_scaler.transform(features).astype("float32")
    y_scaled = target_scaler.transform(y.reshape(-1, 1))[:, 0].astype("float32")

    # (n_samples + 1, n_features, window) -> (n_samples + 1, window, n_features); the extra,
    # last window ends at the last bar and forecasts the day after it.
    windows = sliding_window_view(scaled, window, axis=0).transpose(0, 2, 1)
    bounds = {
        "train": slice(0, n_train),
        "validation": slice(n_train, n_train + n_val),
        "test": slice(n_train + n_val, n_samples),
    }
    target_dates = dates[window:]
    parts = {
        name: SplitPart(
            X=np.ascontiguousarray(windows[s]),
            y=y_scaled[s],
            dates=target_dates[s],
            last_known=last_known[s],
            actual=actual[s],
            anchor=anchor[s],
        )
        for name, s in bounds.items()
    }

    as_of_date = as_of if as_of is not None else to_date(dates[-1])
    # Every bar read, including the lookback rows.
    fingerprint = _fingerprint(bar_dates, raw, used)
    identity: dict[str, Any] = {
        "symbol": symbol,
        "as_of": as_of_date.isoformat(),
        "config": config.to_dict(),
        "data_fingerprint": fingerprint,
    }
    if scalers is not None:
        # Given scalers make different arrays from the same bars; fitted ones follow from the
        # bars, so fresh splits keep the ids they always had.
        identity["scalers"] = {
            "features": feature_scaler.to_dict(),
            "target": target_scaler.to_dict(),
        }
    return Split(
        symbol=symbol,
        as_of_date=as_of_date,
        config=config,
        split_id=_hash(json.dumps(identity, sort_keys=True).encode()),
        data_fingerprint=fingerprint,
        first_bar_date=to_date(bar_dates[0]),
        last_bar_date=to_date(dates[-1]),
        train=parts["train"],
        validation=parts["validation"],
        test=parts["test"],
        feature_scaler=feature_scaler,
        target_scaler=target_scaler,
        latest_window=np.ascontiguousarray(windows[-1:]),
        latest_known=float(levels[-1]),
        latest_anchor=float(anchors[-1]),
    )
