"""The views benchmark: every view a user or ``nextbar models`` reads, at 300 symbols x 250
scored days of the daily step's default model kinds, before and after a change, in one run.

TIMING-ONLY DATA: bars are block-bootstrapped (benchmarks/bootstrap.py) and forecasts are
synthetic; no forecast quality is ever reported from it. Rows go in through the warehouse's own
writers (``store_ingest``, ``record_split``, ``write_runs``, ``record_champion``,
``write_forecasts``): per symbol and scored day, one replayed forecast per kind with its
quantiles; the last 20 days also live, and each kind's live forecast for the day after the
last bar (not yet scored). Runs (with validation metrics) and champions every 20th day (a
replay's retrain) and every live day; a forecast names its newest run.

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
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from benchmarks.bootstrap import bootstrap_bars, bootstrap_codes
from pipeline.data.symbols import get_symbol
from pipeline.data.validation import validate_bars
from pipeline.forecast.intervals import QUANTILE_LEVELS
from pipeline.settings import DEFAULT_MODELS
from warehouse.connection import connect, transaction
from warehouse.forecasts import distribution_scores, recent_errors, write_forecasts
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.models import current_champion, list_runs, record_champion, record_split, write_runs
from warehouse.symbols import sync_symbols

AS_OF = date(2026, 11, 20)
LIVE_DAYS = 20
VALIDATION_METRICS = ("mae", "rmse", "mse", "mape", "r2", "direction_accuracy", "mae_naive")
ONE = "990000.SH"
BASELINE = "350904d"  # main before migration 008: every score computed at query time
_NOW = datetime(2026, 11, 21, tzinfo=UTC)

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


def build(warehouse: Path, count: int = 300, scored_days: int = 250) -> Path:
    """Fill ``warehouse`` with ``count`` symbols x ``scored_days``; one that exists is only
    opened by a writer (upgraded, its scores stored)."""
    if warehouse.exists():
        with connect(warehouse):
            return warehouse
    codes = bootstrap_codes(count)
    rng = np.random.default_rng(0)
    with connect(warehouse) as con:
        sync_symbols(con, [get_symbol(c) for c in codes])
        for i, code in enumerate(codes):
            bars = bootstrap_bars(code, scored_days + 1, AS_OF, i)
            checked = validate_bars(bars, today=AS_OF)
            request = IngestRequest(str(uuid.uuid4()), code, "bootstrap", None, None, _NOW)
            store_ingest(con, request, checked.valid, checked.rejected)
            with transaction(con):
                _write_symbol(con, code, bars, rng)
    return warehouse


def _write_symbol(
    con: duckdb.DuckDBPyConnection, code: str, bars: pd.DataFrame, rng: np.random.Generator
) -> None:
    """One split, and per day and kind a run (validation metrics), a champion per day, and
    the forecasts."""
    dates = list(bars["date"].dt.date)
    split_id = f"split-{code}"
    record_split(con, _split(code, split_id, dates))
    run_days = [d for k, d in enumerate(dates) if k % 20 == 0 or k >= len(dates) - LIVE_DAYS - 1]
    runs = {
        (kind, d): f"{code}-{kind}-{d.isoformat()}" for kind in DEFAULT_MODELS for d in run_days
    }
    write_runs(
        con, [_run(code, kind, d, split_id, run_id, rng) for (kind, d), run_id in runs.items()]
    )
    for k, day in enumerate(run_days):
        champion = DEFAULT_MODELS[k % len(DEFAULT_MODELS)]
        record_champion(
            con,
            symbol=code,
            run_id=runs[champion, day],
            model=champion,
            split_id=split_id,
            validation_mae=1.0,
            chosen_at=_at(day),
        )
    write_forecasts(con, _forecasts(code, bars, runs, rng))


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _split(code: str, split_id: str, dates: list[date]) -> dict[str, object]:
    return {
        "split_id": split_id,
        "symbol": code,
        "as_of_date": dates[-1],
        "window": 20,
        "features": ["close"],
        "target": "close",
        "target_kind": "log_return",
        "train_start": dates[0],
        "train_end": dates[1],
        "validation_start": dates[2],
        "validation_end": dates[-1],
        "first_bar_date": dates[0],
        "scaler": {},
        "data_fingerprint": "bootstrap",
        "config": {},
    }


def _run(
    code: str, kind: str, day: date, split_id: str, run_id: str, rng: np.random.Generator
) -> dict[str, object]:
    return {
        "run_id": run_id,
        "symbol": code,
        "model": kind,
        "split_id": split_id,
        "hyperparameters": {},
        "started_at": _at(day),
        "finished_at": _at(day) + timedelta(seconds=5),
        "status": "succeeded",
        "purpose": "daily",
        "metrics": pd.DataFrame(
            {
                "split": "validation",
                "metric": VALIDATION_METRICS,
                "value": rng.uniform(0.5, 2.0, len(VALIDATION_METRICS)),
            }
        ),
        "predictions": pd.DataFrame(),
    }


def _forecasts(
    code: str,
    bars: pd.DataFrame,
    runs: dict[tuple[str, date], str],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Per kind: a replayed forecast of every next close, live ones for the last
    ``LIVE_DAYS``, and a live one for the day after the last bar (unscored)."""
    close = bars["close"].to_numpy()
    dates = list(bars["date"].dt.date)
    run_days = sorted({d for _, d in runs})
    as_of = [*dates[:-1], *dates[-LIVE_DAYS - 1 :]]
    target = [*dates[1:], *dates[-LIVE_DAYS:], dates[-1] + timedelta(days=1)]
    last_known = np.concatenate([close[:-1], close[-LIVE_DAYS - 1 :]])
    is_replay = [True] * (len(dates) - 1) + [False] * (LIVE_DAYS + 1)
    frames = []
    for kind in DEFAULT_MODELS:
        predicted = last_known * (1 + rng.normal(0, 0.01, len(last_known)))
        half = last_known * rng.uniform(0.005, 0.03, len(last_known))
        quantiles = [
            {q: p + (2 * q - 1) * h * 1.5 for q in QUANTILE_LEVELS}
            for p, h in zip(predicted, half, strict=True)
        ]
        frames.append(
            pd.DataFrame(
                {
                    "symbol": code,
                    "model": kind,
                    "run_id": [runs[kind, max(d for d in run_days if d <= a)] for a in as_of],
                    "target": "close",
                    "as_of_date": as_of,
                    "target_date": target,
                    "issued_at": [_at(d) for d in as_of],
                    "predicted": predicted,
                    "lower_80": [q[0.1] for q in quantiles],
                    "upper_80": [q[0.9] for q in quantiles],
                    "lower_95": [q[0.025] for q in quantiles],
                    "upper_95": [q[0.975] for q in quantiles],
                    "last_known": last_known,
                    "is_champion": kind == "gru",
                    "is_replay": is_replay,
                    "scale": 0.01 if kind.startswith(("naive_", "gru_d", "lstm_d")) else None,
                    "quantiles": quantiles,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _use_views(path: Path, ref: str) -> None:
    """Replace the file's views with those of git ``ref`` (a writer connection, no migrate)."""
    root = Path(__file__).resolve().parents[1]
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{ref}:warehouse/views"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    con = duckdb.connect(str(path))
    try:
        for name in sorted(n for n in names if n.endswith(".sql")):
            sql = subprocess.run(
                ["git", "show", f"{ref}:warehouse/views/{name}"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            con.execute(sql)
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


def _frames(answer: object) -> list[pd.DataFrame]:
    """The answer's frames, rows sorted (a view has no order)."""
    parts = answer if isinstance(answer, tuple) else (answer,)
    frames = [p.to_pandas() if hasattr(p, "to_pandas") else p for p in parts]
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
                "rows": len(answer) if isinstance(answer, pd.DataFrame) else None,
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
