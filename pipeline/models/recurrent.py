"""SimpleRNN, GRU and LSTM forecasters from one builder, in plain Keras 3.

Only ``keras.*`` APIs are used, so the same code runs under KERAS_BACKEND=tensorflow, jax or
torch. The default architecture is the tutorials': two recurrent layers (80 and 100 units), each
followed by Dropout(0.2), then Dense(1); Adam(1e-3) on MSE, batch 64. Settings stay
cuDNN-eligible on a GPU: tanh/sigmoid activations, GRU ``reset_after=True``, no
``recurrent_dropout`` and no ``unroll``. ``fine_tune`` continues from the saved weights with a
fresh Adam at ``FINE_TUNE_LR_FACTOR`` times the learning rate. Every fit and fine-tune trains on
this process's traced twin of the network (``pipeline.models.traced``): the same result, with
the training step traced once per architecture rather than once per model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np

from pipeline.errors import InputError
from pipeline.models.base import EpochCallback, ForecastModel
from pipeline.models.traced import (
    Batches,
    copy_variables,
    forward,
    pooled_trainer,
)
from pipeline.splits.split import Split

CELLS: dict[str, type[keras.layers.Layer]] = {
    "rnn": keras.layers.SimpleRNN,
    "gru": keras.layers.GRU,
    "lstm": keras.layers.LSTM,
}
# Explicit cuDNN-eligible settings (also Keras's defaults) so a GPU worker takes the fast kernel.
_CELL_OPTIONS: dict[str, dict[str, Any]] = {
    "rnn": {"activation": "tanh"},
    "gru": {"activation": "tanh", "recurrent_activation": "sigmoid", "reset_after": True},
    "lstm": {"activation": "tanh", "recurrent_activation": "sigmoid"},
}
WEIGHTS_FILE = "model.keras"
# Fine-tuning nudges weights that are already fitted: half the training learning rate keeps a
# few epochs on the newest windows from overwriting what the full history taught.
FINE_TUNE_LR_FACTOR = 0.5


def build_recurrent(
    cell: str,
    *,
    window: int,
    n_features: int,
    units: tuple[int, ...] = (80, 100),
    dropout: float = 0.2,
    learning_rate: float = 1e-3,
    outputs: int = 1,
    loss: str | Any = "mse",
    seed: int | None = None,
) -> keras.Model:
    """Stacked recurrent network with ``outputs`` values per window (the scaled target first),
    compiled with Adam on ``loss``.

    ``seed`` seeds every initializer and dropout layer itself: Keras would otherwise draw their
    seeds from Python's global ``random``, which other threads (Prefect's) may draw from too.
    """
    if cell not in CELLS:
        raise InputError(f"unknown recurrent cell {cell!r}; choose from {list(CELLS)}")
    inputs = keras.Input(shape=(window, n_features))  # (batch, window, n_features)
    x = inputs
    for i, n_units in enumerate(units):
        last = i == len(units) - 1
        # Inner layers pass the whole sequence on: (batch, window, n_units); the last layer
        # returns only its final state: (batch, n_units).
        x = CELLS[cell](
            n_units, return_sequences=not last, **_CELL_OPTIONS[cell], **_cell_seeds(seed, i)
        )(x)
        x = keras.layers.Dropout(dropout, seed=None if seed is None else seed + 3 * i + 2)(x)
    last_seed = None if seed is None else seed + 3 * len(units)
    head = keras.layers.Dense(outputs, kernel_initializer=_glorot(last_seed))(x)  # (batch, outputs)
    model = keras.Model(inputs, head, name=cell)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    return model


def _glorot(seed: int | None) -> keras.initializers.Initializer:
    return keras.initializers.GlorotUniform(seed=seed)


def _cell_seeds(seed: int | None, layer: int) -> dict[str, keras.initializers.Initializer]:
    """A recurrent layer's default initializers, seeded (no seed: Keras draws its own)."""
    if seed is None:
        return {}
    return {
        "kernel_initializer": _glorot(seed + 3 * layer),
        "recurrent_initializer": keras.initializers.Orthogonal(seed=seed + 3 * layer + 1),
    }


class RecurrentModel(ForecastModel):
    """A recurrent forecaster; ``cell`` (rnn, gru, lstm) is its alias."""

    outputs: ClassVar[int] = 1
    loss: ClassVar[str | Any] = "mse"
    uses_keras: ClassVar[bool] = True

    defaults: ClassVar[dict[str, Any]] = {
        "units": (80, 100),
        "dropout": 0.2,
        "learning_rate": 1e-3,
        "batch_size": 64,
        "patience": 10,
    }

    def __init__(self, cell: str, **hyperparameters: Any) -> None:
        if cell not in CELLS:
            raise InputError(f"unknown recurrent cell {cell!r}; choose from {list(CELLS)}")
        self.cell = cell
        self.alias = cell
        super().__init__(**hyperparameters)
        # JSON turns tuples into lists; keep one canonical form so a reload compares equal.
        self.hyperparameters["units"] = tuple(int(u) for u in self.hyperparameters["units"])

    def _fit(self, split: Split, *, epochs: int, seed: int, on_epoch: EpochCallback | None) -> None:
        hp = self.hyperparameters
        _, window, n_features = split.X_train.shape
        keras.utils.set_random_seed(seed)  # the cells' unseeded (unused) dropout generators
        self.model_ = build_recurrent(
            self.cell,
            window=window,
            n_features=n_features,
            units=hp["units"],
            dropout=hp["dropout"],
            learning_rate=hp["learning_rate"],
            outputs=self.outputs,
            loss=self.loss,
            seed=seed,
        )
        self.history_: dict[str, list[float]] = self._train(
            (split.X_train, split.y_train),
            (split.X_val, split.y_val),
            learning_rate=hp["learning_rate"],
            seed=seed,
            epochs=epochs,
            on_epoch=on_epoch,
        )
        self.epochs_run_ = len(self.history_["loss"])

    def _fine_tune(
        self,
        split: Split,
        *,
        epochs: int,
        seed: int,
        recent: int,
        on_epoch: EpochCallback | None,
    ) -> None:
        """Train the current weights further on the last ``recent`` training windows.

        ``history_`` gains this run's epochs at its end; ``epochs_run_`` counts this run's only.
        """
        history = self._train(
            (split.X_train[-recent:], split.y_train[-recent:]),
            (split.X_val, split.y_val),
            learning_rate=self.hyperparameters["learning_rate"] * FINE_TUNE_LR_FACTOR,
            seed=seed,
            epochs=epochs,
            on_epoch=on_epoch,
        )
        self.history_ = {k: [*self.history_.get(k, []), *v] for k, v in history.items()}
        self.epochs_run_ = len(history.get("loss", []))  # epochs=0 trains nothing, logs nothing

    def _train(
        self,
        train: tuple[np.ndarray, np.ndarray],
        validation: tuple[np.ndarray, np.ndarray],
        *,
        learning_rate: float,
        seed: int,
        epochs: int,
        on_epoch: EpochCallback | None,
    ) -> dict[str, list[float]]:
        """Fit ``model_`` on ``train`` (X, y) with a fresh Adam at ``learning_rate``,
        early-stopping on ``validation``, dropout masks and shuffling drawn from ``seed``; its
        history. The training runs on this process's
        traced twin of the network (``pipeline.models.traced``), which hands the weights back.

        Only arrays come in, never the Split, so the test range cannot reach training.
        """
        network = pooled_trainer(self.model_, self.loss, learning_rate)
        keras.utils.set_random_seed(seed)
        batches = Batches(*train, batch_size=self.hyperparameters["batch_size"], seed=seed)
        callbacks: list[keras.callbacks.Callback] = [
            batches.callback,
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=self.hyperparameters["patience"],
                restore_best_weights=True,
            ),
        ]
        if on_epoch is not None:
            callbacks.append(
                keras.callbacks.LambdaCallback(
                    on_epoch_end=lambda epoch, logs: on_epoch(
                        epoch, {k: float(v) for k, v in (logs or {}).items()}
                    )
                )
            )
        history = network.fit(
            batches,
            validation_data=validation,
            epochs=epochs,
            shuffle=False,  # the batches shuffle themselves, from the seed
            callbacks=callbacks,
            verbose=0,
        )
        copy_variables(network, self.model_)
        return {k: [float(v) for v in values] for k, values in history.history.items()}

    def _predict(self, X: np.ndarray, last_known: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        # On the pooled twin: model.predict would trace a new predict function for every model,
        # and a direct call runs op by op (under JAX, slower than the compiled pass).
        y = forward(self.model_, self.loss, np.asarray(X, dtype="float32"))
        return self._to_prices(y[:, 0], anchor)  # y: (n, 1)

    def _save_state(self, directory: Path) -> dict[str, Any]:
        self.model_.save(directory / WEIGHTS_FILE)
        return {"file": WEIGHTS_FILE, "history": self.history_}

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        # compile=False: the reloaded model only predicts; no optimizer state is needed.
        self.model_ = keras.models.load_model(directory / state["file"], compile=False)
        self.history_ = state["history"]
