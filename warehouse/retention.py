"""Retention: which model and split files are still needed, and the record of those deleted.

Kept: each symbol's current champion, each (symbol, model)'s newest ``keep_latest`` runs, and
every run with a forecast whose target day has no final bar yet (its lineage may still be
scored). A kept run keeps its split. Rows (runs, splits, metrics, forecasts) are never deleted:
only files, and each deletion is recorded in ``deleted_artifacts``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

_KEPT_RUNS = """
with ranked as (
    select run_id, row_number() over (
        partition by symbol, model order by started_at desc, run_id desc) as age
    from model_runs
    where status = 'succeeded' and artifact_uri is not null
),
current_champions as (
    select run_id from champions
    qualify row_number() over (partition by symbol order by chosen_at desc) = 1
),
pending as (
    select distinct f.run_id from forecasts f
    left join bars b
        on b.symbol = f.symbol and b.date = f.target_date and not b.is_partial
    where f.run_id is not null and b.date is null
)
select run_id from ranked where age <= $keep_latest
union select run_id from current_champions
union select run_id from pending
"""


@dataclass(frozen=True)
class Artifact:
    """One file or folder retention may delete: whose it is, where, and how big."""

    kind: str  # model or split
    owner_id: str  # run_id or split_id
    path: str
    bytes: int = 0


def kept_runs(con: duckdb.DuckDBPyConnection, keep_latest: int) -> set[str]:
    """Run ids whose model files must stay."""
    rows = con.execute(_KEPT_RUNS, {"keep_latest": keep_latest}).fetchall()
    return {row[0] for row in rows}


def deletable_models(con: duckdb.DuckDBPyConnection, keep_latest: int) -> list[Artifact]:
    """Model folders of runs retention does not keep (not yet deleted)."""
    keep = kept_runs(con, keep_latest)
    rows = con.execute(
        """
        select run_id, artifact_uri from model_runs
        where artifact_uri is not null
          and artifact_uri not in (select path from deleted_artifacts)
        order by started_at
        """
    ).fetchall()
    return [Artifact("model", run_id, uri) for run_id, uri in rows if run_id not in keep]


def kept_splits(con: duckdb.DuckDBPyConnection, keep_latest: int) -> set[str]:
    """Split ids a kept run was trained on."""
    keep = kept_runs(con, keep_latest)
    frame = con.execute("select run_id, split_id from model_runs").df()
    return set(frame.loc[frame["run_id"].isin(keep), "split_id"])


def record_deleted(
    con: duckdb.DuckDBPyConnection, artifacts: Iterable[Artifact], deleted_at: datetime
) -> int:
    """Note each deleted file in ``deleted_artifacts``; the number recorded."""
    frame = pd.DataFrame(
        [
            {
                "path": a.path,
                "kind": a.kind,
                "owner_id": a.owner_id,
                "bytes": a.bytes,
                "deleted_at": deleted_at,
            }
            for a in artifacts
        ],
        columns=["path", "kind", "owner_id", "bytes", "deleted_at"],
    )
    if frame.empty:
        return 0
    con.register("incoming_deleted", frame)
    try:
        con.execute(
            "insert into deleted_artifacts select path, kind, owner_id, bytes, deleted_at "
            "from incoming_deleted on conflict (path) do nothing"
        )
    finally:
        con.unregister("incoming_deleted")
    return len(frame)
