#!/usr/bin/env bash
# Set up goldmine and run the whole chain on the default example (output in work/, replaced on
# every run), stage by stage: configure; every generation job of the plan (EVENTS events each,
# default 2000, the plan's size); the built-in detector and the observables per job; combine; augment and train
# SALLY (an ensemble of two) and ALICES; evaluate; plot. The workflow issue runs the same
# chain through yadage (`goldmine run`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf work
config=examples/wh-builtin.yml
events=${EVENTS:-2000}
gm=.venv/bin/goldmine
$gm configure "$config" --output work/setup.h5 --plan work/plan.yml
.venv/bin/python -c "
import yaml
plan = yaml.safe_load(open('work/plan.yml'))
for job in zip(plan['job_names'], plan['benchmarks'], plan['seeds']):
    print(*job)" > work/jobs.txt
while read -r name benchmark seed; do
    $gm generate --setup work/setup.h5 --config "$config" --benchmark "$benchmark" --seed "$seed" \
        --events "$events" --output "work/generate/$name"
    $gm delphes --hepmc "work/generate/$name/events.hepmc.gz" --output "work/delphes/$name.root" --seed "$seed"
    $gm observables --setup work/setup.h5 --config "$config" --input "work/delphes/$name.root" \
        --lhe "work/generate/$name/events.lhe.gz" --sampling-benchmark "$benchmark" \
        --output "work/observables/$name.h5"
done < work/jobs.txt
$gm combine --output work/combined.h5 --seed 1 work/observables/*.h5
for method in sally alices; do
    $gm augment --input work/combined.h5 --setup work/setup.h5 --config "$config" --method "$method" \
        --output "work/augment/$method" --seed 2
done
$gm train --method sally --data work/augment/sally --config "$config" --output work/models/sally_0 --seed 10
$gm train --method sally --data work/augment/sally --config "$config" --output work/models/sally_1 --seed 11 --bootstrap
$gm train --method alices --data work/augment/alices --config "$config" --output work/models/alices_0 --seed 12
$gm evaluate --setup work/setup.h5 --data work/combined.h5 --config "$config" --output work/results.h5 \
    --models work/models/sally_0 work/models/sally_1 work/models/alices_0
$gm plot --results work/results.h5 --output work/plots
echo "plots and summary: work/plots/summary.md"
