"""Evaluate expression trees on whole event arrays.

``objects`` maps the object names of :mod:`goldmine.observables.expression` to awkward
arrays of vector's ``Momentum4D`` records: jagged (events × objects, pT-ordered) for
collections, flat (events) for ``met`` and ``visible``. Indexing past an event's
multiplicity yields ``None`` for that event, which propagates through every
operation; :func:`to_numbers` and :func:`to_flags` turn the result into numpy columns.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import awkward as ak
import numpy as np

from goldmine.errors import InputFileError
from goldmine.observables.expression import Node

__all__ = ["evaluate", "to_flags", "to_numbers"]

_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow, "%": operator.mod,
}
_COMPARISON: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
}
_NUMPY: dict[str, Callable[..., Any]] = {
    "abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "log10": np.log10, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "arctan2": np.arctan2, "min": np.minimum,
    "max": np.maximum,
}
_REDUCERS: dict[str, Callable[[ak.Array], Any]] = {
    "len": lambda collection: ak.num(collection, axis=1),
    "ht": lambda collection: ak.sum(collection.pt, axis=1),
    "sum": lambda collection: ak.sum(collection, axis=1),
}


def evaluate(node: Node, objects: Mapping[str, ak.Array]) -> Any:
    """Value of ``node`` for every event: an awkward array (or a Python number when the
    expression is constant). Invalid arithmetic (log of 0, 0/0) gives inf or NaN."""
    with np.errstate(all="ignore"):
        return _evaluate(node, objects)


def _evaluate(node: Node, objects: Mapping[str, ak.Array]) -> Any:
    args = [_evaluate(child, objects) for child in node.children]
    match node.op:
        case "number":
            return node.value
        case "object":
            if node.value not in objects:
                msg = f"object {node.value!r} is not available for this input (available: {', '.join(objects)})"
                raise InputFileError(msg)
            return objects[node.value]
        case "item":
            return ak.pad_none(args[0], node.value + 1, axis=1)[:, node.value]
        case "attribute":
            return getattr(args[0], node.value)
        case "method":
            return getattr(args[0], node.value)(args[1])
        case "function":
            function = _REDUCERS.get(node.value) or _NUMPY[node.value]
            return function(*args)
        case "arithmetic":
            return _ARITHMETIC[node.value](args[0], args[1])
        case "negate":
            return -args[0]
        case "not":
            return np.logical_not(args[0])
        case "compare":
            pairs = [_COMPARISON[symbol](left, right) for symbol, left, right in zip(node.value, args, args[1:])]
            return _reduce(np.logical_and, pairs)
        case "and":
            return _reduce(np.logical_and, args)
        case "or":
            return _reduce(np.logical_or, args)
    raise AssertionError(f"unhandled node {node.op}")  # the translator emits only the ops above


def _reduce(function: Callable[[Any, Any], Any], values: list[Any]) -> Any:
    result = values[0]
    for value in values[1:]:
        result = function(result, value)
    return result


def to_numbers(value: Any, n_events: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, missing): float64 (n_events,) with NaN where missing, and the missing mask."""
    if not isinstance(value, ak.Array):
        return np.full(n_events, float(value)), np.zeros(n_events, dtype=bool)
    missing = np.asarray(ak.to_numpy(ak.is_none(value, axis=0)), dtype=bool)
    numbers = np.asarray(ak.to_numpy(ak.fill_none(value, np.nan, axis=0)), dtype=np.float64)
    return numbers, missing


def to_flags(value: Any, n_events: int) -> np.ndarray:
    """Boolean (n_events,); a missing value counts as False."""
    if not isinstance(value, ak.Array):
        return np.full(n_events, bool(value))
    return np.asarray(ak.to_numpy(ak.fill_none(value, False, axis=0)), dtype=bool)
