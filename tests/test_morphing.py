"""Morphing against exact polynomials, finite differences and MadMiner's conventions."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from goldmine.errors import MorphingError
from goldmine.physics.morphing import (
    Morpher,
    component_gradients,
    component_labels,
    component_values,
    find_components,
    morphing_matrix,
)

CASES = [
    # (max power per parameter, max overall power, range)
    ([4], 4, [(-1.0, 1.0)]),
    ([2, 2], 2, [(-20.0, 20.0), (-20.0, 20.0)]),
    ([2, 4], 4, [(-1.0, 2.0), (-0.5, 0.5)]),
    ([2, 2, 2], 2, [(-1.0, 1.0), (-2.0, 2.0), (-0.5, 0.5)]),
    ([2, 2, 2], 4, [(-1.0, 1.0), (-2.0, 2.0), (-0.5, 0.5)]),
]


def _random_basis(components: np.ndarray, ranges: list[tuple[float, float]], rng: np.random.Generator) -> np.ndarray:
    low, high = np.array(ranges).T
    return rng.uniform(low, high, size=(len(components), len(ranges)))


def test_components_follow_madminer_enumeration() -> None:
    # madminer 0.9.6 PhysicsMorpher.find_components for powers (2, 2), overall 2
    expected = [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [2, 0]]
    assert find_components([2, 2], 2).tolist() == expected
    assert find_components([1], 5).tolist() == [[0], [1]]
    assert find_components([2, 2, 2], 0).tolist() == [[0, 0, 0]]
    assert component_labels(find_components([2, 2], 2), ["a", "b"]) == ["1", "b", "b^2", "a", "a*b", "a^2"]


@pytest.mark.parametrize(("max_powers", "overall", "ranges"), CASES)
def test_morphing_reproduces_polynomial_cross_sections(max_powers, overall, ranges) -> None:
    rng = np.random.default_rng(7)
    components = find_components(max_powers, overall)
    basis = _random_basis(components, ranges, rng)
    coefficients = rng.normal(size=len(components))  # sigma(theta) = sum_c a_c f_c(theta)
    sigma_basis = component_values(basis, components) @ coefficients

    morpher = Morpher.from_basis(components, basis)
    low, high = np.array(ranges).T
    theta = rng.uniform(low, high, size=(1000, len(ranges)))
    morphed = morpher.weights(theta) @ sigma_basis
    exact = component_values(theta, components) @ coefficients
    np.testing.assert_allclose(morphed, exact, rtol=1e-10, atol=1e-10 * np.abs(exact).max())


@pytest.mark.parametrize(("max_powers", "overall", "ranges"), CASES)
def test_weight_gradients_match_finite_differences(max_powers, overall, ranges) -> None:
    rng = np.random.default_rng(11)
    components = find_components(max_powers, overall)
    morpher = Morpher.from_basis(components, _random_basis(components, ranges, rng))
    low, high = np.array(ranges).T
    theta = rng.uniform(low, high, size=(20, len(ranges)))
    step = 1e-6 * (high - low)
    numeric = np.stack(
        [
            (morpher.weights(theta + step[i] * np.eye(len(ranges))[i]) - morpher.weights(theta - step[i] * np.eye(len(ranges))[i]))
            / (2 * step[i])
            for i in range(len(ranges))
        ],
        axis=1,
    )
    analytic = morpher.weight_gradients(theta)
    assert analytic.shape == (20, len(ranges), len(components))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6 * np.abs(analytic).max())


def test_weights_at_basis_points_select_that_benchmark() -> None:
    components = find_components([2, 2], 2)
    basis = np.array([[0, 0], [10, 0], [-10, 0], [0, 10], [0, -10], [10, 10]], float)
    morpher = Morpher.from_basis(components, basis)
    np.testing.assert_allclose(morpher.weights(basis), np.eye(6), atol=1e-12)
    assert morpher.weights(basis[1]).shape == (6,)
    assert morpher.weight_gradients(basis[1]).shape == (2, 6)


def test_component_gradients_at_zero_are_finite() -> None:
    components = find_components([2, 2], 2)
    gradients = component_gradients(np.zeros((1, 2)), components)
    # d/dθ of [1, b, b², a, ab, a²] at 0: only the linear terms survive
    assert gradients[0].tolist() == [[0, 0, 0, 1, 0, 0], [0, 1, 0, 0, 0, 0]]


def test_under_determined_basis_names_counts_and_components() -> None:
    components = find_components([2, 2], 2)
    with pytest.raises(MorphingError, match=r"under-determined: 4 benchmarks .* for 6 components"):
        morphing_matrix(np.zeros((4, 2)), components)


def test_singular_basis_names_the_inseparable_components() -> None:
    components = find_components([2, 2], 2)
    on_a_line = np.array([[0, 0], [1, 0], [2, 0], [3, 0], [4, 0], [5, 0]], float)
    with pytest.raises(MorphingError, match=r"singular \(rank 3 of 6\).*cannot separate the components") as info:
        morphing_matrix(on_a_line, components, parameter_names=["a", "b"])
    assert "b" in str(info.value)


def test_poorly_conditioned_basis_warns(caplog: pytest.LogCaptureFixture) -> None:
    components = find_components([2], 2)
    nearly_equal = np.array([[0.0], [1.0], [1.0 + 1e-9]])  # condition number ~5e9
    with caplog.at_level(logging.WARNING, logger="goldmine.physics.morphing"):
        morphing_matrix(nearly_equal, components)
    assert "poorly conditioned" in caplog.text


def test_theta_shape_is_checked() -> None:
    morpher = Morpher.from_basis(find_components([2], 2), np.array([[0.0], [1.0], [2.0]]))
    with pytest.raises(ValueError, match=r"theta must have shape \(n, 1\)"):
        morpher.weights(np.zeros((3, 2)))
