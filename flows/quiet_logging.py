"""Keep Prefect's reports of a failed flow or task run (full tracebacks) off the console.

The CLI prints one ``error:`` line for a failure; the run still ends Failed with the same
message and the Prefect API log keeps the traceback. ``nextbar --debug`` shows everything.
Prefect configures logging from a YAML file at import; ``use_quiet_console`` points it at a
copy of Prefect's own file whose console handler carries ``NoEngineTracebacks``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from importlib.util import find_spec
from pathlib import Path

import yaml

_ENGINE_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


class NoEngineTracebacks(logging.Filter):
    """Drop the flow and task engines' error records (the exception reports)."""

    def filter(self, record: logging.LogRecord) -> bool:
        engine = record.name.startswith(_ENGINE_LOGGERS)
        return not (engine and (record.exc_info is not None or record.levelno >= logging.ERROR))


def use_quiet_console() -> None:
    """Make Prefect, imported after this, filter its console handler (unless already set)."""
    if os.environ.get("PREFECT_LOGGING_SETTINGS_PATH"):
        return  # the user's own logging configuration wins
    spec = find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        return
    default = Path(next(iter(spec.submodule_search_locations))) / "logging" / "logging.yml"
    # Prefect substitutes ${SETTINGS} into the text; load it only to add the filter.
    config = yaml.safe_load(default.read_text().replace("$", "$$"))
    config.setdefault("filters", {})["no_engine_tracebacks"] = {
        "()": f"{__name__}.NoEngineTracebacks"
    }
    config["handlers"]["console"].setdefault("filters", []).append("no_engine_tracebacks")
    text = yaml.safe_dump(config, sort_keys=False).replace("$$", "$")
    target = Path(tempfile.gettempdir()) / f"nextbar-prefect-logging-{os.getuid()}.yml"
    if not target.exists() or target.read_text() != text:
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(target)
    os.environ["PREFECT_LOGGING_SETTINGS_PATH"] = str(target)
