"""The views benchmark's warehouse: 300 symbols x 250 scored days of the daily step's default
model kinds, written through the warehouse's own writers (``store_ingest``, ``record_split``,
``write_runs``, ``record_champion``, ``write_forecasts``), nothing trained.

TIMING-ONLY DATA: bars are block-bootstrapped (benchmarks/bootstrap.py) and forecasts are
synthetic; no forecast quality is ever reported from it. Per symbol and scored day, one
replayed forecast per kind with its quantiles; the last 20 days also live, and each kind's live
forecast for the day after the last bar (not yet scored). Runs (with validation metrics) and
champions every 20th day (a replay's retrain) and every live day; a forecast names its newest
run.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipeline.data.symbols import get_symbol
from pipeline.data.validation import validate_bars
from pipeline.forecast.intervals import QUANTILE_LEVELS
from pipeline.step_options import DEFAULT_MODELS
from tests.watchlist_data import bootstrap_bars, bootstrap_codes
from warehouse.connection import connect
from warehouse.forecasts import write_forecasts
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.models import record_champion, record_split, write_runs
from warehouse.symbols import sync_symbols
from warehouse.transactions import transaction

AS_OF = date(2026, 11, 20)
LIVE_DAYS = 20
VALIDATION_METRICS = ("mae", "rmse", "mse", "mape", "r2", "direction_accuracy", "mae_naive")
_NOW = datetime(2026, 11, 21, tzinfo=UTC)


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
