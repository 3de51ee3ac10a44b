"""Against the session's Prefect API: concurrency limits, secret redaction, serving."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect import flow, get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.schedules import CronSchedule
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL

from flows.common import load_settings
from flows.concurrency import WAREHOUSE_WRITER, warehouse_writer
from flows.schedules import DEPLOYMENTS
from flows.serve import served_deployments
from pipeline.data.sources.tushare_pro import TushareSource
from warehouse.connection import connect

pytestmark = pytest.mark.prefect_api
TOKEN = "tok-9f8e7d6c5b4a-never-logged"
SERVE_TIMEOUT = 150  # s: serving start, the run's subprocess imports, a tiny daily step


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.text.append(self.format(record))


@pytest.fixture
def run_logs() -> Iterator[_Collect]:
    """Every record Prefect's run loggers write, formatted."""
    handler = _Collect()
    loggers = [logging.getLogger(n) for n in ("prefect", "prefect.flow_runs", "prefect.task_runs")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def _active_slots(name: str) -> int:
    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(name).active_slots


def test_warehouse_writer_is_a_no_op_without_the_limit_and_holds_it_with() -> None:
    with get_client(sync_client=True) as client:
        with pytest.raises(ObjectNotFound):
            client.read_global_concurrency_limit_by_name(WAREHOUSE_WRITER)
        with warehouse_writer():
            pass
        client.upsert_global_concurrency_limit_by_name(WAREHOUSE_WRITER, 1)
        try:
            with warehouse_writer():
                assert _active_slots(WAREHOUSE_WRITER) == 1
            assert _active_slots(WAREHOUSE_WRITER) == 0
        finally:
            client.delete_global_concurrency_limit_by_name(WAREHOUSE_WRITER)


@task
def _log_source(token: str) -> str:
    source = TushareSource(token, http_url="http://127.0.0.1:9")
    get_run_logger().info("source %s %r", source, source)
    return repr(source)


@flow
def _log_settings() -> str:
    settings = load_settings()
    assert settings.tushare_token is not None
    get_run_logger().info("settings %s / %r / %s", settings, settings, settings.model_dump())
    return _log_source(settings.tushare_token.get_secret_value())


def test_the_token_never_reaches_the_logs(
    monkeypatch: pytest.MonkeyPatch, run_logs: _Collect
) -> None:
    monkeypatch.setenv("TUSHARE_TOKEN", TOKEN)
    shown = _log_settings()
    logged = "\n".join(run_logs.text)
    assert "settings" in logged and "TushareSource" in logged  # the messages were captured
    assert TOKEN not in logged
    assert TOKEN not in shown


def test_served_deployments_follow_the_shared_table(tmp_path: Path) -> None:
    served = {f"{d.flow_name}/{d.name}": d for d in served_deployments(str(tmp_path / "w.duckdb"))}
    assert sorted(served) == sorted(s.full_name for s in DEPLOYMENTS if s.served)
    for spec in DEPLOYMENTS:
        if not spec.served:
            continue
        deployment = served[spec.full_name]
        assert deployment.entrypoint == spec.entrypoint
        assert deployment.parameters == {**spec.parameters, "warehouse": str(tmp_path / "w.duckdb")}
        schedules = [s.schedule for s in deployment.schedules or []]
        crons = [(s.cron, s.timezone) for s in schedules if isinstance(s, CronSchedule)]
        assert len(crons) == len(schedules)
        assert crons == ([(spec.cron, spec.timezone)] if spec.cron else [])


def test_serve_runs_a_triggered_daily_run(tmp_path: Path) -> None:
    """``nextbar serve`` in its own process: trigger daily/BTC-USD on bundled data; it finishes."""
    warehouse = tmp_path / "nextbar.duckdb"
    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "NEXTBAR_HOME": str(tmp_path),
        "NEXTBAR_MODELS_DIR": str(tmp_path / "models"),
        "NEXTBAR_SPLITS_DIR": str(tmp_path / "splits"),
        "NEXTBAR_PLOTS_DIR": str(tmp_path / "plots"),
    }
    code = f"from flows.serve import serve_deployments; serve_deployments({str(warehouse)!r})"
    log = tmp_path / "serve.log"  # a file, not a pipe: a full pipe would block the server
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", code], env=env, cwd=tmp_path, stdout=out, stderr=out
        )
    try:
        _wait_for_deployment("daily/BTC-USD", server, log, deadline=time.monotonic() + 60)
        run = run_deployment(
            "daily/BTC-USD",
            parameters={"source": "bundled", "models": ["naive", "linear"], "epochs": 1},
            timeout=SERVE_TIMEOUT,
        )
        assert isinstance(run, FlowRun) and run.state is not None
        assert run.state.is_completed(), (run.state, log.read_text()[-4000:])
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    with connect(warehouse, read_only=True) as con:
        models = {r[0] for r in con.execute("select model from forecasts").fetchall()}
    assert models == {"naive", "linear", "naive_vol"}  # naive_vol: the scale linear is issued on


def _wait_for_deployment(
    name: str, server: subprocess.Popen[bytes], log: Path, deadline: float
) -> None:
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()[-4000:]
            try:
                client.read_deployment_by_name(name)
                return
            except ObjectNotFound:
                time.sleep(0.5)
    pytest.fail(f"{name} was not served within the time limit")
