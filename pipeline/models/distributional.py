"""Distributional GRU and LSTM (``gru_dist``, ``lstm_dist``): a location and a scale per window.

The DeepAR idea in plain Keras 3: the network of ``pipeline.models.recurrent`` with two outputs,
the scaled target's mean and an unconstrained scale (softplus), trained on the Gaussian negative
log-likelihood from the same windows. The point forecast is the mean; ``predict_scale`` turns
the scale into the standard deviation of the relative error, which the conformal calibration of
``pipeline.forecast.intervals`` then standardises by.
"""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import numpy as np

from pipeline.choices import DISTRIBUTIONAL_KINDS
from pipeline.errors import InputError
from pipeline.models.recurrent import RecurrentModel
from pipeline.models.traced import forward
from pipeline.splits.split import Split

_MIN_SCALE = 1e-4  # in scaled target units; keeps the likelihood finite


def _scale(raw: Any) -> Any:
    return keras.ops.softplus(raw) + _MIN_SCALE


@keras.saving.register_keras_serializable(package="nextbar")
def gaussian_nll(y_true: Any, y_pred: Any) -> Any:
    """Gaussian negative log-likelihood (without its constant) of each window's scaled target;
    Keras averages it over the batch (weighted, in the pooled trainer)."""
    y = keras.ops.reshape(keras.ops.cast(y_true, y_pred.dtype), (-1,))
    mean, scale = y_pred[:, 0], _scale(y_pred[:, 1])
    return keras.ops.log(scale) + 0.5 * keras.ops.square((y - mean) / scale)


class DistributionalModel(RecurrentModel):
    """A recurrent forecaster of a location and a scale; ``kind`` is ``<cell>_dist``."""

    outputs: ClassVar[int] = 2
    loss = staticmethod(gaussian_nll)

    def __init__(self, kind: str, **hyperparameters: Any) -> None:
        if kind not in DISTRIBUTIONAL_KINDS:
            raise InputError(f"unknown kind {kind!r}; choose from {list(DISTRIBUTIONAL_KINDS)}")
        super().__init__(kind.removesuffix("_dist"), **hyperparameters)
        self.alias = kind

    def predict_scale(self, split: Split) -> dict[str, np.ndarray] | None:
        out = {
            name: self.window_scales(part.X, part.last_known, part.anchor)
            if len(part)
            else np.empty(0)
            for name, part in (
                ("train", split.train),
                ("validation", split.validation),
                ("test", split.test),
            )
        }
        out["latest"] = self.window_scales(
            split.latest_window, np.array([split.latest_known]), np.array([split.latest_anchor])
        )
        return out

    def window_scales(
        self, X: np.ndarray, last_known: np.ndarray, anchor: np.ndarray
    ) -> np.ndarray:
        """The network's scale in prices, relative to ``last_known``."""
        raw = forward(self.model_, self.loss, np.asarray(X, dtype="float32"))
        scale = keras.ops.convert_to_numpy(_scale(raw[:, 1])).astype("float64")
        span = float(self.target_scaler_.data_max[0] - self.target_scaler_.data_min[0]) or 1.0
        if self.split_config_.target_kind == "level":  # a price's standard deviation
            return scale * span / np.abs(last_known)
        return scale * span * np.abs(anchor / last_known)  # a log return's, times the anchor
