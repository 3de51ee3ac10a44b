"""The Keras backend: chosen by ``[model] backend`` or KERAS_BACKEND before Keras is imported, and
a model saved under one backend predicts the same under another."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.models import backend
from pipeline.models.registry import load_model, make_model
from pipeline.settings import load_settings
from pipeline.settings_origins import describe
from tests.pipeline.models.test_models import TINY_NETWORK, moutai

ROOT = Path(__file__).resolve().parents[3]
OTHERS = [
    b
    for b in backend.BACKENDS
    if b != keras.backend.backend() and importlib.util.find_spec(b) is not None
]

# Under the backend in KERAS_BACKEND: fit a tiny gru_dist, save it to argv[1], and print its
# predictions (prices and scales) of the test windows; or, with argv[2] "load", reload and print.
# It says whether TensorFlow was imported too (it need not be, under another backend).
_SCRIPT = """
import json, sys
import keras
from tests.pipeline.models.test_backends import predictions, tiny_split
from pipeline.models.registry import load_model, make_model

if sys.argv[2] == "load":
    model = load_model(sys.argv[1])
else:
    model = make_model("gru_dist", **json.loads(sys.argv[3])).fit(tiny_split(), epochs=2, seed=3)
    model.save(sys.argv[1])
print(json.dumps([keras.backend.backend(), "tensorflow" in sys.modules, predictions(model)]))
"""


def tiny_split():  # type: ignore[no-untyped-def]
    from pipeline.splits.build import build_split
    from pipeline.splits.config import SplitConfig

    config = SplitConfig(window=8, features=("close", "log_return"), test_size=20,
                         validation_size=20, min_train_size=10)  # fmt: skip
    return build_split(moutai(200), config, symbol="600519.SH")


def predictions(model) -> list[list[float]]:  # type: ignore[no-untyped-def]
    """The model's test prices and scales, as JSON-able lists."""
    test = tiny_split().test
    scales = model.window_scales(test.X, test.last_known, test.anchor)
    return [model.predict_part(test).tolist(), scales.tolist()]


def _under(name: str, *args: str) -> tuple[str, np.ndarray]:
    """(the backend the script ran on, its predictions), TensorFlow not imported unless used."""
    env = {**os.environ, backend.ENV: name}
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    ran, tensorflow, values = json.loads(out.strip().splitlines()[-1])
    assert not tensorflow or ran == "tensorflow"
    return ran, np.array(values)


@pytest.mark.slow
@pytest.mark.skipif(not OTHERS, reason="only one Keras backend is installed")
@pytest.mark.parametrize("other", OTHERS)
def test_a_saved_model_predicts_the_same_under_another_backend(other: str, tmp_path: Path) -> None:
    here = make_model("gru_dist", **TINY_NETWORK).fit(tiny_split(), epochs=2, seed=3)
    here.save(tmp_path / "here")
    ran, theirs = _under(other, str(tmp_path / "here"), "load")
    assert ran == other
    np.testing.assert_allclose(theirs, np.array(predictions(here)), rtol=1e-5)

    ran, saved = _under(other, str(tmp_path / "there"), "fit", json.dumps(TINY_NETWORK))
    mine = np.array(predictions(load_model(tmp_path / "there")))
    assert ran == other
    np.testing.assert_allclose(mine, saved, rtol=1e-5)


@pytest.mark.skipif(keras.backend.backend() == "tensorflow", reason="TensorFlow runs here")
def test_another_backend_never_imports_tensorflow(tmp_path: Path) -> None:
    # a fresh process that loads a point gru and predicts (a replay's first day), seeding nothing
    make_model("gru", **TINY_NETWORK).fit(tiny_split(), epochs=2, seed=3).save(tmp_path / "gru")
    script = (
        "import sys; from pipeline.models.registry import load_model;"
        "from tests.pipeline.models.test_backends import tiny_split;"
        "load_model(sys.argv[1]).predict_part(tiny_split().test);"
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "gru")],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.split()[-1] == "False"


def test_the_settings_name_the_backend_and_keras_backend_counts_as_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backend, "GIVEN", None)
    assert load_settings().model.backend == backend.DEFAULT_BACKEND
    monkeypatch.setattr(backend, "GIVEN", keras.backend.backend())
    rows = {key: (value, origin) for key, value, origin in describe(load_settings())}
    assert rows["model.backend"] == (keras.backend.backend(), f"environment {backend.ENV}")
    monkeypatch.setenv("NEXTBAR_MODEL__BACKEND", "nope")
    with pytest.raises(InputError, match="unknown Keras backend 'nope'"):
        load_settings()


@pytest.mark.skipif(not OTHERS, reason="only one Keras backend is installed")
def test_another_backend_once_keras_runs_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBAR_MODEL__BACKEND", OTHERS[0])
    with pytest.raises(InputError, match="Keras already runs on"):
        load_settings()
    backend.use_backend(keras.backend.backend())  # the running one is accepted
    assert os.environ[backend.ENV] == keras.backend.backend()


def test_the_default_backend_runs_the_test_session() -> None:
    assert keras.backend.backend() == os.environ.get(backend.ENV, backend.DEFAULT_BACKEND)
