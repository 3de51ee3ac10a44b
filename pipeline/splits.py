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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.preprocessing import MinMaxScaler

from pipeline.bars import PRICE_COLUMNS
from pipeline.errors import InputError, InsufficientDataError

TargetKind = Literal["level", "log_return", "log_return_from_close"]
TARGET_KINDS: tuple[str, ...] = ("level", "log_return", "log_return_from_close")
TARGETS: tuple[str, ...] = tuple(PRICE_COLUMNS)  # predictions are prices, so targets are too
SCALERS: tuple[str, ...] = ("minmax",)
_BAR_FEATURE_COLUMNS = (*PRICE_COLUMNS, "volume")
VOLUME_Z_WINDOW = 20  # trailing bars (about a trading month) for the volume z-score


@dataclass(frozen=True)
class Feature:
    """A per-bar input: the bar columns it reads, how many earlier bars it needs, its values."""

    reads: Callable[[str], tuple[str, ...]]  # target column -> bar columns read
    lookback: int  # leading bars whose value is undefined (a return needs the previous bar)
    compute: Callable[[pd.DataFrame, str], np.ndarray]  # (bars, target column) -> one per bar


def _bar_column(column: str) -> Feature:
    return Feature(
        reads=lambda _target: (column,),
        lookback=0,
        compute=lambda bars, _target: bars[column].to_numpy(dtype="float64"),
    )


def _log_return(bars: pd.DataFrame, target: str) -> np.ndarray:
    values = bars[target].to_numpy(dtype="float64")
    out = np.full(len(values), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):  # bad prices are reported by name later
        out[1:] = np.log(values[1:] / values[:-1])
    return out


def _log_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):  # bad prices are reported by name later
        return np.asarray(np.log(numerator / denominator), dtype="float64")


def _gap(bars: pd.DataFrame, _target: str) -> np.ndarray:
    """Overnight move: log(open_t / close_{t-1})."""
    out = np.full(len(bars), np.nan)
    out[1:] = _log_ratio(
        bars["open"].to_numpy("float64")[1:], bars["close"].to_numpy("float64")[:-1]
    )
    return out


def _intraday(bars: pd.DataFrame, _target: str) -> np.ndarray:
    """Move within the bar: log(close_t / open_t)."""
    return _log_ratio(bars["close"].to_numpy("float64"), bars["open"].to_numpy("float64"))


def _range_rel(bars: pd.DataFrame, _target: str) -> np.ndarray:
    """The bar's high-low range relative to its close."""
    high, low, close = (bars[c].to_numpy("float64") for c in ("high", "low", "close"))
    return (high - low) / close


def _volume_z(bars: pd.DataFrame, _target: str) -> np.ndarray:
    """z-score of log volume against the trailing VOLUME_Z_WINDOW bars ending at this one.

    Only bars up to t are read, so no look-ahead. Log volume because volume is heavy-tailed
    (one spike would dominate a raw z-score); log1p so a zero-volume bar stays finite; a flat
    window (zero spread) scores 0 rather than dividing by zero.
    """
    log_volume = np.log1p(bars["volume"].to_numpy("float64"))
    rolling = pd.Series(log_volume).rolling(VOLUME_Z_WINDOW)
    mean, std = rolling.mean().to_numpy(), rolling.std(ddof=0).to_numpy()
    return (log_volume - mean) / np.where(std > 0, std, np.inf)


def _day_of_week(trig: Callable[[np.ndarray], np.ndarray]) -> Feature:
    # A point on the weekly circle: Friday sits next to Monday, unlike a 0..4 integer.
    return Feature(
        reads=lambda _target: (),
        lookback=0,
        compute=lambda bars, _target: trig(
            2 * np.pi * pd.to_datetime(bars["date"]).dt.day_of_week.to_numpy("float64") / 7
        ),
    )


# The feature registry: add derived features here without touching build_split. No "previous
# close" entry: a window ending at bar t already holds close_t when ``close`` is a feature, and
# that is exactly "the last close" for a next-open target.
FEATURES: dict[str, Feature] = {
    **{column: _bar_column(column) for column in _BAR_FEATURE_COLUMNS},
    "log_return": Feature(reads=lambda target: (target,), lookback=1, compute=_log_return),
    "gap": Feature(reads=lambda _t: ("open", "close"), lookback=1, compute=_gap),
    "intraday": Feature(reads=lambda _t: ("open", "close"), lookback=0, compute=_intraday),
    "range_rel": Feature(reads=lambda _t: ("high", "low", "close"), lookback=0, compute=_range_rel),
    "volume_z": Feature(
        reads=lambda _t: ("volume",), lookback=VOLUME_Z_WINDOW - 1, compute=_volume_z
    ),
    "dow_sin": _day_of_week(np.sin),
    "dow_cos": _day_of_week(np.cos),
}


@dataclass(frozen=True)
class SplitConfig:
    """How bars become samples.

    ``test_size`` and ``validation_size`` count targets (samples), not bars. The default
    validation of 120 targets (about half a trading year) gives early stopping a stable signal
    and the conformal interval enough residuals for a 90% level, yet keeps a fixed, comparable
    length whatever the history. ``test_size=0`` trains on everything before validation: used for
    the daily forecast, where there is nothing left to score. ``min_train_size`` is the fewest
    training targets accepted.
    """

    window: int = 60
    features: tuple[str, ...] = ("close",)
    target: str = "close"
    target_kind: TargetKind = "level"
    test_size: int = 300
    validation_size: int = 120
    scaler: str = "minmax"
    min_train_size: int = 100

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (features as a list)."""
        out = asdict(self)
        out["features"] = list(self.features)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SplitConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(**{**data, "features": tuple(data["features"])})

    def validate(self) -> None:
        """Raise InputError naming the bad choice and the accepted ones."""
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown or not self.features:
            raise InputError(
                f"unknown features {unknown or '(none)'}; choose from {list(FEATURES)}"
            )
        if self.target not in TARGETS:
            raise InputError(f"unknown target {self.target!r}; choose from {list(TARGETS)}")
        if self.target_kind not in TARGET_KINDS:
            raise InputError(
                f"unknown target_kind {self.target_kind!r}; choose from {list(TARGET_KINDS)}"
            )
        if self.scaler not in SCALERS:
            raise InputError(f"unknown scaler {self.scaler!r}; choose from {list(SCALERS)}")
        if self.window < 1 or self.validation_size < 1 or self.min_train_size < 1:
            raise InputError(
                f"window ({self.window}), validation_size ({self.validation_size}) and "
                f"min_train_size ({self.min_train_size}) must be at least 1"
            )
        if self.test_size < 0:
            raise InputError(f"test_size must be 0 or more, got {self.test_size}")

    @property
    def lookback(self) -> int:
        """Leading bars consumed by derived features before the first usable row."""
        return max(FEATURES[f].lookback for f in self.features)

    @property
    def anchor_column(self) -> str:
        """The bar column a return target is measured from (the target itself for levels)."""
        return "close" if self.target_kind == "log_return_from_close" else self.target

    @property
    def target_name(self) -> str:
        """The target scaler's column: the target, or ``<target>_<target_kind>`` for returns."""
        return self.target if self.target_kind == "level" else f"{self.target}_{self.target_kind}"

    def used_columns(self) -> list[str]:
        """Bar columns read by the features, the target and its anchor, sorted."""
        reads = {c for f in self.features for c in FEATURES[f].reads(self.target)}
        return sorted(reads | {self.target, self.anchor_column})


@dataclass(frozen=True, eq=False)
class MinMaxParams:
    """Per-column min/max of a fitted MinMaxScaler, mapping [min, max] onto [0, 1]."""

    columns: tuple[str, ...]
    data_min: np.ndarray
    data_max: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray, columns: tuple[str, ...]) -> MinMaxParams:
        """Fit scikit-learn's MinMaxScaler on ``values`` (rows x columns)."""
        scaler = MinMaxScaler().fit(values)
        return cls(columns, scaler.data_min_.astype("float64"), scaler.data_max_.astype("float64"))

    @property
    def _scale(self) -> np.ndarray:
        span = self.data_max - self.data_min
        # As scikit-learn does: a constant column is shifted, not divided by zero.
        return 1.0 / np.where(span == 0.0, 1.0, span)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Scale values (last axis = columns) to [0, 1] on the fitted range."""
        return (values - self.data_min) * self._scale

    def inverse_transform(self, scaled: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform`."""
        return scaled / self._scale + self.data_min

    def to_dict(self) -> dict[str, dict[str, float]]:
        """``{column: {"data_min": ..., "data_max": ...}}``."""
        return {
            c: {"data_min": float(lo), "data_max": float(hi)}
            for c, lo, hi in zip(self.columns, self.data_min, self.data_max, strict=True)
        }

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, float]]) -> MinMaxParams:
        """Inverse of :meth:`to_dict`."""
        columns = tuple(data)
        return cls(
            columns,
            np.array([data[c]["data_min"] for c in columns]),
            np.array([data[c]["data_max"] for c in columns]),
        )


def target_to_prices(
    y_scaled: np.ndarray, anchor: np.ndarray, target_scaler: MinMaxParams, target_kind: str
) -> np.ndarray:
    """Map scaled targets back to prices: a level directly, a log return as anchor*exp(r)."""
    y = target_scaler.inverse_transform(np.asarray(y_scaled, dtype="float64").reshape(-1, 1))[:, 0]
    if target_kind == "level":
        return y
    return np.asarray(anchor, dtype="float64") * np.exp(y)


@dataclass(frozen=True, eq=False)
class SplitPart:
    """One range's samples: scaled arrays plus target dates and prices."""

    X: np.ndarray  # (n, window, n_features) float32, scaled
    y: np.ndarray  # (n,) float32, scaled target (level or log return)
    dates: np.ndarray  # (n,) datetime64[D], the target bar's date
    last_known: np.ndarray  # (n,) float64, target column at the window's last bar
    actual: np.ndarray  # (n,) float64, target column at the target bar (a price)
    anchor: np.ndarray  # (n,) float64, the config's anchor column at the window's last bar

    def __len__(self) -> int:
        return len(self.y)

    @property
    def start(self) -> date | None:
        """First target date, or None for an empty range."""
        return _to_date(self.dates[0]) if len(self) else None

    @property
    def end(self) -> date | None:
        """Last target date, or None for an empty range."""
        return _to_date(self.dates[-1]) if len(self) else None


_PARTS = ("train", "validation", "test")
_PART_ARRAYS = ("X", "y", "dates", "last_known", "actual", "anchor")


@dataclass(frozen=True, eq=False)
class Split:
    """Everything a model needs, and all a GPU worker gets: it never opens the warehouse."""

    symbol: str
    as_of_date: date
    config: SplitConfig
    split_id: str
    data_fingerprint: str
    first_bar_date: date  # the earliest bar any window reads
    last_bar_date: date
    train: SplitPart
    validation: SplitPart
    test: SplitPart
    feature_scaler: MinMaxParams
    target_scaler: MinMaxParams
    latest_window: np.ndarray  # (1, window, n_features): forecasts the bar after last_bar_date
    latest_known: float
    latest_anchor: float

    # The names the rest of the project uses for the arrays.
    @property
    def X_train(self) -> np.ndarray:
        return self.train.X

    @property
    def y_train(self) -> np.ndarray:
        return self.train.y

    @property
    def X_val(self) -> np.ndarray:
        return self.validation.X

    @property
    def y_val(self) -> np.ndarray:
        return self.validation.y

    @property
    def X_test(self) -> np.ndarray:
        return self.test.X

    @property
    def y_test(self) -> np.ndarray:
        return self.test.y

    @property
    def scaler_params(self) -> dict[str, Any]:
        """JSON-able scaler parameters, per column."""
        return {
            "kind": self.config.scaler,
            "features": self.feature_scaler.to_dict(),
            "target": self.target_scaler.to_dict(),
        }

    def inverse_target(self, y_scaled: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        """Scaled model outputs (levels or log returns from ``anchor``) -> prices."""
        return target_to_prices(y_scaled, anchor, self.target_scaler, self.config.target_kind)

    def to_record(self) -> dict[str, Any]:
        """One warehouse row describing this split (no arrays)."""
        return {
            "split_id": self.split_id,
            "symbol": self.symbol,
            "as_of_date": self.as_of_date,
            "first_bar_date": self.first_bar_date,
            "window": self.config.window,
            "features": list(self.config.features),
            "target": self.config.target,
            "target_kind": self.config.target_kind,
            "train_start": self.train.start,
            "train_end": self.train.end,
            "validation_start": self.validation.start,
            "validation_end": self.validation.end,
            "test_start": self.test.start,
            "test_end": self.test.end,
            "scaler": self.scaler_params,
            "data_fingerprint": self.data_fingerprint,
            "config": self.config.to_dict(),
        }

    def save(self, path: Path | str) -> Path:
        """Write one .npz: every array plus a JSON string ``meta`` (no pickle needed to load)."""
        meta = {
            "symbol": self.symbol,
            "as_of_date": self.as_of_date.isoformat(),
            "config": self.config.to_dict(),
            "split_id": self.split_id,
            "data_fingerprint": self.data_fingerprint,
            "first_bar_date": self.first_bar_date.isoformat(),
            "last_bar_date": self.last_bar_date.isoformat(),
            "scaler": self.scaler_params,
            "latest_known": self.latest_known,
            "latest_anchor": self.latest_anchor,
        }
        arrays = {
            f"{part}_{name}": getattr(getattr(self, part), name)
            for part in _PARTS
            for name in _PART_ARRAYS
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:  # a file handle keeps np.savez from renaming the path
            np.savez_compressed(
                handle, meta=np.array(json.dumps(meta)), latest_window=self.latest_window, **arrays
            )
        return path

    @classmethod
    def load(cls, path: Path | str) -> Split:
        """Read a file written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            parts = {
                part: SplitPart(**{name: data[f"{part}_{name}"] for name in _PART_ARRAYS})
                for part in _PARTS
            }
            latest_window = data["latest_window"]
        return cls(
            symbol=meta["symbol"],
            as_of_date=date.fromisoformat(meta["as_of_date"]),
            config=SplitConfig.from_dict(meta["config"]),
            split_id=meta["split_id"],
            data_fingerprint=meta["data_fingerprint"],
            first_bar_date=date.fromisoformat(meta["first_bar_date"]),
            last_bar_date=date.fromisoformat(meta["last_bar_date"]),
            train=parts["train"],
            validation=parts["validation"],
            test=parts["test"],
            feature_scaler=MinMaxParams.from_dict(meta["scaler"]["features"]),
            target_scaler=MinMaxParams.from_dict(meta["scaler"]["target"]),
            latest_window=latest_window,
            latest_known=float(meta["latest_known"]),
            latest_anchor=float(meta["latest_anchor"]),
        )


def _to_date(value: Any) -> date:
    return pd.Timestamp(value).date()


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
        y = _log_ratio(actual, anchor)
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

    as_of_date = as_of if as_of is not None else _to_date(dates[-1])
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
        first_bar_date=_to_date(bar_dates[0]),
        last_bar_date=_to_date(dates[-1]),
        train=parts["train"],
        validation=parts["validation"],
        test=parts["test"],
        feature_scaler=feature_scaler,
        target_scaler=target_scaler,
        latest_window=np.ascontiguousarray(windows[-1:]),
        latest_known=float(levels[-1]),
        latest_anchor=float(anchors[-1]),
    )
