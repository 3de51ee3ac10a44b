"""A real warehouse of BTC-USD bars and forecasts with full quantile ladders (the levels
0.01 … 0.99), for the risk, interval-champion and proper-score tests."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.data.bars import canonical
from pipeline.data.symbols import DEFAULT_SYMBOLS
from warehouse.forecasts import issue_forecasts
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.symbols import sync_symbols

LEVELS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99)
START = date(2023, 1, 1)


@dataclass(frozen=True)
class Ladders:
    """closes[i] is day i's close; sigmas: each model's relative standard deviation; its
    forecast issued on day i is normal around closes[i] (naive's point), every level."""

    closes: np.ndarray
    sigmas: Mapping[str, float]

    def day(self, i: int) -> date:
        return START + timedelta(days=i)

    def quantiles(self, model: str, i: int) -> dict[float, float]:
        last, sigma = float(self.closes[i]), self.sigmas[model]
        return {tau: last + sigma * last * float(stats.norm.ppf(tau)) for tau in LEVELS}


def ingest(con: duckdb.DuckDBPyConnection, closes: np.ndarray, first: int = 0) -> None:
    """BTC-USD bars of ``closes`` from day ``first`` on."""
    frame = pd.DataFrame(
        {
            "date": pd.date_range(START + timedelta(days=first), periods=len(closes), freq="D"),
            "open": closes,
            "high": closes * 1.01,
            "low": closes * 0.99,
            "close": closes,
            "volume": 10.0,
            "is_partial": False,
        }
    )
    bars = canonical(frame, volume_unit="usd", price_adjustment="split", source="test")
    request = IngestRequest(str(uuid.uuid4()), "BTC-USD", "test", None, None, datetime.now(UTC))
    store_ingest(con, request, bars, pd.DataFrame())


def forecast(
    model: str, as_of: date, last: float, quantiles: dict[float, float], run_id: str | None
) -> dict[str, object]:
    """A live close forecast for the day after ``as_of`` with these quantiles."""
    return {
        "symbol": "BTC-USD",
        "model": model,
        "run_id": run_id,
        "target": "close",
        "as_of_date": as_of,
        "target_date": as_of + timedelta(days=1),
        "issued_at": datetime(2024, 6, 1, tzinfo=UTC),
        "predicted": quantiles.get(0.5, last),
        "lower_80": quantiles.get(0.1),
        "upper_80": quantiles.get(0.9),
        "lower_95": quantiles.get(0.025),
        "upper_95": quantiles.get(0.975),
        "last_known": last,
        "is_champion": model == "naive",
        "is_replay": False,
        "scale": None,
        "quantiles": quantiles,
    }


def store_runs(con: duckdb.DuckDBPyConnection, validation_scores: Mapping[str, float]) -> None:
    """A run per model (run_id = the model's name) with this validation interval_score_95."""
    con.execute(
        """
        insert into splits (split_id, symbol, as_of_date, window_length, features, target,
            target_kind, train_start, train_end, validation_start, validation_end,
            first_bar_date, scaler, data_fingerprint, config)
        values ('s', 'BTC-USD', ?, 10, ['close'], 'close', 'price', ?, ?, ?, ?, ?, '{}', 'f',
            '{}')
        """,
        [
            START,
            START - timedelta(days=9),
            START - timedelta(days=5),
            START - timedelta(days=4),
            START,
            START - timedelta(days=20),
        ],
    )
    for model, score in validation_scores.items():
        con.execute(
            "insert into model_runs (run_id, symbol, model, split_id, hyperparameters,"
            " started_at, status) values (?, 'BTC-USD', ?, 's', '{}', now(), 'succeeded')",
            [model, model],
        )
        con.execute(
            "insert into metrics values (?, 'validation', 'interval_score_95', ?)", [model, score]
        )


class QuantileStore:
    """What the tests store: ``ladders`` (bars, runs and every day's forecasts), or bars and
    single forecasts by hand."""

    levels = LEVELS
    ingest = staticmethod(ingest)
    forecast = staticmethod(forecast)

    @staticmethod
    def ladders(
        con: duckdb.DuckDBPyConnection,
        sigmas: Mapping[str, float],
        validation_scores: Mapping[str, float] | None = None,
        *,
        days: int = 300,
        known: int | None = None,
        seed: int = 19,
    ) -> Ladders:
        """``days`` bars (the first ``known`` of them, all by default), a run per model
        (with ``validation_scores``) and each model's forecast of every next day."""
        rng = np.random.default_rng(seed)
        closes = 100.0 * np.exp(np.cumsum(0.02 * rng.standard_t(4, days)))
        out = Ladders(closes, sigmas)
        sync_symbols(con, DEFAULT_SYMBOLS)
        ingest(con, closes[: known or days])
        if validation_scores:
            store_runs(con, validation_scores)
        run = (lambda m: m) if validation_scores else (lambda m: None)
        rows = [
            forecast(m, out.day(i), closes[i], out.quantiles(m, i), run(m))
            for m in sigmas
            for i in range(days)
        ]
        issue_forecasts(con, pd.DataFrame(rows))
        return out


@pytest.fixture
def store() -> QuantileStore:
    return QuantileStore()
