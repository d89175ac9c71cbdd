"""The expression language of every config string: a whitelisted, typed tree.

A config string such as ``(l[0] + met).mt`` or ``a[0].pt > 40 and len(l) >= 1``
(observables, cuts) is parsed with :mod:`ast` and translated node by node into the small
tree below; any Python construct, name, attribute or function outside the tables is
rejected with its position in the string. Nothing is ever passed to ``eval``/``exec``.

The numbers-only mode (``variables=``) accepts arithmetic over the given names and no
event objects: param-card transforms (``0.5*theta``, ``sqrt(theta)/1000``) and detector
card formulas (``(abs(eta) <= 2.5) * 0.95``); :func:`compile_arithmetic` gives it as a
function of those names.

The tree is typed. Each node has a ``kind``:

- ``collection``: a pT-ordered list of momenta per event (``e mu l a j b``; parton level
  also ``p_truth nu h``);
- ``momentum``: one four-momentum per event, possibly missing (``met``, ``visible``,
  ``j[0]``, ``l[0] + met``);
- ``number`` and ``boolean``: one value per event, possibly missing.

so that ``j.pt`` or ``met[0]`` fail when the config is read, not on the first event.
:func:`evaluate` runs a tree on whole arrays: awkward arrays of momenta for event
objects, numpy arrays or numbers for variables; an index past an event's multiplicity
gives a missing value that propagates.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from goldmine.errors import ConfigError, GoldmineError, InputFileError

__all__ = [
    "ATTRIBUTES",
    "COLLECTIONS",
    "FUNCTIONS",
    "MOMENTA",
    "MOMENTUM_METHODS",
    "ExpressionError",
    "Node",
    "compile_arithmetic",
    "evaluate",
    "parse_checked",
    "parse_expression",
]

Kind = Literal["collection", "momentum", "number", "boolean"]

#: Object names: lists of momenta per event, and single momenta per event.
COLLECTIONS = frozenset({"e", "mu", "l", "a", "j", "b", "p_truth", "nu", "h"})
MOMENTA = frozenset({"met", "visible"})
CONSTANTS = {"pi": math.pi}

#: Attributes of a momentum, all numbers (vector's Momentum4D names; ``charge`` is ours).
ATTRIBUTES = frozenset({
    "pt", "eta", "phi", "m", "mass", "e", "energy", "px", "py", "pz", "p", "mt", "mt2", "et",
    "rapidity", "theta", "costheta", "beta", "gamma", "charge",
})
#: Methods of a momentum taking one momentum, with the kind they return.
MOMENTUM_METHODS: dict[str, Kind] = {
    "deltaR": "number",
    "deltaR2": "number",
    "deltaphi": "number",
    "deltaeta": "number",
    "deltaRapidityPhi": "number",
    "deltaangle": "number",
    "dot": "number",
    "boost_p4": "momentum",
    "boostCM_of_p4": "momentum",
}
#: Functions: name -> (argument kinds, result kind).
FUNCTIONS: dict[str, tuple[tuple[Kind, ...], Kind]] = {
    **{name: (("number",), "number") for name in (
        "abs", "sqrt", "exp", "log", "log10", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
        "sinh", "cosh", "tanh")},
    "arctan2": (("number", "number"), "number"),
    "min": (("number", "number"), "number"),
    "max": (("number", "number"), "number"),
    "len": (("collection",), "number"),
    "ht": (("collection",), "number"),
    "sum": (("collection",), "momentum"),
}

_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%"}
_COMPARISON = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
#: Functions of event collections, not available in the numbers-only mode.
_COLLECTION_FUNCTIONS = frozenset({"len", "ht", "sum"})
#: Longest expression accepted (characters); a physicist's longest is a few hundred.
MAX_LENGTH = 10_000


class ExpressionError(GoldmineError, ValueError):
    """An expression is not allowed; the message shows the string with a caret under
    the offending position."""

    def __init__(self, text: str, column: int, message: str) -> None:
        self.text, self.column = text, column
        super().__init__(f"{message} at position {column} of {text!r}\n    {text}\n    {' ' * column}^")


@dataclass(frozen=True)
class Node:
    """One node of an expression. ``op`` names what it does (see ``_translate``);
    ``value`` holds the number, object, attribute, method or function name, or index."""

    op: str
    kind: Kind
    value: object = None
    children: tuple[Node, ...] = ()

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


def parse_expression(text: str, variables: Iterable[str] | None = None) -> Node:
    """Parse ``text`` into a typed tree, or raise :class:`ExpressionError`. With
    ``variables``, in the numbers-only mode: those names are numbers, and event objects,
    attributes and methods are refused."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(str(text), 0, "empty expression")
    stripped = text.strip()
    if len(stripped) > MAX_LENGTH:
        raise ExpressionError(stripped[:40] + "...", 0, f"longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(stripped, mode="eval")
        return _Translator(stripped, None if variables is None else frozenset(variables)).translate(tree.body)
    except SyntaxError as err:
        column = err.offset - 1 if err.offset else len(stripped)  # offset 0: the text ended too early
        detail = "" if err.msg == "invalid syntax" else f": {err.msg}"
        raise ExpressionError(stripped, column, f"invalid syntax{detail}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(stripped[:40] + "...", 0, "nested too deeply") from None


class _Translator:
    def __init__(self, text: str, variables: frozenset[str] | None) -> None:
        self.text, self.variables = text, variables

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(self.text, getattr(node, "col_offset", 0), message)

    def translate(self, node: ast.AST) -> Node:
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise self.fail(node, f"{type(node).__name__.lower()} is not allowed")
        return handler(node)

    def expect(self, node: ast.AST, kinds: tuple[Kind, ...], what: str) -> Node:
        result = self.translate(node)
        if result.kind not in kinds:
            raise self.fail(node, f"{what} must be a {' or '.join(kinds)}, not a {result.kind}")
        return result

    def _Constant(self, node: ast.Constant) -> Node:
        if type(node.value) not in (int, float):
            raise self.fail(node, f"constant {node.value!r} is not allowed (numbers only)")
        return Node("number", "number", float(node.value))

    def _Name(self, node: ast.Name) -> Node:
        # the names that stand for values: event objects, or the numbers-only mode's variables
        objects: dict[str, Kind] = (
            {**dict.fromkeys(COLLECTIONS, "collection"), **dict.fromkeys(MOMENTA, "momentum")}
            if self.variables is None else dict.fromkeys(self.variables, "number")
        )
        if node.id in objects:
            return Node("object", objects[node.id], node.id)
        if node.id in CONSTANTS:
            return Node("number", "number", CONSTANTS[node.id])
        raise self.fail(node, f"unknown name {node.id!r} (known: {', '.join(sorted({*objects, *CONSTANTS}))})")

    def _numbers_only(self, node: ast.AST, what: str) -> None:
        if self.variables is not None:
            raise self.fail(node, f"{what} is not allowed in a numbers-only expression (numbers, "
                                  f"{', '.join(sorted(self.variables))}, arithmetic, comparisons and functions)")

    def _Subscript(self, node: ast.Subscript) -> Node:
        self._numbers_only(node, "indexing")
        collection = self.expect(node.value, ("collection",), "an indexed object")
        index = node.slice
        if not (isinstance(index, ast.Constant) and type(index.value) is int and index.value >= 0):
            raise self.fail(index, "an index must be a non-negative integer")
        return Node("item", "momentum", index.value, (collection,))

    def _Attribute(self, node: ast.Attribute) -> Node:
        self._numbers_only(node, f"attribute .{node.attr}")
        target = self.expect(node.value, ("momentum",), f"the object of .{node.attr}")
        if node.attr not in ATTRIBUTES:
            raise self.fail(node, f"unknown attribute {node.attr!r} (known: {', '.join(sorted(ATTRIBUTES))})")
        return Node("attribute", "number", node.attr, (target,))

    def _Call(self, node: ast.Call) -> Node:
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        if isinstance(node.func, ast.Attribute):
            return self._method(node, node.func)
        numbers_only = self.variables is not None
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or (
                numbers_only and node.func.id in _COLLECTION_FUNCTIONS):
            name = node.func.id if isinstance(node.func, ast.Name) else type(node.func).__name__.lower()
            known = sorted(set(FUNCTIONS) - (_COLLECTION_FUNCTIONS if numbers_only else set()))
            raise self.fail(node, f"unknown function {name!r} (known: {', '.join(known)})")
        kinds, result = FUNCTIONS[node.func.id]
        if len(node.args) != len(kinds):
            raise self.fail(node, f"{node.func.id}() takes {len(kinds)} argument(s), got {len(node.args)}")
        numeric = ("number", "boolean")
        arguments = tuple(
            self.expect(arg, numeric if kind == "number" else (kind,), f"the argument of {node.func.id}()")
            for arg, kind in zip(node.args, kinds)
        )
        return Node("function", result, node.func.id, arguments)

    def _method(self, node: ast.Call, func: ast.Attribute) -> Node:
        self._numbers_only(func, f"method .{func.attr}()")
        if func.attr not in MOMENTUM_METHODS:
            raise self.fail(func, f"unknown method {func.attr!r} (known: {', '.join(sorted(MOMENTUM_METHODS))})")
        target = self.expect(func.value, ("momentum",), f"the object of .{func.attr}()")
        if len(node.args) != 1:
            raise self.fail(node, f".{func.attr}() takes one momentum, got {len(node.args)} arguments")
        other = self.expect(node.args[0], ("momentum",), f"the argument of .{func.attr}()")
        return Node("method", MOMENTUM_METHODS[func.attr], func.attr, (target, other))

    def _BinOp(self, node: ast.BinOp) -> Node:
        symbol = _ARITHMETIC.get(type(node.op))
        if symbol is None:
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
        left, right = self.translate(node.left), self.translate(node.right)
        if left.kind == right.kind == "momentum" and symbol in "+-":
            return Node("arithmetic", "momentum", symbol, (left, right))
        numeric = ("number", "boolean")
        if left.kind in numeric and right.kind in numeric:
            return Node("arithmetic", "number", symbol, (left, right))
        raise self.fail(node, f"cannot apply {symbol} to a {left.kind} and a {right.kind}")

    def _UnaryOp(self, node: ast.UnaryOp) -> Node:
        if isinstance(node.op, ast.Not):
            return Node("not", "boolean", None, (self.expect(node.operand, ("boolean",), "the operand of not"),))
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.expect(node.operand, ("number", "boolean"), "a signed value")
            return Node("negate", "number", None, (operand,)) if isinstance(node.op, ast.USub) else operand
        raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")

    def _Compare(self, node: ast.Compare) -> Node:
        symbols = []
        for op in node.ops:
            if type(op) not in _COMPARISON:
                raise self.fail(node, f"comparison {type(op).__name__} is not allowed")
            symbols.append(_COMPARISON[type(op)])
        operands = tuple(
            self.expect(item, ("number", "boolean"), "a compared value") for item in (node.left, *node.comparators)
        )
        return Node("compare", "boolean", tuple(symbols), operands)

    def _BoolOp(self, node: ast.BoolOp) -> Node:
        word = "and" if isinstance(node.op, ast.And) else "or"
        operands = tuple(self.expect(item, ("boolean",), f"an operand of {word}") for item in node.values)
        return Node(word, "boolean", None, operands)


def parse_checked(text: str, key: str, kinds: tuple[Kind, ...]) -> Node:
    """Parse ``text`` for the config entry ``key``; its value per event must be one of ``kinds``."""
    try:
        node = parse_expression(text)
    except ExpressionError as err:
        raise ConfigError(key, str(err)) from None
    if node.kind not in kinds:
        raise ConfigError(key, f"{text!r} gives a {node.kind} per event; expected a {' or '.join(kinds)}")
    return node


def compile_arithmetic(text: str, variables: Iterable[str]) -> Callable[[Mapping[str, Any]], Any]:
    """``text`` in the numbers-only mode over ``variables``, as a function of their values
    (numbers or numpy arrays) giving a number or an array."""
    node = parse_expression(text, variables)
    if node.kind not in ("number", "boolean"):
        raise ExpressionError(text.strip(), 0, f"gives a {node.kind}; expected a number")
    return lambda values: evaluate(node, values)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
    "%": operator.mod, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
    "!=": operator.ne,
}
_NUMPY: dict[str, Callable[..., Any]] = {
    "abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "log10": np.log10, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "arctan2": np.arctan2, "min": np.minimum,
    "max": np.maximum,
}


def evaluate(node: Node, objects: Mapping[str, Any]) -> Any:
    """Value of ``node`` for every event (or every entry of the variables' arrays):
    ``objects`` maps object and variable names to awkward arrays of vector's
    ``Momentum4D`` records (jagged, pT-ordered, for collections; flat for ``met`` and
    ``visible``) or to numbers and numpy arrays. Invalid arithmetic (log of 0, 0/0) gives
    inf or NaN."""
    with np.errstate(all="ignore"):
        return _evaluate(node, objects)


def _evaluate(node: Node, objects: Mapping[str, Any]) -> Any:
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
            import awkward as ak  # only event objects are indexed; the numbers-only mode needs no awkward

            return ak.pad_none(args[0], node.value + 1, axis=1)[:, node.value]
        case "attribute":
            return getattr(args[0], node.value)
        case "method":
            return getattr(args[0], node.value)(args[1])
        case "function" if node.value in _COLLECTION_FUNCTIONS:
            import awkward as ak

            (collection,) = args
            if node.value == "len":
                return ak.num(collection, axis=1)
            return ak.sum(collection.pt if node.value == "ht" else collection, axis=1)
        case "function":
            return _NUMPY[node.value](*args)
        case "arithmetic":
            return _OPERATORS[node.value](args[0], args[1])
        case "negate":
            return -args[0]
        case "not":
            return np.logical_not(args[0])
        case "compare":
            pairs = [_OPERATORS[symbol](left, right) for symbol, left, right in zip(node.value, args, args[1:])]
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
