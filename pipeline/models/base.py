"""The contract every forecasting model follows (statsforecast-like: alias, fit, predict).

Models read scaled windows from a Split and always return PRICES: ``predict(X, last_known,
anchor)`` maps a return target back from ``anchor`` (the split part's array of that name).
Fitted state lives in attributes ending with ``_``. ``save`` writes ``model.json`` (kind,
hyperparameters, split config, scaler parameters) plus whatever the subclass needs;
``pipeline.models.registry.load_model`` reads it back. ``fine_tune`` continues training a fitted
or reloaded model on a split built with its own scalers
(``build_split(..., scalers=model.scalers())``).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from pipeline.errors import InputError
from pipeline.splits.config import SplitConfig
from pipeline.splits.scaling import MinMaxParams, target_to_prices
from pipeline.splits.split import Split, SplitPart
from pipeline.step_options import DEFAULT_SEED

EpochCallback = Callable[[int, dict[str, float]], None]  # (epoch, logs such as loss/val_loss)
META_FILE = "model.json"
FINE_TUNE_RECENT = 250  # the newest windows a fine-tune trains on


class ForecastModel(ABC):
    """Base class: holds hyperparameters, the split's target transform and the save format."""

    alias: str
    defaults: ClassVar[dict[str, Any]] = {}
    uses_keras: ClassVar[bool] = False  # trains on the Keras backend (recorded with its runs)

    def __init__(self, **hyperparameters: Any) -> None:
        unknown = sorted(set(hyperparameters) - set(self.defaults))
        if unknown:
            raise InputError(
                f"{self.alias} does not take {unknown}; its hyperparameters are "
                f"{sorted(self.defaults) or 'none'}"
            )
        self.hyperparameters: dict[str, Any] = {**self.defaults, **hyperparameters}
        self.epochs_run_ = 0

    def fit(
        self,
        split: Split,
        *,
        epochs: int = 50,
        seed: int = DEFAULT_SEED,
        on_epoch: EpochCallback | None = None,
    ) -> Self:
        """Fit on ``split``'s training range (validation only for early stopping/selection).

        ``epochs`` and ``seed`` matter to the neural models only; ``on_epoch(epoch, logs)`` is
        called after each of their epochs with floats such as ``loss`` and ``val_loss``.
        """
        self.split_config_: SplitConfig = split.config
        self.target_scaler_: MinMaxParams = split.target_scaler
        self.scaler_params_: dict[str, Any] = split.scaler_params
        self._fit(split, epochs=epochs, seed=seed, on_epoch=on_epoch)
        return self

    @abstractmethod
    def _fit(self, split: Split, *, epochs: int, seed: int, on_epoch: EpochCallback | None) -> None:
        """Subclass training; ``split.test`` must never be read here."""

    def scalers(self) -> tuple[MinMaxParams, MinMaxParams]:
        """(feature scaler, target scaler) the model was fitted with, for ``build_split``."""
        self._require_fitted()
        return (
            MinMaxParams.from_dict(self.scaler_params_["features"]),
            MinMaxParams.from_dict(self.scaler_params_["target"]),
        )

    def fine_tune(
        self,
        split: Split,
        *,
        epochs: int,
        seed: int = DEFAULT_SEED,
        recent: int = FINE_TUNE_RECENT,
        on_epoch: EpochCallback | None = None,
    ) -> Self:
        """Continue training from the fitted state on ``split`` (validation as in :meth:`fit`).

        ``split`` must be built with :meth:`scalers` and the same window, features, target and
        target kind, else InputError names the difference. Neural models train for up to
        ``epochs`` on the last ``recent`` training windows (all of them if fewer); the cheap
        baselines simply refit on the whole training range. ``epochs_run_`` then counts this
        run's epochs only.
        """
        self._require_fitted()
        if recent < 1:
            raise InputError(f"recent must be at least 1, got {recent}")
        self._check_compatible(split)
        self.split_config_ = split.config  # same data pipeline; its sizes now describe this run
        self._fine_tune(split, epochs=epochs, seed=seed, recent=recent, on_epoch=on_epoch)
        return self

    def _fine_tune(
        self,
        split: Split,
        *,
        epochs: int,
        seed: int,
        recent: int,
        on_epoch: EpochCallback | None,
    ) -> None:
        """Default: a full refit on ``split`` (``recent`` unused); the baselines are that cheap."""
        self._fit(split, epochs=epochs, seed=seed, on_epoch=on_epoch)

    def _require_fitted(self) -> None:
        if not hasattr(self, "scaler_params_"):
            raise InputError(f"{self.alias} is not fitted: fit it or load a saved one first")

    def _check_compatible(self, split: Split) -> None:
        """Raise InputError naming how ``split`` would feed this model different inputs."""
        mine, theirs = self.split_config_, split.config
        for name in ("window", "features", "target", "target_kind"):
            if getattr(theirs, name) != getattr(mine, name):
                raise InputError(
                    f"split {name} {getattr(theirs, name)!r} differs from the model's "
                    f"{getattr(mine, name)!r}"
                )
        differing = [k for k, v in self.scaler_params_.items() if split.scaler_params.get(k) != v]
        if differing:
            raise InputError(
                f"split scaler parameters ({', '.join(differing)}) differ from the model's; "
                "build the split with scalers=model.scalers()"
            )

    def predict(
        self, X: np.ndarray, last_known: np.ndarray, anchor: np.ndarray | None = None
    ) -> np.ndarray:
        """Prices for windows ``X`` (n, window, n_features) whose last target values are
        ``last_known`` (n,); ``anchor`` (n,) is the price a return target is measured from.

        ``anchor`` may be left out when it equals ``last_known`` (level and log_return targets);
        a target anchored elsewhere (``log_return_from_close``) raises InputError without it.
        """
        self._require_fitted()
        if anchor is None:
            if self.split_config_.anchor_column != self.split_config_.target:
                raise InputError(
                    f"{self.alias} predicts {self.split_config_.target_name}: pass the "
                    f"{self.split_config_.anchor_column} prices as anchor"
                )
            anchor = last_known
        return self._predict(
            X, np.asarray(last_known, dtype="float64"), np.asarray(anchor, dtype="float64")
        )

    def predict_scale(self, split: Split) -> dict[str, np.ndarray] | None:
        """One-step scales (the standard deviation of a forecast's relative error) per range of
        ``split`` (``train``, ``validation``, ``test``) and for ``latest`` (tomorrow), each
        known on its issue day; None for a point model (intervals then come from raw errors)."""
        return None

    def window_scales(
        self, X: np.ndarray, last_known: np.ndarray, anchor: np.ndarray
    ) -> np.ndarray | None:
        """The one-step scales of windows ``X`` (arrays as in :meth:`predict`), for a model whose
        scale comes from its inputs alone (a distributional network); None otherwise."""
        return None

    def predict_part(self, part: SplitPart) -> np.ndarray:
        """Prices for every sample of one split range."""
        return self.predict(part.X, part.last_known, part.anchor)

    @abstractmethod
    def _predict(self, X: np.ndarray, last_known: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        """Subclass prediction; arrays as in :meth:`predict`, ``anchor`` always given."""

    def _to_prices(self, y_scaled: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        return target_to_prices(
            y_scaled, anchor, self.target_scaler_, self.split_config_.target_kind
        )

    def save(self, directory: Path | str) -> Path:
        """Write ``model.json`` and the subclass's files into ``directory``; return it."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "kind": self.alias,
            "hyperparameters": self.hyperparameters,
            "split_config": self.split_config_.to_dict(),
            "scaler": self.scaler_params_,
            "epochs_run": self.epochs_run_,
            "state": self._save_state(directory),
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=2))
        return directory

    @abstractmethod
    def _save_state(self, directory: Path) -> dict[str, Any]:
        """Persist fitted state: return JSON-able values and/or write files to ``directory``."""

    def restore(self, directory: Path, meta: dict[str, Any]) -> Self:
        """Load fitted state saved in ``directory`` (``meta`` is its parsed ``model.json``)."""
        self.split_config_ = SplitConfig.from_dict(meta["split_config"])
        self.scaler_params_ = meta["scaler"]
        self.target_scaler_ = MinMaxParams.from_dict(meta["scaler"]["target"])
        self.epochs_run_ = meta["epochs_run"]
        self._load_state(directory, meta["state"])
        return self

    @abstractmethod
    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        """Inverse of :meth:`_save_state`."""
