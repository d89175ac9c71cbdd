#!/usr/bin/env bash
# The whole workflow end to end with `goldmine run` on the tiny config, two steps at a
# time: BACKEND=local (default; each step's command in .venv) or BACKEND=podman (every
# step in its stage image: sets up podman and a debootstrap base, builds the nine images,
# then runs). Prints the wall time; fails if any step fails or any output is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${BACKEND:-local}
config=${CONFIG:-tests/configs/wh-tiny.yml}
workdir=${WORKDIR:-/tmp/goldmine-e2e-$backend}
if [ "$backend" = podman ]; then
    start=$SECONDS
    bash images/setup-podman.sh
    # the local CPU torch wheel, where this machine has it (else pip takes torch from PyPI)
    wheels=${WHEELS:-$([ -d /opt/wheels ] && echo /opt/wheels || true)}
    LOCAL_BASE=${LOCAL_BASE:-localhost/goldmine-base:bookworm} WHEELS=$wheels bash images/build.sh
    echo "images ready in $((SECONDS - start)) s"
fi
start=$SECONDS
.venv/bin/goldmine run "$config" --backend "$backend" --jobs 2 --workdir "$workdir"
echo "end-to-end run with the $backend backend: $((SECONDS - start)) s wall time"
