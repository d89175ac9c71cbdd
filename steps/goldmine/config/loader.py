"""Load an analysis config: YAML (duplicate keys rejected) → schema → meaning → dataclasses."""

from __future__ import annotations

from pathlib import Path

import yaml

from goldmine.config.build import build_config
from goldmine.config.model import AnalysisConfig
from goldmine.config.schema import fill_defaults, validate
from goldmine.config.yaml_text import UniqueKeyLoader, read_text
from goldmine.errors import ConfigError

__all__ = ["load_config", "parse_config"]


def load_config(path: str | Path) -> AnalysisConfig:
    """Read, validate and build the analysis config in ``path``.

    Raises :class:`ConfigError` naming the file, the dotted key and the problem.
    """
    return parse_config(read_text(path, "config"), source=Path(path))


def parse_config(text: str, *, source: Path | None = None) -> AnalysisConfig:
    """Validate and build a config from YAML text; relative card paths resolve against
    ``source``'s folder (the working directory when None)."""
    where = str(source) if source else None
    try:
        raw = yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader subclass
    except ConfigError as err:
        raise ConfigError(err.key, err.message, source=where) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        position = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError("", f"not valid YAML{position}: {problem}", source=where) from None
    if not isinstance(raw, dict):
        found = "an empty file" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError("", f"expected a mapping of sections (parameters, benchmarks, ...), got {found}", source=where)

    normalized = fill_defaults(raw)
    validate(normalized, source=where)
    base = source.parent if source else Path.cwd()
    try:
        return build_config(normalized, base=base, source=source)
    except ConfigError as err:
        raise ConfigError(err.key, err.message, source=where) from None
