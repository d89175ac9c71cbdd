"""The numbers-only mode of the expression language (param-card transforms, detector-card
formulas): what is allowed evaluates on arrays, anything else is refused where it stands."""

from __future__ import annotations

import numpy as np
import pytest

from goldmine.expressions import ExpressionError, compile_arithmetic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("theta", [1.0, 4.0]),
        ("0.5*theta", [0.5, 2.0]),
        ("-theta**2 + 1", [0.0, -15.0]),
        ("sqrt(theta)/1000", [0.001, 0.002]),
        ("abs(-theta) * 2e-3", [0.002, 0.008]),
    ],
)
def test_allowed_expressions_evaluate_on_arrays(text, expected) -> None:
    np.testing.assert_allclose(compile_arithmetic(text, ["theta"])({"theta": np.array([1.0, 4.0])}), expected)


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("__import__('os').system('true')", r"method \.system\(\) is not allowed in a numbers-only expression", 0),
        ("theta.real", r"attribute \.real is not allowed in a numbers-only expression", 0),
        ("lambda: 1", "lambda is not allowed", 0),
        ("phi * 2", r"unknown name 'phi' \(known: pi, theta\)", 0),
        ("2 * j[0]", "indexing is not allowed in a numbers-only expression", 4),
        ("len(theta)", "unknown function 'len'", 0),
        ("'a' * 3", "constant 'a' is not allowed", 0),
        ("sqrt(theta, 2)", r"sqrt\(\) takes 1 argument\(s\), got 2", 0),
        ("theta if theta else 1", "ifexp is not allowed", 0),
    ],
)
def test_anything_else_is_refused_where_it_stands(text, message, column) -> None:
    with pytest.raises(ExpressionError, match=message) as info:
        compile_arithmetic(text, ["theta"])
    assert info.value.column == column and f"at position {column} of {text!r}" in str(info.value)


def test_syntax_errors_give_the_column() -> None:
    with pytest.raises(ExpressionError, match=r"invalid syntax at position 7 of 'theta \+'"):
        compile_arithmetic("theta +", ["theta"])


def test_card_formulas_with_comparisons_evaluate_as_numbers() -> None:
    """Delphes cards write efficiencies as products of conditions and numbers."""
    formula = compile_arithmetic("(abs(eta) <= 2.5) * (pt > 10.0) * 0.95", ["pt", "eta"])
    np.testing.assert_allclose(formula({"pt": np.array([5.0, 20.0, 20.0]), "eta": np.array([0.0, 1.0, 3.0])}),
                               [0.0, 0.95, 0.0])
