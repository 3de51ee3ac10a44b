"""A watch list's ingest: chunks of symbols on one warehouse opening each, a progress record
per symbol, and one symbol's failure recorded without stopping the others."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from flows.ingest import ingest
from pipeline.data.sources import bundled
from pipeline.errors import NextbarError
from tests.watchlist_data import bootstrap_bars, bootstrap_codes
from warehouse.connection import connect

AS_OF = date(2026, 11, 20)


def test_a_long_list_is_ingested_in_chunks_with_progress(
    warehouse_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    codes = bootstrap_codes(24)
    frames = {c: bootstrap_bars(c, 60, AS_OF, i) for i, c in enumerate(codes)}
    # Timing-only series served by the bundled source; the last code has none.
    frames.pop(codes[-1])
    real = bundled._load

    def load(info: bundled.SymbolInfo) -> object:
        return frames[info.symbol] if info.symbol in frames else real(info)

    monkeypatch.setattr(bundled, "_load", load)
    monkeypatch.setenv("NEXTBAR_DASK__CHUNK_SIZE", "10")
    caplog.set_level(logging.INFO, logger="nextbar.ingest")
    with pytest.raises(NextbarError, match=f"{codes[-1]}: no bundled history"):
        ingest(symbols=codes, source="bundled", warehouse=str(warehouse_path))
    progress = [r.progress for r in caplog.records if r.name == "nextbar.ingest"]  # type: ignore[attr-defined]
    assert progress == [(n, 24) for n in range(1, 25)]
    with connect(warehouse_path, read_only=True) as con:
        stored = con.execute("select count(distinct symbol), count(*) from bars").fetchone()
        runs = con.execute(
            "select status, count(*) from ingest_runs group by 1 order by 1"
        ).fetchall()
    assert stored == (23, 23 * 60)
    assert runs == [("failed", 1), ("succeeded", 23)]


def test_the_progress_bar_follows_the_records_and_leaves_logging_as_it_was() -> None:
    from flows.progress import _SymbolBar, ingest_progress

    logger = logging.getLogger("nextbar.ingest")
    before = (logger.level, logger.propagate, list(logger.handlers))
    with ingest_progress():
        [bar] = [h for h in logger.handlers if isinstance(h, _SymbolBar)]
        for done in range(1, 4):
            logger.info("ingest X succeeded", extra={"progress": (done, 3)})
        task = bar.progress.tasks[0]
        assert (task.completed, task.total, task.visible) == (3, 3, True)
    assert (logger.level, logger.propagate, list(logger.handlers)) == before
