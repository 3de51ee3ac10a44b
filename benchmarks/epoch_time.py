"""Epoch time of the recurrent fits on this machine's GPU against its CPU (issue #11).

    python -m benchmarks.run --suite epoch_time
    KERAS_BACKEND=jax python -m benchmarks.run --suite epoch_time   # where TensorFlow is absent

Each preset's gru (``default``: 32 units on 20-day windows; ``seed``: the tutorials' 80+100 units
on 60-day windows) fits the bundled Moutai close history for a few epochs, once in a process
that sees no GPU (``CUDA_VISIBLE_DEVICES`` empty) and once in a process that sees what the
machine has. On a machine without a GPU both rows are the CPU, and the ratio says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

PRESETS = ("default", "seed")
EPOCHS = 4  # the first epoch (tracing) is left out of the mean


def _measure(preset: str) -> dict[str, object]:
    """In this process: the device and the mean seconds of the epochs after the first."""
    import time

    from benchmarks.run import _bars
    from pipeline.models.registry import make_model
    from pipeline.splits.build import build_split
    from pipeline.training.presets import get_preset
    from pipeline.training.train import keras_runtime

    chosen = get_preset(preset)
    config = chosen.split_config("close", test_size=0, validation_size=120)
    split = build_split(_bars("600519.SH"), config, symbol="600519.SH")
    ends: list[float] = []
    model = make_model("gru", **{**chosen.hyperparameters.get("gru", {}), "patience": EPOCHS})
    started = time.perf_counter()
    model.fit(split, epochs=EPOCHS, seed=42, on_epoch=lambda *_: ends.append(time.perf_counter()))
    steps = [b - a for a, b in zip([started, *ends], ends, strict=False)]
    backend, device = keras_runtime()
    return {
        "preset": preset,
        "backend": backend,
        "device": device,
        "windows": len(split.X_train),
        "seconds_per_epoch": sum(steps[1:]) / max(len(steps) - 1, 1),
    }


def epoch_time(**_: object) -> pd.DataFrame:
    """Per preset: seconds per epoch on the CPU and on what the machine offers, and the ratio."""
    rows = []
    for preset in PRESETS:
        for label, hide in (("cpu only", True), ("as the machine is", False)):
            env = {**os.environ, **({"CUDA_VISIBLE_DEVICES": ""} if hide else {})}
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.epoch_time", preset],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rows.append({"run": label, **json.loads(out.strip().splitlines()[-1])})
    frame = pd.DataFrame(rows)
    cpu = frame[frame["run"] == "cpu only"].set_index("preset")["seconds_per_epoch"]
    frame["speed_up_vs_cpu"] = cpu.loc[frame["preset"]].to_numpy() / frame["seconds_per_epoch"]
    return frame


if __name__ == "__main__":
    print(json.dumps(_measure(sys.argv[1])))
