"""Every Fisher information of one evaluation, at one θ, with nuisances profiled and projected.

Counting estimators (truth, rate, histograms) take every nuisance whose ∂ log w/∂ν is known
per event: shape nuisances (a, goldmine.physics.nuisance) and normalisation ones (log f).
A score model takes the shape nuisances whose score components it learned (SALLY trained on
the local sampler's t_xz, goldmine.physics.joint) and the normalisation ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from goldmine.evaluate import fisher
from goldmine.evaluate.events import SimulatedEvents
from goldmine.evaluate.histograms import fill_cells

__all__ = ["Information", "binned_matrix", "event_gradients", "information_distribution", "information_from",
           "rate_matrix", "score_matrices", "truth_matrix"]


@dataclass(frozen=True, eq=False)
class Information:
    """``full`` (P+K, P+K) with the K nuisances ``nuisances`` (their unit Gaussian
    constraints included); ``profiled`` and ``projected`` (P, P); for an ensemble,
    ``members`` (M, P, P) (profiled) and ``covariance`` (P·P, P·P) of their entries."""

    name: str
    full: np.ndarray
    profiled: np.ndarray
    projected: np.ndarray
    nuisances: tuple[str, ...] = ()
    members: np.ndarray | None = None
    covariance: np.ndarray | None = None


def information_from(name: str, matrices: Sequence[np.ndarray], n_parameters: int,
                     nuisances: Sequence[str]) -> Information:
    """Constrain the nuisances of each (P+K, P+K) matrix (rate term included), then profile
    and project; several matrices are ensemble members, summarised by their mean."""
    constrained = [fisher.with_constraints(m, len(nuisances)) for m in matrices]
    mean = np.mean(constrained, axis=0)
    members = covariance = None
    if len(matrices) > 1:
        members = np.array([fisher.profile_information(m, n_parameters) for m in constrained])
        covariance = np.atleast_2d(np.cov(members.reshape(len(members), -1), rowvar=False))
    return Information(name, mean, fisher.profile_information(mean, n_parameters),
                       fisher.project_information(mean, n_parameters), tuple(nuisances), members, covariance)


def event_gradients(simulated: SimulatedEvents, theta: np.ndarray,
                    log_ratios: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """w (n,) in pb at θ and ν = 0, and its gradient (n, P+K) in θ and in K nuisances whose
    ∂ log w/∂ν is ``log_ratios`` (n, K) (none: (n, P))."""
    weights = simulated.weights(theta)
    gradients = simulated.weight_gradients(theta)
    if log_ratios is not None:
        gradients = np.hstack([gradients, weights[:, np.newaxis] * log_ratios])
    return weights, gradients


def binned_matrix(cells: np.ndarray, n_cells: int, simulated: SimulatedEvents, theta: np.ndarray,
                  luminosity: float, log_ratios: np.ndarray | None = None) -> np.ndarray:
    """Σ_c L ∇σ_c ∇σ_cᵀ / σ_c over the cells (n,) that partition the events: the information
    of counting them (P+K, P+K), in θ and the nuisances of ``log_ratios`` (n, K)."""
    weights, gradients = event_gradients(simulated, theta, log_ratios)
    return fisher.binned_information(np.bincount(cells, weights=weights, minlength=n_cells),
                                     fill_cells(cells, gradients, n_cells), luminosity)


def rate_matrix(simulated: SimulatedEvents, theta: np.ndarray, luminosity: float,
                log_ratios: np.ndarray | None = None) -> np.ndarray:
    """L ∇σ ∇σᵀ / σ: all events in one cell."""
    return binned_matrix(np.zeros(len(simulated), dtype=np.intp), 1, simulated, theta, luminosity, log_ratios)


def truth_matrix(simulated: SimulatedEvents, theta: np.ndarray, luminosity: float,
                 log_ratios: np.ndarray | None = None) -> np.ndarray:
    """L Σ_x ∇w_x ∇w_xᵀ / w_x over the distinct observations x, each weighing what its events
    weigh together: with continuous observables every event is its own x (MadMiner's full
    truth; at parton level the process's whole information), and an event of the background
    where a signal event is dilutes it, as L ∫ (∂s)² / (s + b) dx."""
    return binned_matrix(*simulated.observation_groups, simulated, theta, luminosity, log_ratios)


def _observation_sums(simulated: SimulatedEvents, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights (X,) in pb and their gradients (X, P) at θ, summed over the events of each
    distinct observation."""
    groups, n_groups = simulated.observation_groups
    weights = np.bincount(groups, weights=simulated.weights(theta), minlength=n_groups)
    return weights, fill_cells(groups, simulated.weight_gradients(theta), n_groups)


def score_matrices(member_scores: np.ndarray, simulated: SimulatedEvents, theta: np.ndarray, luminosity: float,
                   log_factors: np.ndarray) -> list:
    """Full information (rate + L σ E[t̂ t̂ᵀ]) of each member's score (M, n, P + K): in θ and,
    where the model learned them (K > 0), the event file's K shape nuisances; the
    normalisation nuisances of ``log_factors`` appended."""
    n_shape = member_scores.shape[-1] - len(theta)
    weights, gradients = event_gradients(simulated, theta, simulated.nuisance_a if n_shape else None)
    sigma, grad_sigma = float(weights.sum()), gradients.sum(axis=0)
    rate = fisher.rate_information(sigma, grad_sigma, luminosity)
    return [fisher.with_norm_nuisances(rate + fisher.kinematic_information(score, weights, luminosity), sigma,
                                       grad_sigma, log_factors, luminosity)
            for score in member_scores]


def information_distribution(
    bin_indices: np.ndarray, n_bins: int, simulated: SimulatedEvents, theta: np.ndarray, luminosity: float,
    scores: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Per bin of an observable: σ (nb,) in pb, the truth-level information of the bin's
    events (nb, P, P; as :func:`truth_matrix`), the rate information of the bin alone, and
    for each score model the kinematic information L Σ_bin w t̂ t̂ᵀ."""
    weights, gradients = simulated.weights(theta), simulated.weight_gradients(theta)
    n_parameters = gradients.shape[1]

    def per_bin(values: np.ndarray) -> np.ndarray:
        sums = fill_cells(bin_indices, values.reshape(len(values), -1), n_bins)
        return sums.reshape((n_bins, *values.shape[1:]))

    group_weights, group_gradients = _observation_sums(simulated, theta)
    groups, n_groups = simulated.observation_groups
    group_bins = np.zeros(n_groups, dtype=bin_indices.dtype)
    group_bins[groups] = bin_indices  # identical observations share a bin
    truth = np.array([fisher.truth_information(group_weights[group_bins == b], group_gradients[group_bins == b],
                                               luminosity) for b in range(n_bins)])

    sigma, grad_sigma = per_bin(weights), per_bin(gradients)
    safe_sigma = np.where(sigma > 0, sigma, np.inf)
    out = {
        "sigma": sigma,
        "truth": truth.reshape(n_bins, n_parameters, n_parameters),
        "rate": luminosity * np.einsum("bi,bj->bij", grad_sigma, grad_sigma) / safe_sigma[:, None, None],
    }
    for name, score in scores.items():
        out[f"kinematic_{name}"] = per_bin(luminosity * weights[:, None, None] * np.einsum("ni,nj->nij", score, score))
    assert out["truth"].shape == (n_bins, n_parameters, n_parameters)
    return out
