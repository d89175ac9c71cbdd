"""Choosing a morphing basis: minimise the expected sum of squared morphing weights.

Large |w_b(θ)| mean that morphed weights are differences of large numbers, whose
statistical variance grows like Σ_b w_b(θ)² (arXiv:1805.00020, sec. 3.2). The figure
of merit is its mean over a uniform prior on the parameter box,

    L(basis) = E_θ[Σ_b w_b(θ)²] = tr(Mᵀ G M),   G_cc' = E_θ[f_c(θ) f_c'(θ)],

which is exact: the entries of G are products of moments of uniform distributions.
MadMiner estimates L by Monte Carlo over 100 random θ and keeps the best of
``n_trials`` random bases; here each trial starts from a random basis and is refined
by L-BFGS with the analytic gradient of log L. The free points are written as
θ = low + width·(1 + sin v)/2, which makes the box periodic and the search
unconstrained: with plain bounds, points pinned on the box faces trapped most
trials in poor local minima (benchmarks/README.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from goldmine.errors import MorphingError
from goldmine.physics.morphing import component_gradients, component_matrix, morphing_matrix

__all__ = ["BasisOptimum", "component_moments", "expected_squared_weights", "optimize_basis"]

log = logging.getLogger(__name__)


def component_moments(components: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """G_cc' = E[f_c(θ) f_c'(θ)] for θ uniform in the box ``ranges`` (P, 2); shape (C, C)."""
    ranges = np.asarray(ranges, dtype=float)
    low, high = ranges[:, 0], ranges[:, 1]
    powers = components[:, np.newaxis, :] + components[np.newaxis, :, :]  # (C, C, P)
    # E[θ^k] = (high^(k+1) - low^(k+1)) / ((k+1)(high - low)) for a uniform θ.
    moments = (high ** (powers + 1) - low ** (powers + 1)) / ((powers + 1) * (high - low))
    return np.prod(moments, axis=2)


def expected_squared_weights(basis: np.ndarray, components: np.ndarray, ranges: np.ndarray) -> float:
    """L = E_θ[Σ_b w_b(θ)²] over θ uniform in ``ranges`` (P, 2), for ``basis`` (C, P)."""
    matrix = morphing_matrix(basis, components)
    return float(np.trace(matrix.T @ component_moments(components, ranges) @ matrix))


def _log_objective_and_gradient(
    basis: np.ndarray, components: np.ndarray, moments: np.ndarray
) -> tuple[float, np.ndarray]:
    """log L and ∂log L/∂basis (C, P). With M = A⁻¹: dL = -2 tr(M Mᵀ G M dA)."""
    try:
        matrix = np.linalg.inv(component_matrix(basis, components))
    except np.linalg.LinAlgError:
        return np.inf, np.zeros_like(basis)
    objective = float(np.trace(matrix.T @ moments @ matrix))
    if not np.isfinite(objective) or objective <= 0.0:
        return np.inf, np.zeros_like(basis)
    d_objective_d_a = (-2.0 * matrix @ matrix.T @ moments @ matrix).T  # (B, C)
    d_a_d_basis = component_gradients(basis, components)  # (B, P, C)
    gradient = np.einsum("bc,bpc->bp", d_objective_d_a, d_a_d_basis)
    return np.log(objective), gradient / objective


@dataclass(frozen=True)
class BasisOptimum:
    """The best basis found: ``basis`` (C, P), fixed points first; ``objective`` = L."""

    basis: np.ndarray
    objective: float
    n_trials: int


def optimize_basis(
    components: np.ndarray,
    ranges: np.ndarray,
    *,
    fixed: np.ndarray | None = None,
    n_trials: int = 10,
    rng: np.random.Generator,
    fixed_names: Sequence[str] | None = None,
) -> BasisOptimum:
    """Minimise L over the free basis points, keeping the ``fixed`` points (k, P).

    Each of ``n_trials`` trials draws the free points uniformly in ``ranges`` (P, 2)
    and refines them with L-BFGS; the best refined basis is returned.
    """
    from scipy.optimize import minimize  # imported here: half a second that most commands never need

    components = np.asarray(components, dtype=int)
    ranges = np.asarray(ranges, dtype=float)
    n_components, n_parameters = components.shape
    fixed = np.zeros((0, n_parameters)) if fixed is None else np.asarray(fixed, dtype=float)
    n_free = n_components - len(fixed)
    if n_free < 0:
        msg = (
            f"{len(fixed)} fixed basis benchmarks but the morphing has only {n_components} "
            "components; remove benchmarks from morphing.basis"
        )
        raise MorphingError(msg)
    _check_fixed_points(fixed, components, fixed_names)
    if n_free == 0:
        return BasisOptimum(fixed, expected_squared_weights(fixed, components, ranges), 0)
    if n_trials < 1:
        msg = f"n_trials must be at least 1, got {n_trials}"
        raise ValueError(msg)

    moments = component_moments(components, ranges)
    low, width = ranges[:, 0], ranges[:, 1] - ranges[:, 0]

    def to_theta(angles: np.ndarray) -> np.ndarray:
        return low + width * (1.0 + np.sin(angles.reshape(n_free, n_parameters))) / 2.0

    def objective(angles: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = _log_objective_and_gradient(np.vstack([fixed, to_theta(angles)]), components, moments)
        d_theta_d_angle = width * np.cos(angles.reshape(n_free, n_parameters)) / 2.0
        return value, (gradient[len(fixed) :] * d_theta_d_angle).ravel()

    best_value, best_angles = np.inf, None
    for trial in range(n_trials):
        start = np.arcsin(rng.uniform(-1.0, 1.0, size=n_free * n_parameters))
        result = minimize(objective, start, jac=True, method="L-BFGS-B")
        log.debug("basis trial %d: log L = %.6g (%s)", trial, result.fun, result.message)
        if result.fun < best_value:
            best_value, best_angles = float(result.fun), result.x
    if best_angles is None:
        msg = "no trial found a non-singular morphing basis; widen the parameter ranges"
        raise MorphingError(msg)
    basis = np.vstack([fixed, to_theta(best_angles)])
    return BasisOptimum(basis, expected_squared_weights(basis, components, ranges), n_trials)


def _check_fixed_points(fixed: np.ndarray, components: np.ndarray, names: Sequence[str] | None) -> None:
    """The fixed points must be able to belong to some non-singular basis."""
    if len(fixed) == 0:
        return
    matrix = component_matrix(fixed, components)
    rank = np.linalg.matrix_rank(matrix / np.max(np.abs(matrix), axis=0).clip(min=1e-300))
    if rank < len(fixed):
        label = ", ".join(names) if names is not None else f"{len(fixed)} points"
        msg = (
            f"the fixed basis benchmarks ({label}) are degenerate (rank {rank} of {len(fixed)}): "
            "two of them give the same component values; drop or move one"
        )
        raise MorphingError(msg)
