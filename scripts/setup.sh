#!/usr/bin/env bash
# Create .venv with goldmine (with torch for the train stage, yadage for `goldmine run`,
# recast-atlas for the RECAST catalogue entry) and its test tools,
# pinned by constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet -c constraints.txt -e ".[ml,events,generate,plot,workflow,recast,test,tutorial]"
