"""Load an analysis config: YAML (duplicate keys rejected) → schema → meaning → dataclasses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from goldmine.config.build import build_config
from goldmine.config.model import AnalysisConfig
from goldmine.config.schema import fill_defaults, validate
from goldmine.errors import ConfigError

__all__ = ["load_config", "load_yaml", "parse_config"]


#: Nodes a YAML document may expand to through its aliases (an analysis config has a few
#: hundred; a "billion laughs" document of a few kB expands to billions).
MAX_EXPANDED_NODES = 100_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a mapping with the same key twice (PyYAML would
    silently keep the last one: a duplicated benchmark name would vanish) and a document
    whose aliases expand it beyond :data:`MAX_EXPANDED_NODES` nodes (everything after the
    loader walks the expanded tree)."""

    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        if node is not None and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            msg = (f"the document's aliases (*name) expand it to more than {MAX_EXPANDED_NODES} values; "
                   "write the values out instead of nesting aliases")
            raise ConfigError("", msg)
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                msg = f"duplicate key {key!r} at line {line} (first at line {seen[key]})"
                raise ConfigError(str(key), msg)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Nodes of the tree ``node`` stands for once every alias is replaced by its target:
    linear in the document's size, however far the aliases expand (each node counted once)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_EXPANDED_NODES + 1  # a node that contains itself expands without end
    if isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
    else:
        children = []
    size = 1
    for child in children:
        size += _expanded_size(child, sizes)
        if size > MAX_EXPANDED_NODES:
            break
    sizes[id(node)] = size
    return size


def load_config(path: str | Path) -> AnalysisConfig:
    """Read, validate and build the analysis config in ``path``.

    Raises :class:`ConfigError` naming the file, the dotted key and the problem.
    """
    return parse_config(_read_text(path, "config"), source=Path(path))


def _read_text(path: str | Path, what: str) -> str:
    """The UTF-8 text of ``path`` (YAML's encoding); ConfigError naming the file otherwise."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError("", f"cannot read {what} ({err.strerror})", source=str(path)) from err
    except UnicodeDecodeError as err:
        line = Path(path).read_bytes()[: err.start].count(b"\n") + 1
        msg = f"line {line}: not UTF-8 text (byte 0x{err.object[err.start]:02x}); save the {what} as UTF-8"
        raise ConfigError("", msg, source=str(path)) from None


def load_yaml(path: str | Path) -> Any:
    """Any goldmine YAML file (duplicate keys refused); errors name the file."""
    text = _read_text(path, "file")
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except ConfigError as err:
        raise ConfigError(err.key, err.message, source=str(path)) from None
    except yaml.YAMLError as err:
        raise ConfigError("", f"not valid YAML: {err}", source=str(path)) from None


def parse_config(text: str, *, source: Path | None = None) -> AnalysisConfig:
    """Validate and build a config from YAML text; relative card paths resolve against
    ``source``'s folder (the working directory when None)."""
    where = str(source) if source else None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
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
