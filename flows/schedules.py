"""The one definition of nextbar's deployments: names, entrypoints, pools, schedules, parameters.

``nextbar serve`` (flows/serve.py) builds its deployments from this table, and
``deploy/prefect.yaml`` (``prefect deploy --all``) spells the same deployments out for workers;
tests/deploy/test_prefect_yaml.py fails when the two disagree, so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment: ``flow_name/name`` runs ``entrypoint`` on ``work_pool``, maybe on a cron.

    Entrypoints are module paths (``flows.daily.daily``), not file paths: Prefect imports them
    from the installed package, whatever directory ``prefect deploy`` or a worker runs in.
    """

    flow_name: str
    name: str
    entrypoint: str
    work_pool: str
    description: str
    cron: str | None = None
    timezone: str | None = None  # always set with a cron: schedules never rely on the host's zone
    parameters: Mapping[str, Any] = field(default_factory=dict)
    served: bool = True  # whether ``nextbar serve`` runs it (it trains in-process, no gpu pool)

    @property
    def full_name(self) -> str:
        """``flow/deployment``, as ``prefect deployment run`` takes it."""
        return f"{self.flow_name}/{self.name}"


DEPLOYMENTS: tuple[DeploymentSpec, ...] = (
    DeploymentSpec(
        flow_name="daily",
        name="600519-SH",
        entrypoint="flows.daily.daily",
        work_pool="cpu",
        description="Moutai's daily step after tushare's data lands (15:00-16:00 CST); "
        "the flow skips XSHG holidays itself.",
        cron="30 17 * * 1-5",
        timezone="Asia/Shanghai",
        parameters={"symbols": ["600519.SH"]},
    ),
    DeploymentSpec(
        flow_name="daily",
        name="BTC-USD",
        entrypoint="flows.daily.daily",
        work_pool="cpu",
        description="Bitcoin's daily step once the previous UTC day's bar is final.",
        cron="30 1 * * *",
        timezone="UTC",
        parameters={"symbols": ["BTC-USD"]},
    ),
    DeploymentSpec(
        flow_name="daily",
        name="watchlist",
        entrypoint="flows.daily.daily",
        work_pool="cpu",
        description="The whole watch list ([watchlist] in nextbar.toml) after the major markets "
        "close; each symbol's own calendar skips its holidays.",
        cron="30 22 * * 1-5",
        timezone="UTC",
    ),
    DeploymentSpec(
        flow_name="ingest",
        name="default",
        entrypoint="flows.ingest.ingest",
        work_pool="cpu",
        description="Fetch new bars on demand (the daily runs ingest on their own).",
    ),
    DeploymentSpec(
        flow_name="train",
        name="default",
        entrypoint="flows.train.train",
        work_pool="cpu",
        description="Full retrain with test metrics; the fit itself runs on the gpu pool.",
        parameters={"symbol": "600519.SH"},
    ),
    DeploymentSpec(
        flow_name="fit-models",
        name="gpu",
        entrypoint="flows.train.fit_models",
        work_pool="gpu",
        description="Train models on saved splits; never opens the warehouse.",
        served=False,
    ),
    DeploymentSpec(
        flow_name="replay",
        name="manual",
        entrypoint="flows.replay.replay",
        work_pool="cpu",
        description="Walk-forward backfill: give symbol, start and end when triggering it.",
    ),
    DeploymentSpec(
        flow_name="gc",
        name="weekly",
        entrypoint="flows.gc.gc",
        work_pool="cpu",
        description="Retention: delete model and split files no champion, newest run or "
        "unscored forecast needs (recorded in deleted_artifacts).",
        cron="0 4 * * 0",
        timezone="UTC",
        parameters={"apply": True},
    ),
)
