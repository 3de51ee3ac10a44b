"""A warm ``nextbar run --source bundled`` (issues #11, #20, #22): the models already trained, as
on any day after the first, with JAX's compilation cache cold, then the same day refitted with
the cache warm, then a same-day re-run; the start-up shares (Prefect, each backend) beside it.

    python -m benchmarks.run --suite warm_run

The warehouse gets the bundled history and a daily run as of the second-to-last bundled bar
(the full retrains); the timed command is the next day's run in a new process, as a scheduler
or a user would start it: ingest (nothing new), fine-tune or keep each model, forecast, score.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from pipeline.models.backend import CACHE_FOLDER

BIN = Path(sys.executable).parent
SYMBOLS = ("600519.SH", "BTC-USD")


def _seconds(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def warm_run(**_: object) -> pd.DataFrame:
    """Seconds of the warm run and of the imports it starts with (each in a new process)."""
    from flows.daily import daily
    from flows.ingest import ingest
    from warehouse.bars import load_bars
    from warehouse.connection import connect

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warm.duckdb"
        env = {**os.environ, "NEXTBAR_WAREHOUSE": str(path)}
        os.environ["NEXTBAR_MODELS_DIR"] = env["NEXTBAR_MODELS_DIR"] = str(Path(tmp) / "models")
        os.environ["NEXTBAR_SPLITS_DIR"] = env["NEXTBAR_SPLITS_DIR"] = str(Path(tmp) / "splits")
        ingest(source="bundled", warehouse=str(path))
        with connect(path, read_only=True) as con:
            before = {s: load_bars(con, s)["date"].iloc[-2].date() for s in SYMBOLS}
        for symbol, day in before.items():  # the day before the last bar: full retrains
            daily(symbols=[symbol], as_of=day, skip_ingest=True, warehouse=str(path))
        python, nextbar = str(BIN / "python"), str(BIN / "nextbar")
        rows = {
            "python start-up": _seconds([python, "-c", "pass"], env),
            "import prefect": _seconds([python, "-c", "import prefect"], env),
            **{
                f"import keras ({name})": _seconds(
                    [python, "-c", "import keras"], {**env, "KERAS_BACKEND": name}
                )
                for name in ("tensorflow", "jax")
            },
            "nextbar --help (CLI imports)": _seconds([nextbar, "--help"], env),
        }
        shutil.rmtree(Path(tmp) / CACHE_FOLDER, ignore_errors=True)  # JAX's compiled steps
        run = [nextbar, "run", "--source", "bundled"]
        rows["warm nextbar run --source bundled, compilation cache cold"] = _seconds(run, env)
        rows["the same day again, --force (refits), cache warm"] = _seconds([*run, "--force"], env)
        rows["the same day again (reuses the day's fits)"] = _seconds(run, env)
    total = rows["warm nextbar run --source bundled, compilation cache cold"]
    frame = pd.DataFrame({"part": list(rows), "seconds": list(rows.values())})
    frame["share_of_run"] = frame["seconds"] / total
    return frame
