"""The pooled, traced training network: training through it equals training a fresh network."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from pipeline.models import trainers
from pipeline.models.distributional import gaussian_nll
from pipeline.models.recurrent import build_recurrent


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Enough windows for more batches an epoch than the twin runs per traced call."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(1200, 10, 3)).astype("float32"), rng.normal(size=(1200, 1))


def _fresh_fit(X: np.ndarray, y: np.ndarray, seed: int) -> list[np.ndarray]:
    """What training the model's own network with a fresh Adam gives."""
    keras.utils.set_random_seed(seed)  # as RecurrentModel._fit builds
    network = build_recurrent("gru", window=10, n_features=3, units=(8,), outputs=2, seed=seed)
    network.compile(optimizer=keras.optimizers.Adam(1e-3), loss=gaussian_nll)
    keras.utils.set_random_seed(seed)
    network.fit(X, y, validation_split=0.1, epochs=2, batch_size=32, verbose=0)
    return network.get_weights()  # the weights (generator states are not saved either)


def _pooled_fit(X: np.ndarray, y: np.ndarray, seed: int) -> list[np.ndarray]:
    keras.utils.set_random_seed(seed)
    network = build_recurrent("gru", window=10, n_features=3, units=(8,), outputs=2, seed=seed)
    twin = trainers.pooled_trainer(network, gaussian_nll, 1e-3)
    keras.utils.set_random_seed(seed)
    twin.fit(X, y, validation_split=0.1, epochs=2, batch_size=32, verbose=0)
    trainers.copy_variables(twin, network)
    return network.get_weights()  # the weights (generator states are not saved either)


@pytest.mark.parametrize("seed", [7])
def test_a_pooled_fit_after_another_equals_a_fresh_networks_fit(seed: int) -> None:
    trainers._POOL.clear()
    _pooled_fit(*_data(1), seed=seed)  # leaves the twin trained, its Adam moved on
    X, y = _data(2)
    pooled, fresh = _pooled_fit(X, y, seed), _fresh_fit(X, y, seed)
    assert len(trainers._POOL) == 1  # the second fit reused the first one's traced twin
    for a, b in zip(pooled, fresh, strict=True):
        np.testing.assert_array_equal(a, b)


def test_each_architecture_gets_its_own_twin() -> None:
    trainers._POOL.clear()
    for units in ((8,), (4,)):
        network = build_recurrent("gru", window=10, n_features=3, units=units, seed=1)
        trainers.pooled_trainer(network, "mse", 1e-3)
    assert len(trainers._POOL) == 2
