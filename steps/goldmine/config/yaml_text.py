"""Reading goldmine's YAML files (configs, detector cards): UTF-8 text, no key given twice,
aliases that cannot expand without bound; errors name the file. Kept apart from the config
builder so that a detector card is read without importing it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from goldmine.errors import ConfigError

__all__ = ["MAX_EXPANDED_NODES", "UniqueKeyLoader", "load_yaml", "read_text"]


#: Nodes a YAML document may expand to through its aliases (an analysis config has a few
#: hundred; a "billion laughs" document of a few kB expands to billions).
MAX_EXPANDED_NODES = 100_000


class UniqueKeyLoader(yaml.SafeLoader):
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


def read_text(path: str | Path, what: str) -> str:
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
    text = read_text(path, "file")
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader subclass
    except ConfigError as err:
        raise ConfigError(err.key, err.message, source=str(path)) from None
    except yaml.YAMLError as err:
        raise ConfigError("", f"not valid YAML: {err}", source=str(path)) from None
