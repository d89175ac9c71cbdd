#!/usr/bin/env bash
# Set up both environments on a fresh machine and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-madminer.sh
GOLDMINE_MADMINER_PYTHON="$PWD/.venv-madminer/bin/python" \
GOLDMINE_MADMINER_DELPHES_PYTHON="$PWD/.venv-madminer-np1/bin/python" \
    .venv/bin/python -m pytest "$@"
