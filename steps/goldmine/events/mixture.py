"""How the events of several sampling benchmarks are weighted together.

An event file holds samples drawn at several benchmarks θ_b, n_b events each, and every
event's weights w(θ) at all benchmarks (goldmine.io.samples). Any per-event factors
α_b(x, z) ≥ 0 that sum to one over the samples at each phase-space point make
Σ_b Σ_{e sampled at b} α_b(e) w_e(θ) an unbiased estimate of every weighted sum over σ(θ)
(multiple importance sampling: Veach and Guibas, SIGGRAPH 1995). Two choices:

- ``shares`` (madminer's): α_b = n_b / N, a constant per sample. An event sampled at the
  SM in a tail that the EFT samples populate keeps its full weight there, so a few such
  events dominate every weighted sum in the tail.
- ``balance`` (the balance heuristic): α_b(e) = n_b q_b(e) / Σ_b' n_b' q_b'(e), with
  q_b = dσ(θ_b)/σ(θ_b) the density the sample at b was drawn from. Each event then weighs
  as if it had been drawn from the mixture of all samples: in a tail every sample's events
  get comparable weights. It needs nothing new: dσ_e(θ_b) ∝ w_e(θ_b), the event's own
  weight at every sampling benchmark, with one factor common to all its columns.

Background events weigh 1 either way. The joint likelihood ratios and scores (ratios of
one event's weights) do not depend on the choice; only which events carry the weight does.
"""

from __future__ import annotations

import numpy as np

from goldmine.io.samples import mixture_factors

__all__ = ["MIXTURES", "balance_factors"]

#: The mixture weightings a config can choose (``augmentation.mixture_weights``).
MIXTURES = ("shares", "balance")


def balance_factors(
    weights: np.ndarray, sampling_benchmarks: np.ndarray, shares: np.ndarray, sigma: np.ndarray
) -> np.ndarray:
    """The balance heuristic's α (n,) of each event's own sample.

    weights (n, ≥B): stored weights in pb, the first B columns at the benchmarks;
    sampling_benchmarks (n,): each event's sampling benchmark, −1 for background (α = 1);
    shares (B,): n_b / N_signal; sigma (B,): σ(θ_b) in pb where shares > 0 (the
    normalisations of the densities q_b; any positive values keep the estimate unbiased,
    good ones keep its variance low). An event whose densities cannot be formed (a weight at a
    sampling benchmark ≤ 0) keeps its share."""
    ids = np.asarray(sampling_benchmarks)
    sampled = np.flatnonzero(shares > 0)
    densities = weights[:, sampled] / sigma[sampled]  # (n, S) q_b up to one factor per event
    mixture = densities @ shares[sampled]
    own_column = np.minimum(np.searchsorted(sampled, np.maximum(ids, 0)), len(sampled) - 1)
    factors = mixture_factors(ids, shares)  # the own sample's share n_b / N; 1 for background
    own = densities[np.arange(len(ids)), own_column] * factors
    usable = (ids >= 0) & np.all(densities > 0, axis=1)
    factors[usable] = own[usable] / mixture[usable]
    return factors
