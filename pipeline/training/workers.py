"""Full fits in worker processes, so that a retrain day's recurrent models train side by side.

One Keras fit of these small networks keeps about one core busy, so two fits in two processes
take little longer than one. Each worker is a fresh (spawned) Python that loads the backend
once, quietly, and then fits whatever it is sent: the split goes in, the saved artifact and the
scored outcome come back. Workers never open the warehouse, and end when the process that
started them ends, however it ends (``kill -9`` included).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from functools import partial
from pathlib import Path

from pipeline.splits.split import Split
from pipeline.training.fit_one import fit_one
from pipeline.training.jobs import FitJob, ModelOutcome

DEBUG_ENV = "NEXTBAR_DEBUG"  # set: the backend's start-up notices are shown
PARENT_CHECK_SECONDS = 0.5  # how often a worker checks that the process that started it lives
log = logging.getLogger(__name__)


def end_with_parent(parent: int) -> None:
    """End this process soon after process ``parent`` ends: a daemon thread polls the parent
    id, which changes when the parent dies and this one is re-parented (to init or a
    sub-reaper). Polling, unlike Linux's parent-death signal, follows the parent process rather
    than the thread that started this one, and works on every platform."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)  # no clean-up: the parent, which asked for the work, is gone

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def start_worker(parent: int) -> None:
    """A fit worker's initializer: end with ``parent``, then load the backend."""
    end_with_parent(parent)
    load_backend_quietly()


def load_backend_quietly() -> None:
    """Import the Keras backend with its C++ start-up notices (absl, oneDNN, CUDA stubs) kept
    off stderr, unless ``NEXTBAR_DEBUG`` is set."""
    from pipeline.training.train import keras_runtime

    if os.environ.get(DEBUG_ENV):
        keras_runtime()
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            keras_runtime()  # the import and the device probe print them
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def worker_count(processes: int | None) -> int:
    """Processes to fit in: ``processes``, or one per core when None."""
    return max(processes if processes is not None else (os.cpu_count() or 1), 1)


class FitPool:
    """Fits ``(split, job)`` pairs in up to ``processes`` workers, started on first use.

    With one process, or one fit to do, it fits in this process instead: nothing is spawned.
    """

    def __init__(
        self, processes: int, *, models_dir: Path, epochs: int, finetune_epochs: int, seed: int
    ) -> None:
        self.processes = processes
        self._fit = partial(
            fit_one,
            models_dir=models_dir,
            epochs=epochs,
            finetune_epochs=finetune_epochs,
            seed=seed,
        )
        self._executor: ProcessPoolExecutor | None = None

    def submit(
        self, fits: list[tuple[Split, FitJob]], *, ahead: bool = False
    ) -> list[Future[ModelOutcome]]:
        """Start ``fits`` in the workers (an empty list when they are better done here: one
        process, or a single fit to wait for; a fit ``ahead`` of its day goes even alone)."""
        if self.processes < 2 or (len(fits) < 2 and not ahead):
            return []
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(os.getpid(),),
            )
        return [self._executor.submit(self._fit, split, job) for split, job in fits]

    def result(self, future: Future[ModelOutcome], split: Split, job: FitJob) -> ModelOutcome:
        """A submitted fit's outcome; fitted here instead when the workers could not run (a
        script that starts a replay without ``if __name__ == "__main__":`` re-runs itself in
        every spawned worker, which Python stops), and from then on every fit is."""
        try:
            return future.result()
        except BrokenProcessPool:
            if self.processes > 1:
                log.warning(
                    'fit workers stopped (a script without `if __name__ == "__main__":`?); '
                    "fitting in this process"
                )
                self.close()
                self.processes = 1
            return self.fit_here(split, job)

    def fit_here(self, split: Split, job: FitJob) -> ModelOutcome:
        """One fit in this process, with the pool's settings."""
        return self._fit(split, job)

    def close(self) -> None:
        """Stop the workers (a later ``submit`` starts new ones)."""
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None


Started = tuple[Future[ModelOutcome], Split, FitJob]


class AheadFits:
    """Fits started in the workers before their day, by model and day."""

    def __init__(self) -> None:
        self._started: dict[tuple[str, date], Started] = {}

    def put(self, kind: str, day: date, started: Started) -> None:
        """Keep ``kind``'s fit for ``day``."""
        self._started[(kind, day)] = started

    def has(self, kind: str, day: date) -> bool:
        """Whether ``kind``'s fit for ``day`` was started."""
        return (kind, day) in self._started

    def take(self, day: date, kinds: list[str]) -> dict[str, Started]:
        """The fits of ``kinds`` started for ``day``. Any others for ``day`` or before are
        cancelled: the plan changed (a failed fit moves the next retrain)."""
        taken = {k: self._started.pop((k, day)) for k in kinds if (k, day) in self._started}
        for key in [key for key in self._started if key[1] <= day]:
            self._started.pop(key)[0].cancel()
        return taken
