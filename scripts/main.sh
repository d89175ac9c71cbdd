#!/usr/bin/env bash
# The main job on a fresh machine: set up .venv, then run the whole workflow with
# `goldmine run` on the default example (configure; 3 sampling benchmarks x 2 jobs of 3000
# events with the built-in generator, 4 background jobs, detector and observables; combine; augment and train
# SALLY and ALICES, an ensemble of two each; evaluate; plot), two steps at a time, in
# goldmine-run/ (replaced on every run). Ends by printing where the plots and summary are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/goldmine run examples/wh-builtin.yml --workdir goldmine-run --jobs 2 "$@"
