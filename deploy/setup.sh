#!/bin/sh
# One-time (and re-runnable) set-up of a Prefect server for nextbar's deployments:
# work pools, concurrency limits, the tushare Secret block, the automations, the deployments.
#
#   export PREFECT_API_URL=http://127.0.0.1:4200/api   # your server
#   TUSHARE_TOKEN=... GPU_COUNT=2 NEXTBAR_NOTIFY_BLOCK=slack-webhook/nextbar-alerts sh deploy/setup.sh
#
# Variables (all optional):
#   GPU_COUNT              GPUs across the gpu workers: the gpu pool's and the `gpu` limit's size (1)
#   TUSHARE_TOKEN          saved to the Secret block `tushare-token`, never printed
#   NEXTBAR_NOTIFY_BLOCK   a notification block's slug (type/name): creates deploy/automations.yaml
#   NEXTBAR_SKIP_DEPLOY=1  skip `prefect deploy --all`
set -eu

cd "$(dirname "$0")"
GPU_COUNT="${GPU_COUNT:-1}"

# Work pools. Both run flows as subprocesses of their worker: the gpu worker is simply a worker
# on a machine (or container) that has a GPU. --overwrite keeps this script re-runnable.
prefect work-pool create cpu --type process --overwrite
prefect work-pool create gpu --type process --overwrite
prefect work-pool set-concurrency-limit gpu "$GPU_COUNT"

# Global concurrency limits (flows/concurrency.py): one warehouse writer at a time (DuckDB has
# a single writer), one training job per GPU. Upserted, so re-running changes the sizes.
python - "$GPU_COUNT" <<'PY'
import sys

from prefect.client.orchestration import get_client

with get_client(sync_client=True) as client:
    client.upsert_global_concurrency_limit_by_name("warehouse-writer", 1)
    client.upsert_global_concurrency_limit_by_name("gpu", int(sys.argv[1]))
print("concurrency limits: warehouse-writer=1, gpu=" + sys.argv[1])
PY

# The tushare token as a Secret block (flows.common.load_settings reads it when TUSHARE_TOKEN is
# not in the worker's environment). Read from the environment, so it is never on a command line.
if [ -n "${TUSHARE_TOKEN:-}" ]; then
    python - <<'PY'
import os

from prefect.blocks.system import Secret

Secret(value=os.environ["TUSHARE_TOKEN"]).save("tushare-token", overwrite=True)
print("Secret block tushare-token saved")
PY
fi

# Automations, once a notification block exists (see the top of automations.yaml).
if [ -n "${NEXTBAR_NOTIFY_BLOCK:-}" ]; then
    python - "$NEXTBAR_NOTIFY_BLOCK" <<'PY'
import sys
from pathlib import Path

import yaml
from prefect.blocks.core import Block
from prefect.client.orchestration import get_client
from prefect.events.schemas.automations import AutomationCore

block_id = str(Block.load(sys.argv[1])._block_document_id)
text = Path("automations.yaml").read_text().replace("${NEXTBAR_NOTIFY_BLOCK_ID}", block_id)
with get_client(sync_client=True) as client:
    for spec in yaml.safe_load(text)["automations"]:
        if client.read_automations_by_name(spec["name"]):  # re-runs keep the existing ones
            print(f"automation {spec['name']} exists: kept")
            continue
        client.create_automation(AutomationCore.model_validate(spec))
        print(f"automation {spec['name']} created")
PY
fi

# Entrypoints are module paths of the installed package, so this works from deploy/.
if [ -z "${NEXTBAR_SKIP_DEPLOY:-}" ]; then
    prefect deploy --all
fi
