"""Small YAML and JSON documents (plans, summaries), written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from goldmine.io.atomic import atomic_path

__all__ = ["write_json", "write_yaml"]


def write_yaml(path: str | Path, document: Any) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(yaml.safe_dump(document, sort_keys=False))


def write_json(path: str | Path, document: Any) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
