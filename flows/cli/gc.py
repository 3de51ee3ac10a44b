"""``nextbar gc``: retention of model and split files (a dry run unless ``--apply``)."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.app import WarehouseOpt, app, warehouse_path
from flows.output import console, print_frame


@app.command()
def gc(
    apply: Annotated[bool, typer.Option("--apply", help="Delete (default: only list)")] = False,
    keep_latest: Annotated[
        int | None,
        typer.Option("--keep-latest", min=1, help="Newest runs kept per symbol and model"),
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Delete model and split files no champion, newest run or unscored forecast needs."""
    import pandas as pd

    from flows.gc import gc as gc_flow

    report = gc_flow(apply=apply, keep_latest=keep_latest, warehouse=str(warehouse_path(warehouse)))
    frame = pd.DataFrame(
        [a.__dict__ for a in report.artifacts], columns=["kind", "owner_id", "path", "bytes"]
    )
    summary = frame.groupby("kind", as_index=False).agg(
        files=("path", "size"), bytes=("bytes", "sum")
    )
    print_frame(summary, title="retention: files no kept run needs")
    verb = "deleted" if apply else "would delete (dry run; --apply deletes)"
    console.print(
        f"{verb}: {len(frame)} files, {report.bytes / 1e6:.1f} MB; "
        f"{report.kept_splits} split files kept"
    )
    if report.foreign:
        console.print(
            f"left alone: {report.foreign} model folders outside {report.models_dir} "
            "(another warehouse's, e.g. the original of a copy)"
        )
