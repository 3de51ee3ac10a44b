"""Honest baselines every neural model is shown beside: naive, drift and a ridge regression.

They are cheap to fit, so their ``fine_tune`` is the base class's full refit on the new split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.linear_model import Ridge

from pipeline.errors import InputError
from pipeline.models.base import EpochCallback, ForecastModel
from pipeline.splits.split import Split


class NaiveModel(ForecastModel):
    """Persistence: tomorrow's price is today's."""

    alias = "naive"

    def _fit(self, split: Split, *, epochs: int, seed: int, on_epoch: EpochCallback | None) -> None:
        """Nothing to learn."""

    def _predict(self, X: np.ndarray, last_known: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        return last_known.copy()

    def _save_state(self, directory: Path) -> dict[str, Any]:
        return {}

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        """Nothing to restore."""


class DriftModel(ForecastModel):
    """Persistence plus the mean daily price change over the training targets."""

    alias = "drift"

    def _fit(self, split: Split, *, epochs: int, seed: int, on_epoch: EpochCallback | None) -> None:
        self.drift_ = float(np.mean(split.train.actual - split.train.last_known))

    def _predict(self, X: np.ndarray, last_known: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        return last_known + self.drift_

    def _save_state(self, directory: Path) -> dict[str, Any]:
        return {"drift": self.drift_}

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        self.drift_ = float(state["drift"])


class LinearModel(ForecastModel):
    """Ridge regression on the flattened scaled window, fit on training samples only.

    ``alpha`` is picked from ``alphas`` by validation MAE in prices. Coefficients are stored in
    ``model.json`` (plain JSON, no pickle) and prediction is a dot product, so a reload predicts
    exactly as the fitted model did.
    """

    alias = "linear"
    defaults: ClassVar[dict[str, Any]] = {"alphas": [0.001, 0.01, 0.1, 1.0, 10.0]}

    def _fit(self, split: Split, *, epochs: int, seed: int, on_epoch: EpochCallback | None) -> None:
        alphas = self.hyperparameters["alphas"]
        if not alphas:
            raise InputError("linear needs at least one alpha in 'alphas'")
        X_train, X_val = _flatten(split.X_train), _flatten(split.X_val)

        def validation_mae(alpha: float) -> tuple[float, Ridge]:
            ridge = Ridge(alpha=alpha).fit(X_train, split.y_train)
            predicted = self._to_prices(ridge.predict(X_val), split.validation.anchor)
            return float(np.mean(np.abs(predicted - split.validation.actual))), ridge

        _, best = min((validation_mae(a) for a in alphas), key=lambda pair: pair[0])
        self.alpha_ = float(best.alpha)
        self.coef_ = best.coef_.astype("float64")
        self.intercept_ = float(best.intercept_)

    def _predict(self, X: np.ndarray, last_known: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        return self._to_prices(_flatten(X) @ self.coef_ + self.intercept_, anchor)

    def _save_state(self, directory: Path) -> dict[str, Any]:
        return {"alpha": self.alpha_, "coef": self.coef_.tolist(), "intercept": self.intercept_}

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        self.alpha_ = float(state["alpha"])
        self.coef_ = np.asarray(state["coef"], dtype="float64")
        self.intercept_ = float(state["intercept"])


def _flatten(X: np.ndarray) -> np.ndarray:
    # (n, window, n_features) -> (n, window * n_features), float64 for a stable solve
    return np.asarray(X, dtype="float64").reshape(len(X), -1)
