#!/usr/bin/env bash
# The reference environments: madminer 0.9.6 beside torch 2.13.0, never beside goldmine.
# .venv-madminer: numpy 2 (setups, event files, augmentation, training); tests and
# benchmarks find it through GOLDMINE_MADMINER_PYTHON.
# .venv-madminer-np1: numpy < 2, which madminer's DelphesReader needs (uproot3 and
# awkward0 fail on numpy 2); found through GOLDMINE_MADMINER_DELPHES_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-madminer
.venv-madminer/bin/pip install --quiet -c constraints.txt torch madminer
python3 -m venv .venv-madminer-np1
.venv-madminer-np1/bin/pip install --quiet -c constraints.txt torch madminer "numpy<2"
