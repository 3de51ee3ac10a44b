"""A quiet start of the Keras backend: its C++ start-up notices kept off stderr."""

from __future__ import annotations

import os
import sys

DEBUG_ENV = "NEXTBAR_DEBUG"  # set: the backend's start-up notices are shown


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
