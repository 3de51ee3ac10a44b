"""The progress bars read fully at 80 columns: a replay's total from its first record, elapsed,
ETA and the running MAE beside naive's; a bar per model fit instead of epoch lines."""

from __future__ import annotations

import io
import logging
from datetime import date

from rich.console import Console

from flows.progress import fit_progress, replay_progress

replay_log = logging.getLogger("nextbar.replay")
fit_log = logging.getLogger("nextbar.progress")


def _screen() -> Console:
    return Console(width=80, file=io.StringIO(), record=True, force_terminal=False)


def _shown(screen: Console, renderable: object) -> str:
    """What the live display shows now, rendered on its own 80-column console."""
    snapshot = Console(width=80, file=io.StringIO(), record=True)
    snapshot.print(renderable)
    return snapshot.export_text()


def _replayed(done: int, mae: float | None) -> dict[str, object]:
    return {
        "symbol": "BTC-USD",
        "day": date(2024, 5, done),
        "done": done,
        "total": 20,
        "scored": done,
        "mae": mae,
        "naive_mae": 1433.38,
    }


def test_the_replay_bar_knows_its_total_from_the_start_and_fits_80_columns() -> None:
    screen = _screen()
    with replay_progress(screen) as bar:
        start = {"symbol": "BTC-USD", "done": 0, "total": 20, "mae": None}
        replay_log.info("BTC-USD: replaying 20 trading days", extra={"replay": start})
        first = _shown(screen, bar.progress.get_renderable())
        for done in range(1, 21):
            replay_log.info("replayed", extra={"replay": _replayed(done, 1479.05)})
    assert "0/20" in first and "?" not in first
    text = screen.export_text()
    lines = [line for line in text.splitlines() if line.strip()]
    assert all(len(line) <= 80 for line in lines)
    assert "…" not in text  # nothing cut to an ellipsis
    assert "BTC-USD 2024-05-20" in lines[0] and "20/20 days" in lines[0]
    assert "0:00:0" in lines[0] and "ETA" in lines[0]  # elapsed, then the ETA
    assert lines[1].strip() == (
        "champion MAE 1,479.05 · naive 1,433.38 (20 scored): loses to naive"
    )
    assert bar.last is not None and bar.last["done"] == 20


def test_each_fit_stage_gets_one_bar() -> None:
    screen = _screen()
    with fit_progress(console=screen):
        for model, training, epochs in (("gru", "full", 30), ("lstm", "full", 30)):
            for epoch in range(1, 6):  # early stopping after 5
                fit = {"symbol": "BTC-USD", "model": model, "training": training}
                fit_log.info("epoch", extra={"fit": {**fit, "epoch": epoch, "epochs": epochs}})
        for epoch in range(1, 4):
            fit = {"symbol": "BTC-USD", "model": "gru", "training": "fine_tune"}
            fit_log.info("epoch", extra={"fit": {**fit, "epoch": epoch, "epochs": 3}})
    lines = [line for line in screen.export_text().splitlines() if line.strip()]
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
    lines = [" ".join(line.split()) for line in lines]  # MofN pads to align the bars
    assert "BTC-USD full lstm" in lines[0] and "5/30 epochs, fit 2" in lines[0]
    assert "BTC-USD fine_tune gru" in lines[1] and "3/3 epochs, fit 1" in lines[1]


def test_verbose_leaves_the_epoch_lines_to_the_log() -> None:
    screen = _screen()
    with fit_progress(verbose=True, console=screen):
        assert logging.getLogger("nextbar").getEffectiveLevel() == logging.INFO
    assert screen.export_text() == ""
