"""Weighted rows: every event of a partition once per θ, carrying its weight.

The alternative to unweighting (goldmine.augment.unweighting) for a loss that is an
expectation over p(x, z|θ), such as SALLY's: Σ_i w_i(θ) ℓ_i / Σ_i w_i(θ) estimates it from
every event once, where rows drawn by weight repeat some events (Poisson multiplicities)
and leave others out, adding variance for the same events. A network trained on drawn
rows fits that extra noise too.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from goldmine.augment.unweighting import DrawnEvents, effective_events
from goldmine.events.pool import EventPool
from goldmine.physics.morphing import component_values

__all__ = ["weighted_events"]


def _weights(component_weights: np.ndarray, f: np.ndarray, max_weight: np.ndarray) -> np.ndarray:
    """dσ(z_i|θ_k) (n, K) in pb, negative weights (morphing noise) set to zero, capped."""
    return np.clip(component_weights @ f.T, 0.0, max_weight[np.newaxis, :])


def weighted_events(
    pool: EventPool, thetas: np.ndarray, max_weight: np.ndarray
) -> tuple[Iterator[DrawnEvents], np.ndarray]:
    """Row k·N + i is the pool's event i of its N at ``thetas[k]`` (K, P), with weight
    dσ(z_i|θ_k) N / Σ_j dσ(z_j|θ_k): mean 1 over the pool at each θ (a pool of the signal
    alone holds no background event: EventChunk.held). ``max_weight`` (K,) in pb caps the
    weights. Returns the rows chunk by chunk, and the effective number of events
    n_eff = (Σw)²/Σw² at each θ (K,)."""
    f = component_values(thetas, pool.morpher.components)  # (K, C)
    sums, squared_sums = np.zeros(len(f)), np.zeros(len(f))
    n_events = 0
    for chunk in pool.chunks(observations=False):
        weights = _weights(chunk.component_weights, f, max_weight)
        sums += weights.sum(axis=0)
        squared_sums += np.einsum("ij,ij->j", weights, weights)
        n_events += int(np.count_nonzero(chunk.held))
    n_effective = effective_events(sums, squared_sums, thetas, pool.partition.name)

    def rows() -> Iterator[DrawnEvents]:
        first = 0  # the pool's index of the chunk's first event
        for chunk in pool.chunks():
            kept = np.flatnonzero(chunk.held)
            weights = _weights(chunk.component_weights[kept], f, max_weight) * (n_events / sums)
            in_pool = first + np.arange(len(kept))
            for k in range(len(f)):
                yield DrawnEvents(k * n_events + in_pool, chunk.start + kept, chunk.observations[kept],
                                  chunk.component_weights[kept], chunk.nuisance_a[kept], weights[:, k])
            first += len(kept)

    return rows(), n_effective
