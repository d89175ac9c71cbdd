#!/usr/bin/env bash
# `reana-client validate` on reana.yaml, from its own environment .venv-reana (the REANA
# client pins jsonschema 3, goldmine needs 4). Its "parameter not defined" warnings for
# the steps' published outputs (lhe, hepmc, model, ...) are false positives.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv-reana/bin/reana-client ]; then
    python3 -m venv .venv-reana
    .venv-reana/bin/pip install --quiet -c constraints.txt reana-client yadage packtivity yadage-schemas adage setuptools
fi
PYTHONWARNINGS=ignore .venv-reana/bin/reana-client validate --file reana.yaml
