"""The views benchmark: every view a user or ``nextbar models`` reads, at 300 symbols x 250
scored days (benchmarks/views_data.py, TIMING-ONLY DATA), before and after a change, in one run.

    python -m benchmarks.run --suite views [--days N]
    python -m benchmarks.views [--symbols 300] [--days 250] [--baseline REF] [--warehouse P]

The same file is timed with the views of git ``REF`` (``before``: by default those before
migration 008 stored the scores) and with this tree's (``after``); each query is the best of 3,
on a fresh read-only connection (cold) and on one already used (warm). Full answers are
fetched as pandas frames, as ``nextbar sql`` does (one row also as Arrow, without pandas).
``--warehouse`` keeps the built file for the next run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from benchmarks.views_data import AS_OF, build
from warehouse.connection import connect
from warehouse.forecasts import distribution_scores, recent_errors
from warehouse.models import current_champion, list_runs

ONE = "990000.SH"
BASELINE = "350904d"  # main before migration 008: every score computed at query time

Query = Callable[[duckdb.DuckDBPyConnection], object]
VIEWS = ("leaderboard", "latest_forecasts", "forecast_accuracy", "model_scoreboard")


def _select(view: str, where: str = "") -> Query:
    """``select * from view`` (``where``: of the symbol ``ONE``) as a pandas frame."""
    return lambda con: con.execute(f"select * from {view} {where}", [ONE] if where else []).df()


QUERIES: dict[str, Query] = {
    **{view: _select(view) for view in VIEWS},
    **{f"{view}, one symbol": _select(view, "where symbol = ?") for view in VIEWS},
    "forecast_accuracy (as Arrow)": lambda con: con.execute(
        "select * from forecast_accuracy"
    ).to_arrow_table(),
    "nextbar models (3 reads)": lambda con: (
        list_runs(con, ONE, 30),
        current_champion(con, ONE),
        distribution_scores(con, ONE),
    ),
    "recent_errors, one symbol (daily step)": lambda con: recent_errors(
        con, ONE, "close", AS_OF, 60
    ),
}


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def _use_views(path: Path, ref: str) -> None:
    """Replace the file's views with those of git ``ref`` (a writer connection, no migrate)."""
    names = _git("ls-tree", "--name-only", f"{ref}:warehouse/views").split()
    con = duckdb.connect(str(path))
    try:
        for name in sorted(n for n in names if n.endswith(".sql")):
            con.execute(_git("show", f"{ref}:warehouse/views/{name}"))
    finally:
        con.close()


def time_queries(path: Path, repeats: int = 3) -> dict[str, tuple[float, float, object]]:
    """Per query: (cold s, warm s, the answer), each time the best of ``repeats``."""
    out: dict[str, tuple[float, float, object]] = {}
    for name, query in QUERIES.items():
        cold = []
        for _ in range(repeats):
            started = time.perf_counter()
            with connect(path, read_only=True) as con:
                query(con)
            cold.append(time.perf_counter() - started)
        warm = []
        with connect(path, read_only=True) as con:
            answer = query(con)
            for _ in range(repeats):
                started = time.perf_counter()
                query(con)
                warm.append(time.perf_counter() - started)
        out[name] = (min(cold), min(warm), answer)
    return out


def _frame(part: object) -> object:
    """An Arrow table or a dict (a row, or {column: {row: value}}) as a pandas frame."""
    if hasattr(part, "to_pandas"):
        return part.to_pandas()
    if isinstance(part, dict):
        nested = all(isinstance(v, dict) for v in part.values())
        frame = pd.DataFrame(part) if nested else pd.DataFrame([part])
        return frame[sorted(frame.columns)]  # dict order is the query's row order
    return part


def _frames(answer: object) -> list[pd.DataFrame]:
    """The answer's frames, rows sorted (a view has no order)."""
    parts = answer if isinstance(answer, tuple) else (answer,)
    frames = [_frame(p) for p in parts]
    out = []
    for frame in (f for f in frames if isinstance(f, pd.DataFrame)):
        if {"model", "is_beating_naive_interval"} <= set(frame.columns):
            # naive against itself: a float tie of two means of one sum, either way run to run
            naive = frame["model"] == "naive"
            frame = frame.assign(
                is_beating_naive_interval=frame["is_beating_naive_interval"].where(~naive)
            )
        out.append(frame.sort_values(list(frame.columns), ignore_index=True))
    return out


def _same(before: object, after: object) -> bool:
    """Both answers hold the same rows (floats to 1e-9: sums may add up in another order)."""
    pairs = list(zip(_frames(before), _frames(after), strict=True))
    try:
        for old, new in pairs:
            pd.testing.assert_frame_equal(new, old, check_dtype=False, rtol=1e-9)
    except AssertionError:
        return False
    return True


def views(
    baseline: str = BASELINE,
    symbols: int = 300,
    days: int = 250,
    warehouse: Path | None = None,
    **_: object,
) -> pd.DataFrame:
    """Each query's best-of-3 seconds with ``baseline``'s views and with this tree's."""
    with tempfile.TemporaryDirectory() as tmp:
        built = warehouse or Path(tmp) / f"views-{symbols}x{days}.duckdb"
        started = time.perf_counter()
        build(built, symbols, days)
        print(f"warehouse ready in {time.perf_counter() - started:.0f} s: {built}", flush=True)
        before = Path(tmp) / "before.duckdb"
        shutil.copyfile(built, before)
        _use_views(before, baseline)
        after = time_queries(built)
        old = time_queries(before)
    rows = []
    for name, (cold, warm, answer) in after.items():
        old_cold, old_warm, old_answer = old[name]
        rows.append(
            {
                "query": name,
                "rows": str(sum(len(f) for f in _frames(answer))),
                "before_cold_s": old_cold,
                "before_warm_s": old_warm,
                "after_cold_s": cold,
                "after_warm_s": warm,
                "same_answer": _same(old_answer, answer),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    from benchmarks.run import RESULTS, _table  # run imports this module for its suites

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--warehouse", type=Path, default=None)
    args = parser.parse_args()
    frame = views(args.baseline, args.symbols, args.days, args.warehouse)
    text = (
        f"## views ({args.symbols} symbols x {args.days} scored days, TIMING-ONLY DATA)\n\n"
        + _table(frame)
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "views.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
