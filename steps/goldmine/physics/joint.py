"""The joint likelihood ratio and joint score of events (arXiv:1907.10621, eqs. 8-9).

For an event with latent history z and component weights g (C,) in pb,

    p(x, z|θ) ∝ dσ(z|θ) / σ(θ),     dσ(z|θ) = f(θ)·g,     σ(θ) = f(θ)·Σ_i g_i,
    r(x, z|θ0, θ1) = [dσ(z|θ0)/σ(θ0)] / [dσ(z|θ1)/σ(θ1)]                    (eq. 8)
    t(x, z|θ) = ∇_θ log p(x, z|θ) = ∇dσ(z|θ)/dσ(z|θ) − ∇σ(θ)/σ(θ)           (eq. 9)

where the factors p(x|z) of the shower and detector cancel. σ(θ) is estimated from
the whole partition, Σ_i g_i. Units of t: 1 / (units of θ).

With K shape nuisances (goldmine.physics.nuisance: dσ(z|θ, ν) = dσ(z|θ) exp(a(z)·ν + …))
the joint score at ν = 0 has the components

    t_ν(x, z|θ) = a(z) − Σ_i dσ(z_i|θ) a(z_i) / σ(θ),

the second term from Σ_i g_i a_i over the partition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from goldmine.errors import GoldmineError
from goldmine.physics.morphing import component_gradients, component_values

__all__ = ["JointTerms", "joint_nuisance_score", "joint_terms"]


@dataclass(frozen=True, eq=False)
class JointTerms:
    """Per event at its θ: ``log_p_xz`` (n,) = log[dσ(z|θ)/σ(θ)], ``t_xz`` (n, P)."""

    log_p_xz: np.ndarray
    t_xz: np.ndarray


def joint_terms(
    component_weights: np.ndarray,
    theta: np.ndarray,
    components: np.ndarray,
    sigma_components: np.ndarray,
    *,
    event_index: np.ndarray,
) -> JointTerms:
    """log p(x,z|θ) and t(x,z|θ) for events g (n, C) each at its own θ (n, P).

    ``event_index`` (n,) names events in the error raised when dσ(z|θ) ≤ 0, where
    neither quantity exists.
    """
    f = component_values(theta, components)  # (n, C)
    df = component_gradients(theta, components)  # (n, P, C)
    d_sigma = np.einsum("nc,nc->n", component_weights, f)
    grad_d_sigma = np.einsum("nc,npc->np", component_weights, df)
    sigma = f @ sigma_components
    grad_sigma = df @ sigma_components
    bad = ~(d_sigma > 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        msg = (
            f"event {event_index[first]} has weight {d_sigma[first]:.4g} pb at theta = {theta[first].tolist()} "
            f"({int(bad.sum())} such events among {len(bad)}): the joint ratio and score need positive weights; "
            "keep theta inside the parameter ranges or check the event weights"
        )
        raise GoldmineError(msg)
    log_p_xz = np.log(d_sigma) - np.log(sigma)
    t_xz = grad_d_sigma / d_sigma[:, np.newaxis] - grad_sigma / sigma[:, np.newaxis]
    return JointTerms(log_p_xz, t_xz)


def joint_nuisance_score(nuisance_a: np.ndarray, theta: np.ndarray, components: np.ndarray,
                         sigma_components: np.ndarray, nuisance_sigma_components: np.ndarray) -> np.ndarray:
    """t_ν(x,z|θ) (n, K) at ν = 0 for events with the morphing's a (n, K), each at its θ
    (n, P); ``nuisance_sigma_components`` (C, K) = Σ_i g_i a_i over the partition."""
    f = component_values(theta, components)  # (n, C)
    return nuisance_a - (f @ nuisance_sigma_components) / (f @ sigma_components)[:, np.newaxis]
