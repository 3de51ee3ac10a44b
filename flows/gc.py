"""Flow ``gc``: delete the model and split files retention does not keep (a dry run unless
``apply``), only under this warehouse's ``models_dir``/``splits_dir``, recording each deletion
before it happens and marking it done after."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger

from flows.common import load_settings, open_warehouse
from warehouse.retention import (
    Artifact,
    deletable_models,
    deletable_splits,
    is_under,
    mark_deleted,
    record_deleting,
    unfinished_deletions,
)


@dataclass
class GcReport:
    """What retention found (and, when applied, deleted)."""

    applied: bool
    artifacts: list[Artifact] = field(default_factory=list)
    kept_splits: int = 0
    foreign: int = 0  # model folders outside models_dir (another warehouse's), never deleted
    models_dir: str = ""

    @property
    def bytes(self) -> int:
        """Bytes the listed artifacts take (took, when applied)."""
        return sum(a.bytes for a in self.artifacts)


def disk_bytes(path: Path) -> int:
    """Size of a file, or of every file under a folder (0 when missing)."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@flow(name="gc")
def gc(
    apply: bool = False, keep_latest: int | None = None, warehouse: str | None = None
) -> GcReport:
    """List (and with ``apply`` delete) model folders and split arrays no kept run needs: kept
    are each symbol's champion, each model's newest ``keep_latest`` runs ([retention] in
    nextbar.toml, default 1) and runs whose forecasts are not scored yet."""
    settings = load_settings(warehouse)
    keep = keep_latest or settings.retention.keep_latest
    with open_warehouse(settings) as con:
        found, foreign = deletable_models(con, keep, settings.models_dir)
        models = [
            replace(a, bytes=disk_bytes(Path(a.path))) for a in found if Path(a.path).exists()
        ]
        splits, splits_kept = deletable_splits(con, keep, settings.splits_dir)
        report = GcReport(
            applied=apply,
            artifacts=models + splits,
            kept_splits=splits_kept,
            foreign=foreign,
            models_dir=str(settings.models_dir),
        )
        if apply:
            record_deleting(con, report.artifacts, datetime.now(tz=UTC))
            folders = (settings.models_dir, settings.splits_dir)
            for artifact in unfinished_deletions(con):  # this run's, and a killed run's
                if any(is_under(artifact.path, folder) for folder in folders):
                    _delete(Path(artifact.path))
                    mark_deleted(con, artifact.path, datetime.now(tz=UTC))
    verb = "deleted" if apply else "would delete"
    get_run_logger().info(
        "gc %s %d files (%.1f MB)", verb, len(report.artifacts), report.bytes / 1e6
    )
    return report


def _delete(path: Path) -> None:
    """Remove a file or a folder; one already gone is fine."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
