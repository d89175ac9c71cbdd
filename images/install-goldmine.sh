#!/bin/sh
# Install goldmine from /src/goldmine with the extras named in $1 (e.g. "events,ml") into
# the virtual environment /opt/goldmine, making it on first use (with python3-venv from
# apt where the base image lacks it). Every image target of images/Containerfile runs it.
set -eu
extras=$1
if [ ! -x /opt/goldmine/bin/python ]; then
    python3 -c "import ensurepip" 2>/dev/null \
        || { apt-get update -qq && apt-get install -y -qq python3-venv && rm -rf /var/lib/apt/lists/*; }
    python3 -m venv /opt/goldmine
fi
/opt/goldmine/bin/pip install --quiet -c /src/goldmine/constraints.txt "/src/goldmine[$extras]"
/opt/goldmine/bin/goldmine --version
