#!/usr/bin/env bash
# Prepare a machine without a Docker daemon and without registry access to build and run
# the stage images with podman (what CI does): install podman, configure it for a
# rootful runc + cgroupfs runtime, and make the base image BASE_NAME (default
# goldmine-base:bookworm) from Debian bookworm with debootstrap, since no image can be
# pulled. With a registry at hand, skip this and build on python:3.11-slim.
set -euo pipefail
base_name=${BASE_NAME:-goldmine-base:bookworm}

if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null || ! command -v runc >/dev/null; then
    apt-get install -y -qq podman runc debootstrap >/dev/null \
        || { apt-get update -qq && apt-get install -y -qq podman runc debootstrap >/dev/null; }
fi
mkdir -p /etc/containers
if ! grep -qs goldmine /etc/containers/containers.conf; then
    cat > /etc/containers/containers.conf <<'CONF'
# written by goldmine's images/setup-podman.sh
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
fi

if podman image exists "$base_name"; then
    echo "base image $base_name exists"
    exit 0
fi
# the Debian mirror this machine's apt uses
mirror=$(grep -h -m1 -o 'http[s]*://[^ ]*debian/*$' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
         | head -1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d /tmp/goldmine-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$root" "$mirror" >/dev/null
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman import - "$base_name" >/dev/null
podman image ls "$base_name"
