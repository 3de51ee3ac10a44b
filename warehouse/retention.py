"""Retention: which model and split files are still needed, and the record of those deleted.

Kept: each symbol's current champion, each (symbol, model)'s newest ``keep_latest`` runs, and
every run with a forecast whose target day has no final bar yet (its lineage may still be
scored). A kept run keeps its split. Rows (runs, splits, metrics, forecasts) are never deleted:
only files, and only this warehouse's own: a run's or split's file that resolves under the
current ``models_dir``/``splits_dir`` (a copied warehouse never deletes the original's files).
Each deletion is recorded in ``deleted_artifacts`` before the file goes (``deleted_at`` null)
and marked done after, so a killed ``gc`` leaves an accurate record that the next one finishes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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


def is_under(path: str | Path, folder: Path) -> bool:
    """Whether path, symbolic links resolved, lies inside folder."""
    return Path(path).resolve().is_relative_to(folder.resolve())


def deletable_models(
    con: duckdb.DuckDBPyConnection, keep_latest: int, models_dir: Path
) -> tuple[list[Artifact], int]:
    """Model folders under models_dir of runs retention does not keep (not yet deleted), and
    how many more it would have listed outside models_dir (another warehouse's, left alone)."""
    keep = kept_runs(con, keep_latest)
    rows = con.execute(
        """
        select run_id, artifact_uri from model_runs
        where artifact_uri is not null
          and artifact_uri not in (select path from deleted_artifacts)
        order by started_at
        """
    ).fetchall()
    candidates = [Artifact("model", run_id, uri) for run_id, uri in rows if run_id not in keep]
    ours = [a for a in candidates if is_under(a.path, models_dir)]
    return ours, len(candidates) - len(ours)


def deletable_splits(
    con: duckdb.DuckDBPyConnection, keep_latest: int, splits_dir: Path
) -> tuple[list[Artifact], int]:
    """Split files in splits_dir of this warehouse's splits that no kept run needs (not yet
    deleted), and how many split files there are kept."""
    keep = kept_splits(con, keep_latest)
    known = {row[0] for row in con.execute("select split_id from splits").fetchall()}
    deleted = {row[0] for row in con.execute("select path from deleted_artifacts").fetchall()}
    files = [f for f in sorted(splits_dir.glob("*.npz")) if f.stem in known]
    gone = [f for f in files if f.stem not in keep and str(f) not in deleted]
    artifacts = [Artifact("split", f.stem, str(f), f.stat().st_size) for f in gone]
    return artifacts, sum(f.stem in keep for f in files)


def unfinished_deletions(con: duckdb.DuckDBPyConnection) -> list[Artifact]:
    """Deletions recorded but not marked done (a ``gc`` killed between the two)."""
    rows = con.execute(
        "select kind, owner_id, path, bytes from deleted_artifacts where deleted_at is null"
    ).fetchall()
    return [Artifact(*row) for row in rows]


def kept_splits(con: duckdb.DuckDBPyConnection, keep_latest: int) -> set[str]:
    """Split ids a kept run was trained on."""
    keep = kept_runs(con, keep_latest)
    frame = con.execute("select run_id, split_id from model_runs").df()
    return set(frame.loc[frame["run_id"].isin(keep), "split_id"])


def record_deleting(
    con: duckdb.DuckDBPyConnection, artifacts: Iterable[Artifact], requested_at: datetime
) -> int:
    """Note each file about to be deleted in ``deleted_artifacts`` (``deleted_at`` null until
    :func:`mark_deleted`); the number recorded."""
    frame = pd.DataFrame(
        [
            {
                "path": a.path,
                "kind": a.kind,
                "owner_id": a.owner_id,
                "bytes": a.bytes,
                "requested_at": requested_at,
            }
            for a in artifacts
        ],
        columns=["path", "kind", "owner_id", "bytes", "requested_at"],
    )
    if frame.empty:
        return 0
    con.register("incoming_deleted", frame)
    try:
        con.execute(
            "insert into deleted_artifacts (path, kind, owner_id, bytes, requested_at) "
            "select path, kind, owner_id, bytes, requested_at from incoming_deleted "
            "on conflict (path) do nothing"
        )
    finally:
        con.unregister("incoming_deleted")
    return len(frame)


def mark_deleted(con: duckdb.DuckDBPyConnection, path: str, deleted_at: datetime) -> None:
    """Note that the recorded file at path is gone."""
    con.execute(
        "update deleted_artifacts set deleted_at = ? where path = ? and deleted_at is null",
        [deleted_at, path],
    )
