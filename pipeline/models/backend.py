"""Which Keras backend runs the networks (``[model] backend``), chosen before Keras is imported.

Keras reads ``KERAS_BACKEND`` once, when it is first imported, so the choice is made by setting
that variable before then: :func:`use_backend` does it for the settings' choice, and importing
``pipeline.models`` does it for :data:`DEFAULT_BACKEND` when nothing else chose. Processes this
one starts (a local Dask cluster's workers) inherit the variable, so they train on
the same backend. No backend is imported here.

JAX compiles each traced step with XLA; :func:`use_compilation_cache` keeps the compiled steps
in a folder (beside the warehouse) that later processes reuse.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipeline.errors import InputError

ENV = "KERAS_BACKEND"
BACKENDS = ("jax", "tensorflow", "torch")
# On a CPU, JAX's compiled scan runs these small recurrent networks 3-5x faster an epoch than
# TensorFlow's step-by-step graph loop (BENCHMARKS.md, "Keras backends").
DEFAULT_BACKEND = "jax"
CACHE_ENV = "JAX_COMPILATION_CACHE_DIR"
CACHE_FOLDER = "jax-cache"  # beside the warehouse
# Cache every compiled step, however quickly it compiled (JAX's default skips those under 1 s).
_CACHE_SETTINGS = {
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
}
GIVEN = os.environ.get(ENV)  # as this process was started with (a parent's choice included)


def running() -> str | None:
    """The backend Keras runs on in this process, or None while Keras is not imported."""
    keras = sys.modules.get("keras")
    return None if keras is None else str(keras.backend.backend())


def use_backend(name: str) -> None:
    """Make ``name`` the Keras backend of this process and of the processes it starts.

    Raises InputError when Keras already runs on another backend here: that choice holds until
    the process ends.
    """
    if name not in BACKENDS:
        raise InputError(f"unknown Keras backend {name!r}; choose from {list(BACKENDS)}")
    current = running()
    if current is not None and current != name:
        raise InputError(
            f"[model] backend {name!r}: Keras already runs on {current!r} in this process; "
            f"start a new one (or set {ENV}={name} before it starts)"
        )
    os.environ[ENV] = name


def use_settings(name: str, warehouse: Path) -> None:
    """The settings' backend (``[model] backend``) for this process and its children, with
    JAX's compilation cache in :data:`CACHE_FOLDER` beside the ``warehouse`` file."""
    use_backend(name)
    use_compilation_cache(warehouse.parent / CACHE_FOLDER)


def use_default_backend() -> None:
    """Before Keras is imported, :data:`DEFAULT_BACKEND` unless ``KERAS_BACKEND`` is set."""
    if running() is None and not os.environ.get(ENV):
        os.environ[ENV] = DEFAULT_BACKEND


def use_compilation_cache(folder: Path) -> None:
    """JAX's persistent compilation cache in ``folder`` for this process and its children,
    unless ``JAX_COMPILATION_CACHE_DIR`` is already set (only JAX reads these variables)."""
    if os.environ.get(CACHE_ENV):
        return
    os.environ[CACHE_ENV] = str(folder)
    for key, value in _CACHE_SETTINGS.items():
        os.environ.setdefault(key, value)
    jax = sys.modules.get("jax")
    if jax is not None:  # already imported: its configuration has read the variables
        jax.config.update("jax_compilation_cache_dir", str(folder))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
