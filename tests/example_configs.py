"""The shipped example configs as dicts that tests change and write anywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def madgraph_example(*, scale_systematics: bool = True) -> dict[str, Any]:
    """``examples/wh-madgraph.yml`` with every card path (the signal's and each background's)
    made absolute, so that the config still finds its cards when written elsewhere; without
    its scale systematics unless ``scale_systematics`` (the shared MadGraph fixtures were
    made without MadGraph's systematics weights)."""
    raw = yaml.safe_load((EXAMPLES / "wh-madgraph.yml").read_text())
    if not scale_systematics:
        raw["systematics"] = [s for s in raw["systematics"] if s["type"] != "scale"]
    cards = [raw["generation"]["madgraph"], *(b["madgraph"] for b in raw.get("backgrounds", []) if "madgraph" in b)]
    for entry in cards:
        for key in ("process_card", "run_card", "param_card"):
            if entry.get(key):
                entry[key] = str((EXAMPLES / entry[key]).resolve())
    return raw
