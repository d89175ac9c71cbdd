"""The balance heuristic (goldmine.events.mixture): unbiased like madminer's shares, with far
less variance where one sample populates a region that another reaches only rarely."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from goldmine.events.mixture import balance_factors
from goldmine.events.partitions import Partition
from goldmine.events.pool import EventPool
from goldmine.io.samples import SampleWriter, write_sample_summary
from goldmine.physics.morphing import Morpher, component_values, find_components

#: dσ(x|θ_b)/dx = exp(−x/λ_b) on x > 0, so σ_b = λ_b: a "SM" and a harder "EFT" benchmark.
SCALES = np.array([1.0, 3.0])
TAIL = 5.0


def _exponential_samples(rng: np.random.Generator, counts: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (n,), stored weights (n, 2) as madminer stores them (each sample sums to σ in every
    column on its own: dσ_b(x) / (n_s q_s(x))) and sampling ids (n,)."""
    x = np.concatenate([rng.exponential(SCALES[s], n) for s, n in enumerate(counts)])
    ids = np.repeat([0, 1], counts)
    density = np.exp(-x[:, None] / SCALES)  # dσ_b(x), (n, 2)
    sampling = density[np.arange(len(x)), ids] / SCALES[ids] * np.asarray(counts)[ids]  # n_s q_s(x)
    return x, density / sampling[:, None], ids


def _estimates(seed: int, counts: tuple[int, int] = (3000, 1000)) -> tuple[float, float]:
    """∫_{x > TAIL} dσ(θ_SM) from shares and from the balance heuristic, on one draw."""
    x, weights, ids = _exponential_samples(np.random.default_rng(seed), counts)
    shares = np.asarray(counts, dtype=float) / sum(counts)
    tail = x > TAIL
    by_shares = np.sum((shares[ids] * weights[:, 0])[tail])
    by_balance = np.sum((balance_factors(weights, ids, shares, SCALES) * weights[:, 0])[tail])
    return by_shares, by_balance


def test_the_balance_heuristic_is_unbiased_and_far_less_noisy_in_the_tail() -> None:
    truth = np.exp(-TAIL)  # ∫_TAIL^∞ exp(−x) dx at the SM
    estimates = np.array([_estimates(seed) for seed in range(300)])  # (300, 2): shares, balance
    mean, error = estimates.mean(axis=0), estimates.std(axis=0) / np.sqrt(len(estimates))
    assert np.all(np.abs(mean - truth) < 4 * error), (mean, error, truth)
    spread = estimates.std(axis=0)
    # the EFT sample's many tail events now count: the spread falls to 0.47 of the shares' one
    assert spread[1] < 0.6 * spread[0], spread


def test_one_sample_and_background_keep_their_weights() -> None:
    x, weights, ids = _exponential_samples(np.random.default_rng(1), (500, 0))
    ids = np.where(np.arange(len(ids)) % 5 == 0, -1, ids)  # every fifth event background
    factors = balance_factors(weights, ids, np.array([1.0, 0.0]), SCALES)
    np.testing.assert_allclose(factors, 1.0, rtol=1e-12)


def test_events_whose_densities_cannot_be_formed_keep_their_share() -> None:
    weights = np.array([[1.0, 2.0], [1.0, 0.0], [0.5, -1.0]])
    factors = balance_factors(weights, np.array([0, 0, 1]), np.array([0.5, 0.5]), SCALES)
    assert factors[0] == pytest.approx(0.5 * 1.0 / (0.5 * 1.0 + 0.5 * 2.0 / 3.0))
    np.testing.assert_array_equal(factors[1:], [0.5, 0.5])


# dσ(z|θ) = (1 + θ z)² on z ∈ [−1, 1]: σ(θ) = 2 + 2θ²/3, morphing with three benchmarks.
COMPONENTS = find_components([2], 2)
BASIS = np.array([[0.0], [1.0], [-1.0]])


def _quadratic_file(path, counts: tuple[int, int], seed: int, n_background: int = 0) -> None:
    """Events sampled at θ = 0 (uniform z) and θ = 1 (z from (1 + z)²), stored as madminer
    stores them, and ``n_background`` background events of weight 1e-4 pb."""
    rng = np.random.default_rng(seed)
    z = np.concatenate([rng.uniform(-1, 1, counts[0]), 2 * rng.uniform(size=counts[1]) ** (1 / 3) - 1])
    ids = np.repeat([0, 1], counts)
    dsigma = (1.0 + np.outer(z, BASIS[:, 0])) ** 2  # (n, 3)
    sigma = 2 + 2 * BASIS[:, 0] ** 2 / 3
    weights = dsigma / (dsigma[np.arange(len(z)), ids] / sigma[ids] * np.asarray(counts)[ids])[:, None]
    with h5py.File(path, "w") as file:
        writer = SampleWriter(file, 1, 3)
        writer.append(z[:, None], weights, ids)
        if n_background:
            writer.append(rng.uniform(-1, 1, (n_background, 1)), np.full((n_background, 3), 1e-4),
                          np.full(n_background, -1))
        write_sample_summary(file, np.array([counts[0], counts[1], 0]), n_background)


@pytest.mark.parametrize("theta", [0.0, 0.5, -1.0])
def test_a_pool_weighted_by_the_balance_heuristic_estimates_every_cross_section(tmp_path, theta) -> None:
    """(With shares, the events sampled at θ = 1 near z = −1 give the estimate an infinite
    variance at every other θ: only the balance heuristic's is checked against σ(θ).)"""
    path = tmp_path / "events.h5"
    _quadratic_file(path, (30_000, 10_000), seed=2, n_background=100)
    morpher = Morpher.from_basis(COMPONENTS, BASIS)
    values = component_values(np.array([[theta]]), morpher.components)[0]
    truth = 2 + 2 * theta**2 / 3 + 100 * 1e-4
    pool = EventPool(path, Partition("train", 0, 40_100, 1.0), morpher, 3, chunk_size=7_000, mixture="balance")
    chunks = list(pool.chunks(observations=False))
    weights = np.concatenate([chunk.component_weights @ values for chunk in chunks])
    error = np.sqrt(np.sum((weights - weights.mean()) ** 2))
    assert weights.sum() == pytest.approx(truth, abs=4 * error)
    assert error < 0.01 * truth
    np.testing.assert_array_equal(np.concatenate([chunk.mixture_factors for chunk in chunks])[-100:], 1.0)
