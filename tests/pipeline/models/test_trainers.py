"""The pooled, traced training network: training through it equals training a fresh network,
its batches have one shape, and it compiles once per architecture."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest

from pipeline.models import traced
from pipeline.models.distributional import gaussian_nll
from pipeline.models.recurrent import build_recurrent

pytestmark = pytest.mark.slow  # trains real Keras models


def _data(seed: int, n: int = 1200) -> tuple[np.ndarray, np.ndarray]:
    """Enough windows for more batches an epoch than the twin runs per traced call, the last
    batch a partial one (1,080 training windows, batches of 32)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 10, 3)).astype("float32"), rng.normal(size=(n, 1))


def _fit(network: keras.Model, X: np.ndarray, y: np.ndarray, seed: int) -> None:
    """Two epochs on the model's batches, validated on the last tenth (as RecurrentModel)."""
    cut = len(X) * 9 // 10
    keras.utils.set_random_seed(seed)
    batches = traced.Batches(X[:cut], y[:cut], batch_size=32, seed=seed)
    network.fit(
        batches,
        validation_data=(X[cut:], y[cut:]),
        epochs=2,
        shuffle=False,
        callbacks=[batches.callback],
        verbose=0,
    )


def _fresh_fit(X: np.ndarray, y: np.ndarray, seed: int) -> list[np.ndarray]:
    """What training the model's own network with a fresh Adam gives."""
    keras.utils.set_random_seed(seed)  # as RecurrentModel._fit builds
    network = build_recurrent("gru", window=10, n_features=3, units=(8,), outputs=2, seed=seed)
    network.compile(optimizer=keras.optimizers.Adam(1e-3), loss=traced.weighted(gaussian_nll))
    _fit(network, X, y, seed)
    return network.get_weights()  # the weights (generator states are not saved either)


def _pooled_fit(X: np.ndarray, y: np.ndarray, seed: int) -> list[np.ndarray]:
    keras.utils.set_random_seed(seed)
    network = build_recurrent("gru", window=10, n_features=3, units=(8,), outputs=2, seed=seed)
    twin = traced.pooled_trainer(network, gaussian_nll, 1e-3)
    _fit(twin, X, y, seed)
    traced.copy_variables(twin, network)
    return network.get_weights()  # the weights (generator states are not saved either)


@pytest.mark.parametrize("seed", [7])
def test_a_pooled_fit_after_another_equals_a_fresh_networks_fit(seed: int) -> None:
    traced._POOL.clear()
    _pooled_fit(*_data(1), seed=seed)  # leaves the twin trained, its Adam moved on
    X, y = _data(2)
    pooled, fresh = _pooled_fit(X, y, seed), _fresh_fit(X, y, seed)
    assert len(traced._POOL) == 1  # the second fit reused the first one's traced twin
    for a, b in zip(pooled, fresh, strict=True):
        np.testing.assert_array_equal(a, b)


def test_each_architecture_gets_its_own_twin() -> None:
    traced._POOL.clear()
    for units in ((8,), (4,)):
        network = build_recurrent("gru", window=10, n_features=3, units=units, seed=1)
        traced.pooled_trainer(network, "mse", 1e-3)
    assert len(traced._POOL) == 2


def test_a_filled_up_last_batch_updates_as_the_short_batch_would() -> None:
    X, y = _data(3, n=20)
    updated = []
    for padded in (False, True):
        network = build_recurrent("gru", window=10, n_features=3, units=(8,), dropout=0, seed=1)
        if padded:  # 20 windows and 12 of weight zero, the weighted mean
            network.compile(optimizer=keras.optimizers.Adam(1e-3), loss=traced.weighted("mse"))
            batch = traced.Batches(X, y, batch_size=32, seed=1)[0]
            assert batch[0].shape == (32, 10, 3) and batch[2].sum() == 20
            network.train_on_batch(*batch)
        else:
            network.train_on_batch(X, y)
        updated.append(network.get_weights())
    for a, b in zip(*updated, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_batches_cover_every_window_once_an_epoch() -> None:
    X, y = _data(4, n=70)
    batches = traced.Batches(X, y, batch_size=32, seed=5)
    orders = []
    for epoch in (0, 1):
        batches.start_epoch(epoch)
        seen = np.concatenate([b[0][b[2] > 0] for b in (batches[i] for i in range(len(batches)))])
        assert len(batches) == 3 and sorted(seen[:, 0, 0]) == sorted(X[:, 0, 0])
        orders.append(seen[:, 0, 0])
    assert not np.array_equal(*orders)  # reshuffled


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="counts JAX traces")
def test_each_architecture_compiles_its_steps_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two fits of different lengths (both with a partial last batch) and forward passes of
    many sizes trace the training step once and the forward pass once per size class."""
    traces: dict[str, int] = {"train_step": 0, "predict_step": 0}

    def counting(name: str) -> Any:
        step = getattr(keras.Model, name)

        def count(self: keras.Model, *args: Any) -> Any:
            traces[name] += 1  # under jit, Python runs the step only while tracing it
            return step(self, *args)

        return count

    for name in traces:
        monkeypatch.setattr(keras.Model, name, counting(name))
    traced._POOL.clear()
    for n in (1000, 1111):
        _pooled_fit(*_data(n, n=n), seed=1)
    network = build_recurrent("gru", window=10, n_features=3, units=(8,), outputs=2, seed=1)
    for rows in (1, 3, 8, 5):
        traced.forward(network, gaussian_nll, _data(rows, n=rows)[0])
    assert traces == {"train_step": 1, "predict_step": 1}
