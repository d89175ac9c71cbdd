#!/usr/bin/env bash
# Build the nine stage images goldmine/<stage>:<version> (the tag the step specs name;
# the version comes from steps/goldmine/__init__.py) from images/Containerfile, then
# list their sizes.
#
#   ENGINE         podman or docker (default: podman when installed, else docker)
#   BASE_IMAGE     base of the shared layer (default python:3.11-slim)
#   GENERATE_BASE  upstream MadGraph5_aMC + Pythia 8 image; DELPHES_BASE upstream ROOT image
#   LOCAL_BASE     one locally made image for all three (nothing pulled; Delphes not built,
#                  MadGraph and LHAPDF absent: the builtin generator and detector only), as in CI
#   LHAPDF_SETS    PDF sets the generate image installs into its base's LHAPDF (MadGraph's
#                  systematics; default NNPDF23_lo_as_0130_qed, empty for none)
#   WHEELS         folder of local wheels mounted for pip (e.g. the CPU torch wheel)
#   STAGES         which stages to build (default: all nine)
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' steps/goldmine/__init__.py)
stages=${STAGES:-configure generate delphes observables combine augment train evaluate plot}

args=(--file images/Containerfile)
if [ -n "${LOCAL_BASE:-}" ]; then
    args+=(--build-arg "BASE_IMAGE=$LOCAL_BASE" --build-arg "GENERATE_BASE=$LOCAL_BASE"
           --build-arg "DELPHES_BASE=$LOCAL_BASE" --build-arg DELPHES_VERSION=0 --build-arg LHAPDF_SETS=)
fi
for name in BASE_IMAGE GENERATE_BASE DELPHES_BASE DELPHES_VERSION LHAPDF_SETS; do
    if [ -n "${!name:-}" ]; then args+=(--build-arg "$name=${!name}"); fi
done
if [ "$engine" = podman ]; then
    # no pulls when the bases are local; the host's CA bundle for pip behind a proxy
    args+=(--network host --pull=never)
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
        args+=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
    fi
    if [ -n "${WHEELS:-}" ]; then
        args+=(--volume "$WHEELS:$WHEELS:ro")
    fi
fi
if [ -n "${WHEELS:-}" ]; then args+=(--build-arg "PIP_FIND_LINKS=$WHEELS"); fi

for stage in $stages; do
    echo "building goldmine/$stage:$version"
    start=$SECONDS
    "$engine" build "${args[@]}" --target "$stage" --tag "goldmine/$stage:$version" . >"/tmp/goldmine-build-$stage.log" 2>&1 \
        || { tail -40 "/tmp/goldmine-build-$stage.log"; echo "build of $stage failed"; exit 1; }
    echo "  done in $((SECONDS - start)) s"
done
echo "image sizes:"
for stage in $stages; do
    "$engine" image inspect "goldmine/$stage:$version" --format "  goldmine/$stage:$version {{.Size}}" \
        | awk '{printf "  %-32s %6.0f MB\n", $1, $2 / 1e6}'
done
