"""``nextbar serve``: one long-running process runs every deployment on its schedule.

No work pool, no worker: Prefect's ``serve`` (``RunnerDeployment.from_flow`` is what
``flow.to_deployment`` calls) polls for the deployments' scheduled and manually
triggered runs and executes each in a subprocess. Deployments come from flows/schedules.py,
the same table deploy/prefect.yaml is checked against.
"""

from __future__ import annotations

from pathlib import Path

from prefect import serve
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.flows import load_flow_from_entrypoint
from prefect.schedules import Cron

from flows.schedules import DEPLOYMENTS

# DuckDB lets one process write a file at a time, and each run is its own process: by default
# the served runs go one after another (a run triggered during another waits for it).
DEFAULT_LIMIT = 1


def served_deployments(warehouse: str | None = None) -> list[RunnerDeployment]:
    """The deployments ``nextbar serve`` runs, with ``warehouse`` as every flow's default."""
    deployments = []
    for spec in DEPLOYMENTS:
        if not spec.served:
            continue
        parameters = dict(spec.parameters)
        if warehouse:
            # absolute: a run's subprocess may not share the serving process's directory
            parameters["warehouse"] = str(Path(warehouse).resolve())
        schedules = [Cron(spec.cron, timezone=spec.timezone)] if spec.cron else None
        deployments.append(
            RunnerDeployment.from_flow(
                load_flow_from_entrypoint(spec.entrypoint),
                name=spec.name,
                schedules=schedules,
                parameters=parameters,
                description=spec.description,
                tags=["nextbar"],
                # import by module path, whatever directory the runs start in
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return deployments


def serve_deployments(warehouse: str | None = None, limit: int | None = None) -> None:
    """Serve nextbar's deployments on their schedules until interrupted (Ctrl-C).

    ``warehouse`` overrides NEXTBAR_WAREHOUSE for every served flow; ``limit`` is the most runs
    at once (default 1: the warehouse has a single writer). Runs can also be triggered with
    ``prefect deployment run 'daily/BTC-USD'`` against the same Prefect API.
    """
    serve(*served_deployments(warehouse), limit=limit or DEFAULT_LIMIT)
