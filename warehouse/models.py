"""Recording splits, model runs, their metrics and predictions, and champions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from warehouse.transactions import transaction


def record_split(con: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> None:
    """Store a split's ranges and scaler once; the same split_id is not stored twice."""
    con.execute(
        """
        insert into splits (
            split_id, symbol, as_of_date, window_length, features, target, target_kind,
            train_start, train_end, validation_start, validation_end, test_start, test_end,
            first_bar_date, scaler, data_fingerprint, config)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        on conflict (split_id) do nothing
        """,
        [
            record["split_id"],
            record["symbol"],
            record["as_of_date"],
            record["window"],
            list(record["features"]),
            record["target"],
            record["target_kind"],
            record["train_start"],
            record["train_end"],
            record["validation_start"],
            record["validation_end"],
            record.get("test_start"),
            record.get("test_end"),
            record["first_bar_date"],
            json.dumps(record["scaler"]),
            record["data_fingerprint"],
            json.dumps(record["config"]),
        ],
    )


def record_run(con: duckdb.DuckDBPyConnection, run: Mapping[str, Any]) -> None:
    """Store a run with its metrics and predictions in one transaction."""
    with transaction(con):
        write_runs(con, [run])


def write_runs(con: duckdb.DuckDBPyConnection, runs: list[Mapping[str, Any]]) -> None:
    """Insert runs (pipeline.training.jobs.ModelOutcome.to_record: the ``model_runs`` columns by
    name, dicts as JSON, and its ``metrics`` and ``predictions`` frames), three statements in
    all (no transaction of its own: wrap it in :func:`warehouse.transactions.transaction`)."""
    if not runs:
        return
    rows = [{k: v for k, v in run.items() if k not in ("metrics", "predictions")} for run in runs]
    columns = list(rows[0])
    con.executemany(
        f"insert into model_runs ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
        [
            [json.dumps(row[c]) if c == "hyperparameters" else row[c] for c in columns]
            for row in rows
        ],
    )
    metrics = [
        run["metrics"][["split", "metric", "value"]].assign(run_id=run["run_id"])
        for run in runs
        if not run["metrics"].empty
    ]
    if metrics:
        con.register("run_metrics", pd.concat(metrics, ignore_index=True))
        con.execute("insert into metrics select run_id, split, metric, value from run_metrics")
        con.unregister("run_metrics")
    predictions = [
        run["predictions"][["split", "date", "predicted", "actual", "last_known"]].assign(
            run_id=run["run_id"], symbol=run["symbol"]
        )
        for run in runs
        if not run["predictions"].empty
    ]
    if predictions:
        con.register("run_predictions", pd.concat(predictions, ignore_index=True))
        con.execute(
            """
            insert into predictions
            select run_id, symbol, date::date, split, predicted, actual, last_known
            from run_predictions
            """
        )
        con.unregister("run_predictions")


def record_champion(
    con: duckdb.DuckDBPyConnection,
    *,
    symbol: str,
    run_id: str,
    model: str,
    split_id: str,
    validation_mae: float,
    chosen_at: datetime,
) -> None:
    """Record a run as the symbol's champion from now on."""
    con.execute(
        "insert into champions values (?, ?, ?, ?, ?, ?)",
        [symbol, run_id, model, split_id, validation_mae, chosen_at],
    )


def current_champion(con: duckdb.DuckDBPyConnection, symbol: str) -> dict[str, Any] | None:
    """The newest champion of a symbol with its run, or None."""
    frame = con.execute(
        """
        select c.run_id, c.model, c.validation_mae, c.chosen_at, r.artifact_uri, r.split_id
        from champions as c join model_runs as r using (run_id)
        where c.symbol = ?
        order by c.chosen_at desc
        limit 1
        """,
        [symbol],
    ).df()
    return None if frame.empty else {str(k): v for k, v in frame.iloc[0].to_dict().items()}


def list_runs(con: duckdb.DuckDBPyConnection, symbol: str, limit: int = 50) -> pd.DataFrame:
    """Recent runs of a symbol with validation and test MAE beside the naive MAE."""
    return con.execute(
        """
        select model, split, mae, naive_mae, skill_vs_naive, is_beating_naive,
               dm_p_value_better, interval_score_95, naive_interval_score_95, pinball_loss,
               naive_pinball_loss, is_beating_naive_interval, is_champion, purpose,
               finished_at, run_id
        from model_scoreboard
        where symbol = ?
        order by finished_at desc, split, mae
        limit ?
        """,
        [symbol, limit],
    ).df()


def base_runs(con: duckdb.DuckDBPyConnection, symbol: str, before: date) -> pd.DataFrame:
    """Per model: the newest succeeded daily/replay run on a split dated before ``before``,
    and the as-of date of that model's newest full retrain before it."""
    return con.execute(
        """
        with

        runs as (
            select r.model, r.run_id, r.artifact_uri, r.training, r.finished_at, s.as_of_date
            from model_runs as r
            join splits as s using (split_id)
            where r.symbol = ? and r.status = 'succeeded' and r.purpose in ('daily', 'replay')
              and s.as_of_date < ?
        ),

        latest as (
            select model, arg_max(run_id, (as_of_date, finished_at)) as run_id,
                   arg_max(artifact_uri, (as_of_date, finished_at)) as artifact_uri
            from runs
            group by model
        ),

        last_full as (
            select model, max(as_of_date) as last_full_as_of
            from runs
            where training = 'full'
            group by model
        )

        select latest.model, latest.run_id, latest.artifact_uri, last_full.last_full_as_of
        from latest
        join last_full using (model)
        """,
        [symbol, before],
    ).df()
