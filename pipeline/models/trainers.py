"""One traced training network per architecture and thread, reused by every fit and fine-tune.

Building and compiling a small Keras network is cheap; tracing its training and validation
steps is not (seconds on a CPU, more than a fine-tune's few epochs). A process that fits many
networks of one architecture (a replay's retrains, a watch list's symbols on a Dask worker, a
search's trials) traces them once here. A model keeps its own network; to train, its variables
are copied into the pooled twin, which gets a fresh optimizer and its dropout generators' seeded
start, trains, and hands the variables back. The weights equal, to the bit, training the model's
own freshly built network with a fresh optimizer.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import keras

Loss = str | Callable[..., Any]

# architecture -> (traced twin, its dropout generators' state variables with their initial values)
_POOL: OrderedDict[tuple[Hashable, ...], tuple[keras.Model, list[tuple[Any, Any]]]] = OrderedDict()
_POOL_SIZE = 8  # architectures kept per process (each holds a traced network)
# Batches per traced call: fewer Python round trips per epoch, the same updates in the same
# order (the weights equal one batch per call to the bit). PyTorch's trainer takes only 1.
_STEPS_PER_CALL = {"tensorflow": 32, "jax": 32}
_LOCK = threading.Lock()


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
                loss=loss,
                steps_per_execution=_STEPS_PER_CALL.get(keras.backend.backend(), 1),
            )
            twin.optimizer.build(twin.trainable_variables)
            seeds = [v for v in twin.variables if "seed_generator_state" in v.path]
            pooled = (twin, [(v, v.numpy()) for v in seeds])
        _POOL[key] = pooled  # most recently used last
        while len(_POOL) > _POOL_SIZE:
            _POOL.popitem(last=False)
    return pooled


def set_random_seed(seed: int) -> None:
    """``keras.utils.set_random_seed`` (Python's, NumPy's and the backend's generators), without
    importing TensorFlow under another backend: Keras seeds TensorFlow whenever it is installed,
    which costs its whole start-up (seconds) in a process that never uses it."""
    if keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules:
        keras.utils.set_random_seed(seed)
        return
    sys.modules["tensorflow"] = None  # type: ignore[assignment]  # Keras: "not installed"
    try:
        keras.utils.set_random_seed(seed)
    finally:
        del sys.modules["tensorflow"]


def copy_variables(source: keras.Model, target: keras.Model) -> None:
    """``target``'s variables (weights and seed states) := ``source``'s."""
    for into, value in zip(target.variables, source.variables, strict=True):
        into.assign(value)


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
