"""Basis optimisation: the exact objective, its gradient, and the search itself."""

from __future__ import annotations

import numpy as np
import pytest

from goldmine.errors import MorphingError
from goldmine.physics.basis import (
    _log_objective_and_gradient,
    component_moments,
    expected_squared_weights,
    optimize_basis,
)
from goldmine.physics.morphing import Morpher, find_components

RANGES_2D = np.array([[-20.0, 20.0], [-20.0, 20.0]])
FIXTURE_BASIS = np.array([[0, 0], [10, 0], [-10, 0], [0, 10], [0, -10], [10, 10]], float)


def test_exact_objective_equals_monte_carlo_mean() -> None:
    components = find_components([2, 2], 2)
    morpher = Morpher.from_basis(components, FIXTURE_BASIS)
    theta = np.random.default_rng(3).uniform(-20, 20, size=(400_000, 2))
    squared = np.sum(morpher.weights(theta) ** 2, axis=1)
    exact = expected_squared_weights(FIXTURE_BASIS, components, RANGES_2D)
    assert exact == pytest.approx(np.mean(squared), abs=4 * np.std(squared) / np.sqrt(len(squared)))


def test_moments_of_a_uniform_distribution() -> None:
    moments = component_moments(find_components([4], 4), np.array([[0.0, 1.0]]))
    # E[θ^(i+j)] = 1/(i+j+1) on [0, 1]: the Hilbert matrix
    i, j = np.indices((5, 5))
    np.testing.assert_allclose(moments, 1.0 / (i + j + 1))


@pytest.mark.parametrize(("max_powers", "overall"), [([2, 2], 2), ([2, 2, 2], 2), ([4], 4)])
def test_objective_gradient_matches_finite_differences(max_powers, overall) -> None:
    rng = np.random.default_rng(5)
    components = find_components(max_powers, overall)
    ranges = np.array([[-1.0, 1.0]] * len(max_powers))
    moments = component_moments(components, ranges)
    basis = rng.uniform(-1, 1, size=(len(components), len(max_powers)))
    _, gradient = _log_objective_and_gradient(basis, components, moments)
    step = 1e-6
    numeric = np.zeros_like(basis)
    for index in np.ndindex(basis.shape):
        shift = np.zeros_like(basis)
        shift[index] = step
        up, _ = _log_objective_and_gradient(basis + shift, components, moments)
        down, _ = _log_objective_and_gradient(basis - shift, components, moments)
        numeric[index] = (up - down) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize(("max_powers", "overall", "n_parameters"), [([2, 2], 2, 2), ([2, 2, 2], 2, 3)])
def test_optimisation_beats_random_search_with_the_same_trials(max_powers, overall, n_parameters) -> None:
    """MadMiner keeps the best of n random bases; refining each trial must do better."""
    components = find_components(max_powers, overall)
    ranges = np.array([[-1.0, 1.0]] * n_parameters)
    fixed = np.zeros((1, n_parameters))  # the SM point, as in a typical analysis
    trials = 20
    rng = np.random.default_rng(0)
    random_best = min(
        expected_squared_weights(
            np.vstack([fixed, rng.uniform(-1, 1, size=(len(components) - 1, n_parameters))]), components, ranges
        )
        for _ in range(trials)
    )
    optimum = optimize_basis(components, ranges, fixed=fixed, n_trials=trials, rng=np.random.default_rng(0))
    assert optimum.objective < random_best
    np.testing.assert_array_equal(optimum.basis[0], fixed[0])
    assert np.all((optimum.basis >= ranges[:, 0]) & (optimum.basis <= ranges[:, 1]))
    assert optimum.objective == pytest.approx(expected_squared_weights(optimum.basis, components, ranges))


def test_optimisation_is_reproducible_for_a_seed() -> None:
    components = find_components([2, 2], 2)
    first = optimize_basis(components, RANGES_2D, n_trials=3, rng=np.random.default_rng(9))
    second = optimize_basis(components, RANGES_2D, n_trials=3, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(first.basis, second.basis)


def test_complete_fixed_basis_is_returned_unchanged() -> None:
    components = find_components([2, 2], 2)
    optimum = optimize_basis(components, RANGES_2D, fixed=FIXTURE_BASIS, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(optimum.basis, FIXTURE_BASIS)
    assert optimum.objective == pytest.approx(expected_squared_weights(FIXTURE_BASIS, components, RANGES_2D))


def test_too_many_fixed_points() -> None:
    with pytest.raises(MorphingError, match="7 fixed basis benchmarks but the morphing has only 6 components"):
        optimize_basis(find_components([2, 2], 2), RANGES_2D, fixed=np.zeros((7, 2)), rng=np.random.default_rng(1))


def test_degenerate_fixed_points() -> None:
    with pytest.raises(MorphingError, match=r"fixed basis benchmarks \(sm, sm_again\) are degenerate"):
        optimize_basis(
            find_components([2, 2], 2),
            RANGES_2D,
            fixed=np.zeros((2, 2)),
            rng=np.random.default_rng(1),
            fixed_names=["sm", "sm_again"],
        )
