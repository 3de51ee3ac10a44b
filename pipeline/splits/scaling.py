"""Min-max scalers fitted on the training range, and the map from scaled targets back to prices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.preprocessing import MinMaxScaler


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
