"""Provenance carried by every output: who made it, from what, with which seeds."""

from __future__ import annotations

import datetime
import hashlib
import json
import shlex
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldmine import __version__

if TYPE_CHECKING:  # h5py's import (0.1 s) is not worth paying in stages that write no HDF5
    import h5py

__all__ = ["Provenance", "digest", "file_sha256"]

ATTRIBUTE_PREFIX = "goldmine_"


def digest(obj: Any) -> str:
    """Stable SHA-256 of a JSON-serialisable object (keys sorted)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: str | Path, block_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    hasher = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(block_size), b""):
            hasher.update(block)
    return hasher.hexdigest()


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Provenance:
    """``inputs`` maps each input path to its SHA-256; ``seeds`` names every seed used."""

    command_line: str
    config_hash: str | None = None
    seeds: Mapping[str, int] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    goldmine_version: str = __version__
    created: str = field(default_factory=_now)

    @classmethod
    def capture(
        cls,
        *,
        config_hash: str | None = None,
        seeds: Mapping[str, int] | None = None,
        input_paths: Iterable[str | Path] = (),
        argv: list[str] | None = None,
    ) -> Provenance:
        """Provenance of the running command: its command line and its inputs' checksums."""
        argv = sys.argv if argv is None else argv
        return cls(
            command_line=shlex.join(["goldmine", *argv[1:]]) if argv else "",
            config_hash=config_hash,
            seeds=dict(seeds or {}),
            inputs={str(path): file_sha256(path) for path in input_paths},
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def attach(self, node: h5py.Group) -> None:
        """Store as attributes ``goldmine_*`` (mappings as JSON) on an HDF5 group or file."""
        for key, value in self.to_dict().items():
            encoded = json.dumps(dict(value), sort_keys=True) if isinstance(value, Mapping) else value
            node.attrs[ATTRIBUTE_PREFIX + key] = "" if encoded is None else encoded

    @classmethod
    def from_h5(cls, node: h5py.Group) -> Provenance | None:
        """Read back what :meth:`attach` wrote; None for a file without goldmine provenance."""
        attrs = node.attrs
        if ATTRIBUTE_PREFIX + "command_line" not in attrs:
            return None

        def text(key: str) -> str:
            value = attrs[ATTRIBUTE_PREFIX + key]
            return value.decode() if isinstance(value, bytes) else str(value)

        return cls(
            command_line=text("command_line"),
            config_hash=text("config_hash") or None,
            seeds=json.loads(text("seeds")),
            inputs=json.loads(text("inputs")),
            goldmine_version=text("goldmine_version"),
            created=text("created"),
        )
