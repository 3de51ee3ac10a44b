"""The scale benchmark: the daily step for N symbols on 1 or 2 Dask workers, and the views.

TIMING-ONLY DATA: every series is block-bootstrapped from the real Moutai and BTC-USD bars
(benchmarks/bootstrap.py). No forecast quality is ever reported from it.

    python -m benchmarks.scale [--symbols 10 50 100 300] [--workers 1 2] [--kinds gru gru_global]

``--kinds none`` times the baselines alone: a model's own cost is its step's time less that.

The views at 300 symbols x 250 scored days: ``python -m benchmarks.run --suite views``.

Each step: ingest the series from CSV files (read, validate, store), then the daily flow as of
the last bar (split, naive/drift/linear plus a per-symbol gru or one global gru, forecast,
write), the fits on a
local Dask cluster of the given size. Results go to benchmarks/results/scale.md.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("NEXTBAR_NO_SECRET_BLOCK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import numpy as np
import pandas as pd

from benchmarks.run import RESULTS, _table
from pipeline.data.ingest import read_file
from pipeline.data.symbols import get_symbol
from pipeline.data.validation import validate_bars
from tests.watchlist_data import bootstrap_bars, bootstrap_codes, write_csv
from warehouse.connection import connect
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.symbols import sync_symbols

AS_OF = date(2026, 11, 20)
DAYS = 300  # bars per series
BASELINES = ["naive", "drift", "linear"]


def ingest_files(warehouse: Path, folder: Path, codes: list[str]) -> float:
    """Write each series as a CSV, then time reading, validating and storing them all."""
    paths = {
        c: write_csv(bootstrap_bars(c, DAYS, AS_OF, i), folder / f"{c}.csv")
        for i, c in enumerate(codes)
    }
    started = time.perf_counter()
    infos = [get_symbol(c) for c in codes]
    with connect(warehouse) as con:
        sync_symbols(con, infos)
        for info in infos:
            checked = validate_bars(read_file(paths[info.symbol], info).bars, today=AS_OF)
            request = IngestRequest(
                str(uuid.uuid4()), info.symbol, "file", None, None, datetime.now(tz=UTC)
            )
            store_ingest(con, request, checked.valid, checked.rejected)
    return time.perf_counter() - started


def disk_mb(*folders: Path) -> float:
    """MB of every file under the folders."""
    return sum(f.stat().st_size for d in folders for f in d.rglob("*") if f.is_file()) / 1e6


def daily_step(count: int, workers: int, epochs: int, kind: str) -> dict[str, float | str]:
    """One daily step of ``count`` bootstrapped symbols on ``workers`` Dask workers: the
    baselines plus ``kind`` (``gru`` per symbol, or one ``gru_global``; ``none``: the baselines
    alone, so that a model's own share is the difference)."""
    from flows.daily import daily

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.update(
            {
                "NEXTBAR_DASK__WORKERS": str(workers),
                "NEXTBAR_DASK__MIN_SYMBOLS": "1",
                "NEXTBAR_MODELS_DIR": str(root / "models"),
                "NEXTBAR_SPLITS_DIR": str(root / "splits"),
                "NEXTBAR_PLOTS_DIR": str(root / "plots"),
            }
        )
        warehouse = root / "nextbar.duckdb"
        codes = bootstrap_codes(count)
        ingest_seconds = ingest_files(warehouse, root / "csv", codes)
        started = time.perf_counter()
        report = daily(
            symbols=codes,
            as_of=AS_OF,
            models=BASELINES if kind == "none" else [*BASELINES, kind],
            epochs=epochs,
            history_bars=260,
            skip_ingest=True,
            warehouse=str(warehouse),
        )
        step_seconds = time.perf_counter() - started
        forecast = sum(1 for d in report.days if d.status == "forecast")
        return {
            "symbols": count,
            "workers": workers,
            "model": kind,
            "ingest_s": ingest_seconds,
            "step_s": step_seconds,
            "forecast_symbols": forecast,
            "disk_mb_per_symbol": disk_mb(root / "models", root / "splits") / count,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--symbols", type=int, nargs="+", default=[10, 50, 100, 300])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--kinds", nargs="+", default=["gru", "gru_global"])
    args = parser.parse_args()
    from prefect.testing.utilities import prefect_test_harness

    parts = []
    with prefect_test_harness(server_startup_timeout=180):
        rows = []
        for k in args.kinds:
            for w in args.workers:
                for n in args.symbols:
                    rows.append(daily_step(n, w, args.epochs, k))
                    print(rows[-1], flush=True)  # partial results survive a timeout
        steps = pd.DataFrame(rows)
    for (k, w), part in steps.groupby(["model", "workers"]):
        if part["symbols"].nunique() < 3:
            continue
        slope, intercept = np.polyfit(part["symbols"], part["step_s"], 1)
        fitted = slope * part["symbols"] + intercept
        residual = ((part["step_s"] - fitted) ** 2).sum()
        total = ((part["step_s"] - part["step_s"].mean()) ** 2).sum()
        r2 = 1 - residual / total if total else float("nan")
        parts.append(f"{k}, workers={w}: {slope:.3g} s per symbol, R^2 {r2:.3f}")
    parts.insert(0, _table(steps))
    text = "TIMING-ONLY DATA (block-bootstrapped Moutai/BTC returns)\n\n" + "\n\n".join(parts)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
