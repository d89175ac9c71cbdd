"""Fisher information of an extended (Poisson × density) likelihood (arXiv:1805.00020 sec. III.A,
arXiv:1907.10621 eq. 14).

With L the luminosity (pb⁻¹), σ(θ) the cross section (pb) and p(x|θ) the density,

    I_ij(θ) = L ∂_iσ ∂_jσ / σ                  (rate)
            + L σ E_p(x|θ)[t_i(x|θ) t_j(x|θ)]   (kinematics; t = ∇_θ log p(x|θ))

Every estimate below is an instance with a different x: the per-event weights (truth
level, x = z), histogram cells, or a learned score t̂(x). Matrices are (P, P) in units
of 1/θ², or (P+K, P+K) with K nuisance parameters appended.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "binned_information",
    "kinematic_information",
    "profile_information",
    "project_information",
    "rate_information",
    "truth_information",
    "with_constraints",
    "with_norm_nuisances",
]


def rate_information(sigma: float, grad_sigma: np.ndarray, luminosity: float) -> np.ndarray:
    """L ∇σ ∇σᵀ / σ for σ in pb, ∇σ (P,) in pb per unit θ, L in pb⁻¹; rank one."""
    grad_sigma = np.asarray(grad_sigma, dtype=float)
    return luminosity * np.outer(grad_sigma, grad_sigma) / sigma


def binned_information(bin_sigma: np.ndarray, bin_grad_sigma: np.ndarray, luminosity: float) -> np.ndarray:
    """Σ_b L ∇σ_b ∇σ_bᵀ / σ_b over cells with σ_b > 0: σ_b (nb,), ∇σ_b (nb, P).

    The rate term is included: a Poisson count per cell. With one event per cell, the
    cells are the events and this is the truth-level information."""
    keep = bin_sigma > 0
    grad = bin_grad_sigma[keep]
    return luminosity * np.einsum("bi,bj->ij", grad / bin_sigma[keep, np.newaxis], grad)


def truth_information(weights: np.ndarray, weight_gradients: np.ndarray, luminosity: float) -> np.ndarray:
    """L Σ_e ∇w_e ∇w_eᵀ / w_e from event weights w (n,) in pb at θ and their gradients (n, P).

    At parton level (x = z) this is the full information of the process; events with
    w ≤ 0 at θ are left out (they carry none in a positive density)."""
    return binned_information(weights, weight_gradients, luminosity)


def kinematic_information(score: np.ndarray, weights: np.ndarray, luminosity: float) -> np.ndarray:
    """L Σ_e w_e t_e t_eᵀ = L σ E[t tᵀ] for a score t (n, P) of events with weights w (n,) in pb at θ."""
    return luminosity * np.einsum("n,ni,nj->ij", weights, score, score)


def with_norm_nuisances(
    information: np.ndarray, sigma: float, grad_sigma: np.ndarray, log_factors: np.ndarray, luminosity: float
) -> np.ndarray:
    """Append K normalisation nuisances ν_k, each scaling every weight by f_k^ν_k: the
    information (P, P) including its rate term becomes (P+K, P+K) (constraints: :func:`with_constraints`).

    Since ∂ log w / ∂ν_k = log f_k for every event, the new blocks are I_θν = L ∇σ log fᵀ
    and I_νν = L σ log f log fᵀ, whatever x the information used."""
    log_factors = np.asarray(log_factors, dtype=float)
    n_parameters, n_nuisances = len(information), len(log_factors)
    extended = np.zeros((n_parameters + n_nuisances,) * 2)
    extended[:n_parameters, :n_parameters] = information
    cross = luminosity * np.outer(grad_sigma, log_factors)
    extended[:n_parameters, n_parameters:] = cross
    extended[n_parameters:, :n_parameters] = cross.T
    extended[n_parameters:, n_parameters:] = luminosity * sigma * np.outer(log_factors, log_factors)
    return extended


def with_constraints(information: np.ndarray, n_nuisances: int) -> np.ndarray:
    """The information plus that of a unit Gaussian constraint on each of the last
    ``n_nuisances`` parameters (their ±1 variations are ±1σ)."""
    constrained = np.array(information, dtype=float)
    n_parameters = len(constrained) - n_nuisances
    constrained[n_parameters:, n_parameters:] += np.eye(n_nuisances)
    return constrained


def project_information(information: np.ndarray, n_parameters: int) -> np.ndarray:
    """The block of the first ``n_parameters`` parameters: the nuisances held fixed (known)."""
    return np.asarray(information)[:n_parameters, :n_parameters].copy()


def profile_information(information: np.ndarray, n_parameters: int) -> np.ndarray:
    """I_θθ − I_θν I_νν⁻¹ I_νθ: the information on the first ``n_parameters`` parameters
    when the others are profiled (unknown); the Schur complement."""
    information = np.asarray(information)
    if len(information) == n_parameters:
        return information.copy()
    a = information[:n_parameters, :n_parameters]
    b = information[:n_parameters, n_parameters:]
    c = information[n_parameters:, n_parameters:]
    return a - b @ np.linalg.solve(c, b.T)
