"""The Keras backends side by side on this machine (issue #20): import, compile, steady epoch,
and one full ``nextbar train``, each backend in its own fresh process, in one run.

    python -m benchmarks.run --suite backend
    python -m benchmarks.backend epoch jax default gru      # one measurement, as JSON

Per backend (tensorflow, jax, torch: those installed) and preset (``default``, ``seed``): the
``gru`` (and the ``default`` lstm) fits the bundled Moutai close history; the first epoch
(tracing and compiling) and the mean of the later ones are timed, and ``import keras`` plus a
first op. Then one ``nextbar train --symbol BTC-USD --model gru --search-budget 0`` per backend
and preset (``NEXTBAR_BENCH_TRAIN_PRESETS``: a comma-separated subset), beside a plain Keras
script that fits the same saved windows for the same epochs (its Python start-up, import and
compile included), as the #20 goal compares them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

BACKENDS = ("tensorflow", "jax", "torch")
CASES = (("default", "gru"), ("default", "lstm"), ("seed", "gru"))
EPOCHS = 4  # the first epoch (tracing) is timed apart from the mean of the others
BIN = Path(sys.executable).parent


def installed() -> list[str]:
    """The backends this environment can run."""
    return [b for b in BACKENDS if importlib.util.find_spec(b) is not None]


def _epoch(preset: str, kind: str) -> dict[str, object]:
    """In this process: the import, the first epoch and the mean later epoch, in seconds."""
    started = time.perf_counter()
    import keras

    keras.ops.convert_to_numpy(keras.ops.ones((2, 2)) + 1)
    imported = time.perf_counter() - started

    from benchmarks.run import _bars
    from pipeline.models.registry import make_model
    from pipeline.splits.build import build_split
    from pipeline.training.presets import get_preset

    chosen = get_preset(preset)
    config = chosen.split_config("close", test_size=0, validation_size=120)
    split = build_split(_bars("600519.SH"), config, symbol="600519.SH")
    hp = {**chosen.hyperparameters.get(kind, {}), "patience": EPOCHS}
    ends: list[float] = []
    model = make_model(kind, **hp)
    started = time.perf_counter()
    model.fit(split, epochs=EPOCHS, seed=42, on_epoch=lambda *_: ends.append(time.perf_counter()))
    steps = [b - a for a, b in zip([started, *ends], ends, strict=False)]
    return {
        "import_s": imported,
        "first_epoch_s": steps[0],
        "steady_epoch_s": sum(steps[1:]) / max(len(steps) - 1, 1),
        "windows": len(split.X_train),
    }


def _plain(split_path: str, epochs: int, units: str, dropout: float, lr: float) -> None:
    """The plain Keras script of the #20 goal: the saved windows, the same network, ``epochs``."""
    import keras
    import numpy as np

    data = np.load(split_path)
    X, y = data["train_X"], data["train_y"]
    inputs = keras.Input(shape=X.shape[1:])
    x = inputs
    sizes = [int(u) for u in units.split(",")]
    for i, n in enumerate(sizes):
        x = keras.layers.GRU(n, return_sequences=i < len(sizes) - 1)(x)
        x = keras.layers.Dropout(dropout)(x)
    network = keras.Model(inputs, keras.layers.Dense(1)(x))
    network.compile(optimizer=keras.optimizers.Adam(lr), loss="mse")
    network.fit(
        X,
        y,
        validation_data=(data["validation_X"], data["validation_y"]),
        epochs=epochs,
        batch_size=64,
        verbose=0,
    )
    network.predict(data["validation_X"], verbose=0)


def _run(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - started, out


def _train(backend: str, preset: str, tmp: Path) -> dict[str, object]:
    """One ``nextbar train`` in a new process and the plain script on its split."""
    import duckdb

    path = tmp / f"{backend}-{preset}.duckdb"
    env = {**os.environ, "KERAS_BACKEND": backend, "NEXTBAR_WAREHOUSE": str(path)}
    nextbar = str(BIN / "nextbar")
    _run([nextbar, "ingest", "--symbol", "BTC-USD", "--source", "bundled"], env)
    command = [nextbar, "train", "--symbol", "BTC-USD", "--model", "gru", "--search-budget", "0"]
    seconds, _ = _run([*command, "--preset", preset], env)
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            "select r.epochs_run, r.backend, r.hyperparameters, r.split_id from model_runs r "
            "where r.model = 'gru' order by r.started_at desc limit 1"
        ).fetchone()
    assert row is not None
    epochs, recorded, hp, split_id = row
    hp = json.loads(hp)
    split_file = path.parent / "splits" / f"{split_id}.npz"
    units = ",".join(str(u) for u in hp["units"])
    plain = [str(BIN / "python"), "-m", "benchmarks.backend", "plain", str(split_file)]
    plain += [str(epochs), units, str(hp["dropout"]), str(hp["learning_rate"])]
    plain_s, _ = _run(plain, env)
    return {
        "train_s": seconds,
        "epochs_run": epochs,
        "recorded_backend": recorded,
        "plain_script_s": plain_s,
        "train_over_plain": seconds / plain_s,
    }


def backend(**_: object) -> pd.DataFrame:
    """Per backend and case: import, first and steady epoch; per backend and preset: a train."""
    rows: list[dict[str, object]] = []
    for name in installed():
        env = {**os.environ, "KERAS_BACKEND": name}
        for preset, kind in CASES:
            _seconds, out = _run(
                [str(BIN / "python"), "-m", "benchmarks.backend", "epoch", preset, kind], env
            )
            row = {"backend": name, "preset": preset, "model": kind}
            rows.append({**row, **json.loads(out.strip().splitlines()[-1])})
            print(json.dumps(rows[-1]), flush=True)  # a long suite shows its rows as they come
    with tempfile.TemporaryDirectory() as tmp:
        for preset in os.environ.get("NEXTBAR_BENCH_TRAIN_PRESETS", "default,seed").split(","):
            for name in installed():
                row = {"backend": name, "preset": preset, "model": "gru (nextbar train)"}
                rows.append({**row, **_train(name, preset, Path(tmp))})
                print(json.dumps(rows[-1]), flush=True)
    frame = pd.DataFrame(rows)
    tf = frame[(frame["backend"] == "tensorflow") & frame["steady_epoch_s"].notna()]
    by_case = tf.set_index(["preset", "model"])["steady_epoch_s"]
    keys = list(zip(frame["preset"], frame["model"], strict=True))
    tf_epoch = pd.Series([by_case.get(k, float("nan")) for k in keys], index=frame.index)
    frame["tf_over_this_epoch"] = tf_epoch / frame["steady_epoch_s"]
    return frame


if __name__ == "__main__":
    if sys.argv[1] == "epoch":
        print(json.dumps(_epoch(sys.argv[2], sys.argv[3])))
    else:
        _plain(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), float(sys.argv[6]))
