"""Flow ``gc``: delete the model and split files retention does not keep (a dry run unless
``apply``), and record each deletion in the warehouse."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger

from flows.common import load_settings, open_warehouse
from warehouse.retention import Artifact, deletable_models, kept_splits, record_deleted


@dataclass
class GcReport:
    """What retention found (and, when applied, deleted)."""

    applied: bool
    artifacts: list[Artifact] = field(default_factory=list)
    kept_splits: int = 0

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
        models = [
            replace(a, bytes=disk_bytes(Path(a.path)))
            for a in deletable_models(con, keep)
            if Path(a.path).exists()
        ]
        splits_kept = kept_splits(con, keep)
        split_files = sorted(settings.splits_dir.glob("*.npz"))
        splits = [
            Artifact("split", f.stem, str(f), f.stat().st_size)
            for f in split_files
            if f.stem not in splits_kept
        ]
        report = GcReport(
            applied=apply,
            artifacts=models + splits,
            kept_splits=len(split_files) - len(splits),
        )
        if apply:
            for artifact in report.artifacts:
                path = Path(artifact.path)
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
            record_deleted(con, report.artifacts, datetime.now(tz=UTC))
    verb = "deleted" if apply else "would delete"
    get_run_logger().info(
        "gc %s %d files (%.1f MB)", verb, len(report.artifacts), report.bytes / 1e6
    )
    return report
