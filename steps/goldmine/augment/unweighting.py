"""Unweighting: draw events with probability ∝ dσ(z_i|θ) for many θ, streaming.

Pass 1 sums each chunk's weights per θ; every output row then picks its chunk by
inverse CDF over those sums. Pass 2 revisits each chunk once and picks, for all rows
that landed in it, the event by inverse CDF within the chunk. Both steps are one
``searchsorted`` over the cumulative weights of all θ columns laid end to end, each
normalised to [0, 1] and shifted by its column index. Memory: a chunk of events
times a block of θ at a time, plus a few numbers per output row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from goldmine.errors import GoldmineError
from goldmine.events.pool import EventChunk, EventPool
from goldmine.physics.morphing import component_values

__all__ = ["DrawnEvents", "UnweightingRequest", "draw_events", "effective_events"]

log = logging.getLogger(__name__)

#: Largest (events × θ) block of weights held at once (16 MB of float64).
BLOCK_ELEMENTS = 2_000_000


@dataclass(frozen=True, eq=False)
class UnweightingRequest:
    """Draw row r at ``thetas[draw_theta[r]]``; ``thetas`` (K, P), ``draw_theta`` (n,).

    ``eligible`` (K,): only events sampled at that benchmark index (and background)
    may be drawn at that θ, -1 for all events. ``max_weight`` (K,) in pb caps event
    weights (inf for none).
    """

    thetas: np.ndarray
    draw_theta: np.ndarray
    eligible: np.ndarray
    max_weight: np.ndarray


@dataclass(frozen=True, eq=False)
class DrawnEvents:
    """Output rows ``rows`` (m,) and the events drawn for them: file index (m,),
    observations (m, O), component weights (m, C), the nuisance morphing's a (m, K);
    for weighted rows (goldmine.augment.weighted) each row's weight (m,), else None."""

    rows: np.ndarray
    event_index: np.ndarray
    observations: np.ndarray
    component_weights: np.ndarray
    nuisance_a: np.ndarray
    weight: np.ndarray | None = None


def _blocks(n_thetas: int, n_events: int) -> list[slice]:
    size = max(1, BLOCK_ELEMENTS // max(n_events, 1))
    return [slice(start, min(start + size, n_thetas)) for start in range(0, n_thetas, size)]


def _sampling_weights(
    chunk: EventChunk, f: np.ndarray, eligible: np.ndarray, max_weight: np.ndarray
) -> tuple[np.ndarray, int]:
    """Weights (L, k) used for drawing at k θ (components f (k, C)): negative weights
    set to zero, the cap applied, and where a θ is restricted to one sampling benchmark,
    the other events removed and the mixture factors taken off (the events of one
    benchmark sum to σ on their own, as the background does). Also the negative count."""
    weights = chunk.component_weights @ f.T
    negative = int(np.count_nonzero(weights < 0))
    np.maximum(weights, 0.0, out=weights)
    np.minimum(weights, max_weight[np.newaxis, :], out=weights)
    restricted = eligible >= 0
    if restricted.any():
        ids = chunk.sampling_benchmarks[:, np.newaxis]
        allowed = (ids == eligible[np.newaxis, :]) | (ids < 0)
        scale = np.where(allowed, 1.0 / chunk.mixture_factors[:, np.newaxis], 0.0)
        weights *= np.where(restricted[np.newaxis, :], scale, 1.0)
    return weights, negative


def effective_events(sums: np.ndarray, squared_sums: np.ndarray, thetas: np.ndarray, partition: str) -> np.ndarray:
    """n_eff = (Σw)²/Σw² (K,) from the sums of the weights used at each of K θ (K, P);
    refused, naming the θ, where no event of the partition has a positive weight."""
    empty = np.flatnonzero(~(sums > 0))
    if empty.size:
        msg = f"no event has a positive weight at theta = {thetas[empty[0]].tolist()} in the {partition} partition"
        raise GoldmineError(msg)
    return sums**2 / squared_sums


def _locate(normalized_cumulative: np.ndarray, column: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """For each (column, fraction) the first row whose normalised cumulative weight in
    that column exceeds the fraction; ``normalized_cumulative`` (L, K) ends at 1 per column."""
    n_rows, n_columns = normalized_cumulative.shape
    flat = (normalized_cumulative + np.arange(n_columns)).T.ravel()
    index = np.searchsorted(flat, column + fraction, side="right") - column * n_rows
    return np.clip(index, 0, n_rows - 1)


def draw_events(
    pool: EventPool, request: UnweightingRequest, rng: np.random.Generator
) -> tuple[Iterator[DrawnEvents], np.ndarray]:
    """Draw one event per row. Returns the drawn events chunk by chunk, and the
    effective number of events n_eff = (Σw)²/Σw² at each θ (K,), over the weights used."""
    components = pool.morpher.components
    f = component_values(request.thetas, components)  # (K, C)
    n_thetas = len(f)

    chunk_sums, squared_sums, negative = [], np.zeros(n_thetas), 0
    for chunk in pool.chunks(observations=False):
        sums = np.empty(n_thetas)
        for block in _blocks(n_thetas, len(chunk.component_weights)):
            weights, n_negative = _sampling_weights(chunk, f[block], request.eligible[block], request.max_weight[block])
            sums[block] = weights.sum(axis=0)
            squared_sums[block] += np.einsum("ij,ij->j", weights, weights)
            negative += n_negative
        chunk_sums.append(sums)
    sums_per_chunk = np.array(chunk_sums).reshape(-1, n_thetas)  # (n_chunks, K)
    if negative:
        log.warning(
            "%d event weights are negative at the requested theta (morphing noise or theta far outside the "
            "basis); they are drawn with probability zero",
            negative,
        )
    totals = sums_per_chunk.sum(axis=0)
    n_effective = effective_events(totals, squared_sums, request.thetas, pool.partition.name)

    cumulative = np.cumsum(sums_per_chunk, axis=0)
    column = request.draw_theta
    u = rng.random(len(column))
    chunk_of_row = _locate(cumulative / cumulative[-1], column, u)
    before = np.where(chunk_of_row > 0, cumulative[np.maximum(chunk_of_row - 1, 0), column], 0.0)
    fraction = np.clip((u * totals[column] - before) / sums_per_chunk[chunk_of_row, column], 0.0, 1.0)

    def second_pass() -> Iterator[DrawnEvents]:
        order = np.argsort(chunk_of_row, kind="stable")
        bounds = np.searchsorted(chunk_of_row[order], np.arange(len(sums_per_chunk) + 1))
        for index, chunk in enumerate(pool.chunks()):
            rows = order[bounds[index] : bounds[index + 1]]
            if rows.size == 0:
                continue
            thetas_here, inverse = np.unique(column[rows], return_inverse=True)
            local = np.empty(rows.size, dtype=np.int64)
            for block in _blocks(len(thetas_here), len(chunk.component_weights)):
                chosen = thetas_here[block]
                weights, _ = _sampling_weights(chunk, f[chosen], request.eligible[chosen], request.max_weight[chosen])
                cumulative_here = np.cumsum(weights, axis=0)
                cumulative_here /= cumulative_here[-1]
                in_block = (inverse >= block.start) & (inverse < block.stop)
                local[in_block] = _locate(cumulative_here, inverse[in_block] - block.start, fraction[rows[in_block]])
            yield DrawnEvents(
                rows, chunk.start + local, chunk.observations[local], chunk.component_weights[local],
                chunk.nuisance_a[local],
            )

    return second_pass(), n_effective
