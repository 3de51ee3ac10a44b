"""The watch-list benchmark: a list of N codes (each listed twice) through the settings' code
check, the ingest flow and the daily step's split preparation, offline.

TIMING-ONLY DATA: every series is block-bootstrapped from the real Moutai and BTC-USD bars
(benchmarks/bootstrap.py) and served through the bundled source; no forecast quality is ever
reported from it.

    python -m benchmarks.watchlist [--symbols 300 1000 10000] [--days 300] [--direct]

``--direct`` runs the same stages without a Prefect server: the ingest's chunk task and the
split preparation called as plain functions (``.fn``), no concurrency-limit lookups, so the
figures are nextbar's own work per symbol (a loaded machine's Prefect server can take minutes
to start).

Stages: ``check`` reads and checks the 2N-line list (``Settings.watch_list``); ``ingest`` is
``flows.ingest.ingest`` with ``source="bundled"`` (fetch each symbol, validate and store each
chunk of them together); ``prepare`` is ``flows.day_step.prepare_days`` (each symbol's bars, split
and day plan, splits saved) for the baselines. Results go to benchmarks/results/watchlist.md
(watchlist-direct.md).
Both paths share the list, the stages and their timing; only the ingest call differs.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("NEXTBAR_NO_SECRET_BLOCK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import pandas as pd

from benchmarks.run import RESULTS, _table
from pipeline.data.sources import bundled
from pipeline.data.symbols import SymbolInfo
from tests.watchlist_data import bootstrap_bars, bootstrap_codes

if TYPE_CHECKING:
    from flows.ingest_store import SymbolIngest
    from pipeline.settings import Settings

AS_OF = date(2026, 11, 20)
BASELINES = ["naive", "drift", "linear"]
_REAL_LOAD = bundled._load  # the real bundled files: what the series are bootstrapped from


def serve_bootstrapped(codes: list[str], days: int) -> None:
    """Make the bundled source answer every code with its bootstrapped bars."""
    bundled._load = _REAL_LOAD
    frames = {c: bootstrap_bars(c, days, AS_OF, i) for i, c in enumerate(codes)}
    bundled._load = lambda info: frames[info.symbol]  # type: ignore[assignment]


def one_size(count: int, days: int, *, direct: bool) -> dict[str, float]:
    """Each stage's seconds for a list of ``count`` codes (``direct``: no Prefect server)."""
    from flows.day_step import prepare_days
    from pipeline.settings import load_settings
    from pipeline.step_config import StepConfig

    codes = bootstrap_codes(count)
    serve_bootstrapped(codes, days)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        listed = root / "codes.txt"
        listed.write_text("".join(f"{c}\n{c.lower()}  # again\n" for c in codes))
        (root / "nextbar.toml").write_text(f'[watchlist]\nfile = "{listed}"\n')
        os.environ["NEXTBAR_CONFIG"] = str(root / "nextbar.toml")
        os.environ["NEXTBAR_WAREHOUSE"] = str(root / "nextbar.duckdb")
        started = time.perf_counter()
        settings = load_settings()
        infos: list[SymbolInfo] = list(settings.watch_list())
        check_s = time.perf_counter() - started
        assert len(infos) == count
        started = time.perf_counter()
        results = _ingest_direct(settings, infos) if direct else _ingest_flow()
        ingest_s = time.perf_counter() - started
        assert sum(r.status == "succeeded" for r in results) == count
        step = StepConfig.from_settings(settings, models=tuple(BASELINES), history_bars=260)
        started = time.perf_counter()
        plans = prepare_days.fn(settings, infos, AS_OF, step)
        prepare_s = time.perf_counter() - started
        assert all(not isinstance(p, str) for p in plans), plans[:3]
    return {
        "codes": count,
        "list_lines": 2 * count,
        "check_s": check_s,
        "ingest_s": ingest_s,
        "ingest_ms_per_code": 1000 * ingest_s / count,
        "prepare_s": prepare_s,
        "prepare_ms_per_code": 1000 * prepare_s / count,
    }


def _ingest_flow() -> list[SymbolIngest]:
    from flows.ingest import ingest

    return ingest(source="bundled")


def _ingest_direct(settings: Settings, infos: list[SymbolInfo]) -> list[SymbolIngest]:
    """The ingest flow's work without Prefect: the symbols registered, then each chunk task's
    function, without the concurrency-limit lookups."""
    import flows.concurrency
    import flows.ingest_store
    from flows.ingest_chunks import ingest_chunk
    from flows.ingest_fetch import IngestOptions
    from warehouse.connection import connect
    from warehouse.symbols import sync_symbols

    flows.concurrency._limit_exists = lambda name: False
    flows.ingest_store.get_run_logger = lambda: logging.getLogger("bench")  # type: ignore[assignment,misc]
    with connect(settings.warehouse) as con:
        sync_symbols(con, infos)
    options = IngestOptions(source="bundled")
    size = settings.dask.chunk_size
    results: list[SymbolIngest] = []
    for index, first in enumerate(range(0, len(infos), size)):
        chunk = infos[first : first + size]
        results += ingest_chunk.fn(index, chunk, options, settings, {}, first, len(infos))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--symbols", type=int, nargs="+", default=[300, 1000, 10000])
    parser.add_argument("--days", type=int, default=300)
    parser.add_argument("--direct", action="store_true", help="no Prefect server")
    args = parser.parse_args()
    from prefect.testing.utilities import prefect_test_harness

    rows = []
    with nullcontext() if args.direct else prefect_test_harness(server_startup_timeout=600):
        for n in args.symbols:
            rows.append(one_size(n, args.days, direct=args.direct))
            print(rows[-1], flush=True)  # partial results survive a timeout
    text = "TIMING-ONLY DATA (block-bootstrapped Moutai/BTC returns)\n\n" + _table(
        pd.DataFrame(rows)
    )
    RESULTS.mkdir(exist_ok=True)
    name = "watchlist-direct.md" if args.direct else "watchlist.md"
    (RESULTS / name).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
