"""The ``Split`` object: one split's arrays, scalers and identity, saved to and loaded from .npz."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.splits.config import SplitConfig
from pipeline.splits.scaling import MinMaxParams


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
        return to_date(self.dates[0]) if len(self) else None

    @property
    def end(self) -> date | None:
        """Last target date, or None for an empty range."""
        return to_date(self.dates[-1]) if len(self) else None


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
    def scaler_params(self) -> dict[str, Any]:
        """JSON-able scaler parameters, per column."""
        return {
            "kind": self.config.scaler,
            "features": self.feature_scaler.to_dict(),
            "target": self.target_scaler.to_dict(),
        }

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


def to_date(value: Any) -> date:
    """A numpy or pandas date as a ``datetime.date``."""
    return pd.Timestamp(value).date()
