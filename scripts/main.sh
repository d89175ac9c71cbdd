#!/usr/bin/env bash
# Set up goldmine and run the main job on the default example (output in work/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/goldmine configure examples/wh-builtin.yml --output work/setup.h5 --plan work/plan.yml
