"""Morphing: weights that interpolate event weights between benchmarks.

When every squared matrix element is a polynomial in the parameters θ,

    |M(z|θ)|² = Σ_c  f_c(θ) · g_c(z),   f_c(θ) = Π_p θ_p^{n_cp},

its value at any θ is a linear combination of its values at C "basis" benchmarks
θ_b (arXiv:1907.10621, eq. 6; arXiv:1805.00020, sec. 3.2):

    dσ(z|θ) = Σ_b w_b(θ) dσ(z|θ_b),   w(θ) = f(θ) · M,   M = A⁻¹,   A_bc = f_c(θ_b).

Shapes: ``components`` (C, P) integer powers; ``basis`` (C, P) parameter values;
``matrix`` M (C, C) indexed [component, basis benchmark], MadMiner's
``morphing/morphing_matrix``. Weights are dimensionless.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from goldmine.errors import MorphingError

__all__ = [
    "Morpher",
    "component_gradients",
    "component_labels",
    "component_matrix",
    "component_values",
    "find_components",
    "morphing_matrix",
]

log = logging.getLogger(__name__)

#: Above this condition number of the column-equilibrated basis matrix, morphed
#: weights lose digits to cancellation and a warning is logged.
POOR_CONDITIONING = 1e8
#: Below this ratio of smallest to largest singular value the basis is singular.
SINGULAR_TOLERANCE = 1e-12


def find_components(max_powers: Sequence[int], max_overall_power: int) -> np.ndarray:
    """Every monomial θ^n with n_p ≤ ``max_powers[p]`` and Σ_p n_p ≤ ``max_overall_power``.

    Returns an int array (C, P), enumerated in ``itertools.product`` order, the order
    MadMiner's ``PhysicsMorpher.find_components`` uses, so component indices agree.
    """
    ranges = [range(int(power) + 1) for power in max_powers]
    powers = [p for p in itertools.product(*ranges) if sum(p) <= max_overall_power]
    return np.asarray(powers, dtype=int).reshape(len(powers), len(max_powers))


def component_labels(components: np.ndarray, parameter_names: Sequence[str]) -> list[str]:
    """Readable names of the components, such as ``1``, ``CWL2^2``, ``CWL2*CPWL2``."""
    labels = []
    for powers in components:
        factors = [
            name if n == 1 else f"{name}^{n}" for name, n in zip(parameter_names, powers) if n > 0
        ]
        labels.append("*".join(factors) or "1")
    return labels


def _as_batch(theta: np.ndarray, n_parameters: int) -> tuple[np.ndarray, bool]:
    """θ as (n, P) float, and whether a single point (P,) was given."""
    theta = np.asarray(theta, dtype=float)
    single = theta.ndim == 1
    batch = theta[np.newaxis, :] if single else theta
    if batch.ndim != 2 or batch.shape[1] != n_parameters:
        msg = f"theta must have shape (n, {n_parameters}) or ({n_parameters},), got {theta.shape}"
        raise ValueError(msg)
    return batch, single


def component_values(theta: np.ndarray, components: np.ndarray) -> np.ndarray:
    """f_c(θ) = Π_p θ_p^{n_cp} for θ of shape (n, P); returns (n, C)."""
    theta = np.asarray(theta, dtype=float)
    return np.prod(theta[:, np.newaxis, :] ** components[np.newaxis, :, :], axis=2)


def component_gradients(theta: np.ndarray, components: np.ndarray) -> np.ndarray:
    """∂f_c/∂θ_i for θ of shape (n, P); returns (n, P, C)."""
    theta = np.asarray(theta, dtype=float)
    n_parameters = components.shape[1]
    gradients = np.empty((theta.shape[0], n_parameters, components.shape[0]))
    for i in range(n_parameters):
        lowered = components.copy()
        lowered[:, i] = np.maximum(components[:, i] - 1, 0)
        gradients[:, i, :] = components[:, i] * component_values(theta, lowered)
    return gradients


def component_matrix(basis: np.ndarray, components: np.ndarray) -> np.ndarray:
    """A_bc = f_c(θ_b): the components evaluated at the basis points, shape (B, C)."""
    return component_values(np.asarray(basis, dtype=float), components)


def morphing_matrix(
    basis: np.ndarray,
    components: np.ndarray,
    *,
    benchmark_names: Sequence[str] | None = None,
    parameter_names: Sequence[str] | None = None,
) -> np.ndarray:
    """The morphing matrix M = A⁻¹, shape (C, B) with B = C.

    Raises :class:`MorphingError` when the basis has the wrong number of points or
    cannot tell the components apart; logs a warning when it is poorly conditioned.
    """
    basis = np.asarray(basis, dtype=float)
    n_components, n_parameters = components.shape
    names = list(benchmark_names) if benchmark_names is not None else [f"#{i}" for i in range(len(basis))]
    labels = component_labels(components, parameter_names or [f"theta_{p}" for p in range(n_parameters)])
    if basis.ndim != 2 or basis.shape[1] != n_parameters:
        msg = f"basis must have shape (n_benchmarks, {n_parameters}), got {basis.shape}"
        raise MorphingError(msg)
    if len(basis) != n_components:
        kind = "under-determined" if len(basis) < n_components else "over-determined"
        msg = (
            f"morphing basis is {kind}: {len(basis)} benchmarks ({', '.join(names)}) for "
            f"{n_components} components ({', '.join(labels)}); the basis needs exactly "
            f"{n_components} benchmarks"
        )
        raise MorphingError(msg)

    matrix = component_matrix(basis, components)
    _check_conditioning(matrix, names, labels)
    return np.linalg.solve(matrix, np.eye(n_components))


def _check_conditioning(matrix: np.ndarray, names: Sequence[str], labels: Sequence[str]) -> None:
    """Singular basis → MorphingError naming the components it cannot separate."""
    # Equilibrate columns so that the verdict does not depend on the parameters' units.
    scale = np.max(np.abs(matrix), axis=0)
    scale[scale == 0.0] = 1.0
    _, singular_values, right_vectors = np.linalg.svd(matrix / scale)
    smallest, largest = singular_values[-1], singular_values[0]
    if smallest <= SINGULAR_TOLERANCE * largest:
        null = np.abs(right_vectors[-1])
        involved = [label for label, v in zip(labels, null) if v > 0.1 * null.max()]
        rank = int(np.sum(singular_values > SINGULAR_TOLERANCE * largest))
        msg = (
            f"morphing basis ({', '.join(names)}) is singular (rank {rank} of {len(labels)}): "
            f"its points cannot separate the components {', '.join(involved)}; "
            "move or replace benchmarks so that no polynomial of these components vanishes on all of them"
        )
        raise MorphingError(msg)
    condition = largest / smallest
    if condition > POOR_CONDITIONING:
        log.warning(
            "morphing basis (%s) is poorly conditioned (condition number %.3g): morphed weights "
            "will lose digits to cancellation; spread the basis points over the parameter ranges",
            ", ".join(names),
            condition,
        )


@dataclass(frozen=True)
class Morpher:
    """Morphing weights and their gradients for a fixed basis.

    ``components`` (C, P) int, ``basis`` (C, P), ``matrix`` (C, C) [component, basis benchmark].
    """

    components: np.ndarray
    basis: np.ndarray
    matrix: np.ndarray

    @classmethod
    def from_basis(
        cls,
        components: np.ndarray,
        basis: np.ndarray,
        *,
        benchmark_names: Sequence[str] | None = None,
        parameter_names: Sequence[str] | None = None,
    ) -> Morpher:
        components = np.asarray(components, dtype=int)
        basis = np.asarray(basis, dtype=float)
        matrix = morphing_matrix(
            basis, components, benchmark_names=benchmark_names, parameter_names=parameter_names
        )
        return cls(components=components, basis=basis, matrix=matrix)

    @property
    def n_parameters(self) -> int:
        return self.components.shape[1]

    @property
    def n_components(self) -> int:
        return self.components.shape[0]

    def weights(self, theta: np.ndarray) -> np.ndarray:
        """w_b(θ) for θ of shape (n, P) → (n, B), or (P,) → (B,)."""
        batch, single = _as_batch(theta, self.n_parameters)
        weights = component_values(batch, self.components) @ self.matrix
        return weights[0] if single else weights

    def weight_gradients(self, theta: np.ndarray) -> np.ndarray:
        """∂w_b/∂θ_i for θ of shape (n, P) → (n, P, B), or (P,) → (P, B)."""
        batch, single = _as_batch(theta, self.n_parameters)
        gradients = component_gradients(batch, self.components) @ self.matrix
        return gradients[0] if single else gradients
