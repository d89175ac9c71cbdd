#!/usr/bin/env bash
# Set up goldmine and run the stages that exist so far on the default example (output in
# work/, replaced on every run): configure, then the plan's first generation job (500
# events), the built-in detector and the observables. The workflow issue runs the whole
# chain through yadage instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf work
config=examples/wh-builtin.yml
.venv/bin/goldmine configure "$config" --output work/setup.h5 --plan work/plan.yml
read -r name benchmark seed < <(.venv/bin/python -c \
    "import yaml; p = yaml.safe_load(open('work/plan.yml')); print(p['job_names'][0], p['benchmarks'][0], p['seeds'][0])")
.venv/bin/goldmine generate --setup work/setup.h5 --config "$config" --benchmark "$benchmark" --seed "$seed" \
    --events 500 --output "work/generate/$name"
.venv/bin/goldmine delphes --hepmc "work/generate/$name/events.hepmc.gz" --output "work/delphes/$name.root" --seed "$seed"
.venv/bin/goldmine observables --setup work/setup.h5 --config "$config" --input "work/delphes/$name.root" \
    --lhe "work/generate/$name/events.lhe.gz" --sampling-benchmark "$benchmark" --output "work/observables/$name.h5"
