"""The JSON schema of the analysis config: loading, default filling, readable errors.

The schema ships inside the package (``config/schemas/``), so a container validates
offline; ``specs/analysis.schema.json`` is the same file for readers of the repository.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from goldmine.errors import ConfigError

__all__ = ["ANALYSIS_SCHEMA", "fill_defaults", "format_path", "load_schema", "validate"]

ANALYSIS_SCHEMA = "analysis.schema.json"


@functools.cache
def load_schema(name: str = ANALYSIS_SCHEMA) -> dict[str, Any]:
    """The packaged schema ``name`` (cached; reads no network)."""
    text = resources.files("goldmine.config").joinpath("schemas", name).read_text()
    return json.loads(text)


def format_path(path: Sequence[str | int]) -> str:
    """``["parameters", 1, "range"]`` → ``parameters[1].range``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/$defs/...``), keeping the referencing node's keys."""
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def fill_defaults(instance: Any, schema: dict[str, Any] | None = None, root: dict[str, Any] | None = None) -> Any:
    """Return a copy of ``instance`` with every missing key that has a schema default set."""
    root = root or load_schema()
    schema = _resolve(schema if schema is not None else root, root)
    instance = copy.deepcopy(instance)
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        for key, sub in properties.items():
            sub = _resolve(sub, root)
            if key not in instance and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
            if key in instance:
                instance[key] = fill_defaults(instance[key], sub, root)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in instance.keys() - properties.keys():
                instance[key] = fill_defaults(instance[key], extra, root)
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        instance = [fill_defaults(item, schema["items"], root) for item in instance]
    return instance


def validate(instance: Any, *, source: str | None = None) -> None:
    """Raise :class:`ConfigError` for the most relevant schema violation, if any."""
    validator = jsonschema.Draft202012Validator(load_schema())
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        key, message = _describe(error)
        raise ConfigError(key, message, source=source)


def _describe(error: ValidationError) -> tuple[str, str]:
    """A dotted key and a message that says what was expected and what was found."""
    path = list(error.absolute_path)
    found = json.dumps(error.instance, default=str)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return format_path([*path, missing[0]]), "missing required key"
    if kind == "additionalProperties":
        known = list(schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        hints = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" (did you mean {hints[0]!r}?)" if hints else f"; allowed keys: {', '.join(known)}"
        return format_path([*path, unknown[0]]), f"unknown key{hint}"
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return format_path(path), f"expected {expected}, got {found}"
    if kind == "enum":
        choices = ", ".join(json.dumps(choice) for choice in error.validator_value)
        return format_path(path), f"expected one of {choices}, got {found}"
    if kind in {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}:
        relation = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}[kind]
        return format_path(path), f"expected a number {relation} {error.validator_value}, got {found}"
    if kind in {"minItems", "maxItems"}:
        bound = "at least" if kind == "minItems" else "at most"
        return format_path(path), f"expected {bound} {error.validator_value} items, got {len(error.instance)}"
    if kind in {"minProperties"}:
        return format_path(path), f"expected at least {error.validator_value} entries, got none"
    if kind == "pattern":
        what = schema.get("description", f"a string matching {error.validator_value}")
        return format_path(path), f"expected {what}, got {found}"
    if kind in {"minLength", "maxLength"}:
        bound = "at least" if kind == "minLength" else "at most"
        return format_path(path), f"expected a string of {bound} {error.validator_value} characters, got {found}"
    return format_path(path), error.message
