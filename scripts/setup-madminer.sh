#!/usr/bin/env bash
# The reference environment: madminer 0.9.6 beside torch 2.13.0 in .venv-madminer,
# never beside goldmine. Tests and benchmarks find it through GOLDMINE_MADMINER_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-madminer
.venv-madminer/bin/pip install --quiet -c constraints.txt torch madminer
