"""One traced training network per architecture and thread, reused by every fit and fine-tune.

Building and compiling a small Keras network is cheap; tracing its training and validation
steps is not (seconds on a CPU, more than a fine-tune's few epochs). A process that fits many
networks of one architecture (a replay's retrains, a watch list's symbols on a Dask worker, a
search's trials) traces them once here. A model keeps its own network; to train, its variables
are copied into the pooled twin, which gets a fresh optimizer and its dropout generators' seeded
start, trains, and hands the variables back. The weights equal, to the bit, training the model's
own freshly built network with a fresh optimizer on the same :class:`Batches`.

Every batch has one shape, so the step is compiled once per architecture, whatever the number of
windows: the last batch is filled up with windows of weight zero, and the loss is the weighted
mean (the sum over the real windows divided by their count), so its update is the one the
shorter batch would give. The same twin predicts (:func:`forward`), on inputs padded to a power
of two rows, so a forward pass is compiled a few times per architecture, not once per call.
"""

from __future__ import annotations

import math
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import keras
import numpy as np

Loss = str | Callable[..., Any]

# architecture -> (traced twin, its dropout generators' state variables with their initial values)
_POOL: OrderedDict[tuple[Hashable, ...], tuple[keras.Model, list[tuple[Any, Any]]]] = OrderedDict()
_POOL_SIZE = 8  # architectures kept per process (each holds a traced network)
# Batches per traced call: TensorFlow runs them in one graph call, the same updates in the same
# order (the weights equal one batch per call to the bit). JAX's trainer loops over its batches
# in Python either way, and 32 saved nothing there (BENCHMARKS.md, issue #20); PyTorch's takes 1.
_STEPS_PER_CALL = {"tensorflow": 32}
_LOCK = threading.Lock()
_MIN_ROWS = 8  # the fewest rows a forward pass is padded to


class Batches(keras.utils.PyDataset):
    """``(X, y)`` in batches of exactly ``batch_size`` windows: ``(X, y, weight)``, the last
    batch filled up with copies of a window of weight zero. Epoch ``e`` takes the windows in an
    order drawn from ``(seed, e)`` alone (not from a global generator, which Keras also draws
    from while it traces): fit with ``shuffle=False`` and :attr:`callback`, which names the
    epoch."""

    def __init__(self, X: np.ndarray, y: np.ndarray, *, batch_size: int, seed: int) -> None:
        super().__init__()
        self.X, self.y, self.batch_size, self.seed = X, y, batch_size, seed
        self.start_epoch(0)

    def start_epoch(self, epoch: int) -> None:
        """Shuffle the windows for ``epoch``."""
        self._order = np.random.default_rng((self.seed, epoch)).permutation(len(self.X))

    @property
    def callback(self) -> keras.callbacks.Callback:
        """The callback that shuffles the windows at the start of each epoch."""
        return keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, _: self.start_epoch(e))

    def __len__(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        index = self._order[i * self.batch_size : (i + 1) * self.batch_size]
        weight = np.zeros(self.batch_size, dtype="float32")
        weight[: len(index)] = 1.0
        index = np.pad(index, (0, self.batch_size - len(index)), constant_values=index[0])
        return self.X[index], self.y[index], weight


class _Weighted(keras.losses.Loss):
    """A per-window loss function, averaged over the windows of non-zero weight."""

    def __init__(self, function: Callable[..., Any]) -> None:
        super().__init__(name=function.__name__, reduction="mean_with_sample_weight")
        self.function = function

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return self.function(y_true, y_pred)


def weighted(loss: Loss) -> keras.losses.Loss:
    """``loss`` ("mse" or a per-window function) as the mean over the windows of non-zero weight."""
    if loss == "mse":
        return keras.losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert callable(loss)
    return _Weighted(loss)


def _architecture(network: keras.Model, loss: Loss) -> tuple[Hashable, ...]:
    """What two networks must share for one's traced steps to train the other (per thread)."""
    layers = tuple(
        repr(sorted((k, v) for k, v in layer.get_config().items() if k != "name"))
        for layer in network.layers
    )
    return (threading.get_ident(), layers, getattr(loss, "__name__", repr(loss)))


def _twin(network: keras.Model, loss: Loss) -> tuple[keras.Model, list[tuple[Any, Any]]]:
    """The pooled network shaped like ``network`` (a compiled clone on first use), and its
    dropout generators' initial states."""
    key = _architecture(network, loss)
    with _LOCK:
        pooled = _POOL.pop(key, None)
        if pooled is None:
            twin = keras.models.clone_model(network)
            twin.compile(
                optimizer=keras.optimizers.Adam(),
                loss=weighted(loss),
                steps_per_execution=_STEPS_PER_CALL.get(keras.backend.backend(), 1),
            )
            twin.optimizer.build(twin.trainable_variables)
            seeds = [v for v in twin.variables if "seed_generator_state" in v.path]
            pooled = (twin, [(v, v.numpy()) for v in seeds])
        _POOL[key] = pooled  # most recently used last
        while len(_POOL) > _POOL_SIZE:
            _POOL.popitem(last=False)
    return pooled


def keep_tensorflow_unloaded() -> None:
    """Under another backend, tell Keras that TensorFlow is not installed. Keras imports it
    whenever it is installed, to seed it and to test configs against its types (serialising a
    layer, as :func:`_architecture` does), which costs its whole start-up (seconds, hundreds of
    MB) in a process that never uses it. Keras remembers the answer; called once, on import."""
    if keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules:
        return
    from keras.src.utils.module_utils import tensorflow

    sys.modules["tensorflow"] = None  # type: ignore[assignment]  # importing it: ImportError
    try:
        tensorflow.available  # noqa: B018  # Keras caches: not available
    finally:
        del sys.modules["tensorflow"]


keep_tensorflow_unloaded()


def copy_variables(source: keras.Model, target: keras.Model) -> None:
    """``target``'s variables (weights and seed states) := copies of ``source``'s (JAX's
    compiled steps consume their inputs' buffers: shared ones would leave ``source`` empty)."""
    for into, value in zip(target.variables, source.variables, strict=True):
        into.assign(keras.ops.copy(value))


def pooled_trainer(network: keras.Model, loss: Loss, learning_rate: float) -> keras.Model:
    """A traced network holding ``network``'s variables, compiled on ``loss`` with a fresh Adam
    at ``learning_rate``. Train it, then :func:`copy_variables` it back into ``network``."""
    twin, seeds = _twin(network, loss)
    copy_variables(network, twin)
    # Dropout draws from its seeded start on every training, so a model fine-tuned from memory
    # trains as one reloaded from disk does (a saved model keeps no generator state).
    for variable, initial in seeds:
        variable.assign(initial)
    for variable in twin.optimizer.variables:  # iterations, moments: a fresh Adam
        variable.assign(keras.ops.zeros(variable.shape, dtype=variable.dtype))
    twin.optimizer.learning_rate.assign(learning_rate)
    return twin


def forward(network: keras.Model, loss: Loss, X: np.ndarray) -> np.ndarray:
    """``network(X)`` (not training), on the pooled twin: ``X`` is padded to a power of two
    rows, so each architecture compiles its forward pass once per size class, not per call."""
    twin, _ = _twin(network, loss)
    copy_variables(network, twin)
    rows = max(_MIN_ROWS, 1 << max(len(X) - 1, 0).bit_length())
    padded = np.zeros((rows, *X.shape[1:]), dtype="float32")
    padded[: len(X)] = X
    return np.asarray(twin.predict_on_batch(padded))[: len(X)]
