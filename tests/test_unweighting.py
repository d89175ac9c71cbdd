"""Unweighting on a pool small enough to check every event's frequency."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from scipy import stats

from goldmine.augment import unweighting
from goldmine.augment.unweighting import UnweightingRequest, _locate, draw_events
from goldmine.events.partitions import Partition
from goldmine.events.pool import EventPool
from goldmine.io.samples import SampleWriter, write_sample_summary
from goldmine.physics.morphing import Morpher, find_components

COMPONENTS = find_components([2], 2)
BASIS = np.array([[0.0], [1.0], [-1.0]])


@pytest.fixture()
def pool(tmp_path) -> EventPool:
    """Seven events with dσ(z_i|θ) = (1 + θ z_i)² and sampling ids 0, 1, 0, 1, ...: stored,
    as MadMiner stores them, divided by the share of their sampling benchmark (4/7, 3/7),
    with no sample_summary (the shares are then counted)."""
    z = np.array([-0.9, -0.5, -0.1, 0.0, 0.3, 0.7, 0.95])
    weights = (1.0 + np.outer(z, BASIS[:, 0])) ** 2
    ids = np.arange(7) % 2
    path = tmp_path / "pool.h5"
    with h5py.File(path, "w") as file:
        SampleWriter(file, 1, 3).append(z[:, None], weights / np.array([4 / 7, 3 / 7])[ids, None], ids)
    morpher = Morpher.from_basis(COMPONENTS, BASIS)
    return EventPool(path, Partition("train", 0, 7, 1.0), morpher, 3, chunk_size=3)


def _frequencies_of(pool: EventPool, request: UnweightingRequest, z: np.ndarray,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    chunks, n_effective = draw_events(pool, request, np.random.default_rng(seed))
    event = np.empty(len(request.draw_theta), dtype=int)
    for drawn in chunks:
        event[drawn.rows] = drawn.event_index
        np.testing.assert_array_equal(drawn.observations[:, 0], z[drawn.event_index])
    return event, n_effective


def _frequencies(pool: EventPool, request: UnweightingRequest, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return _frequencies_of(pool, request, np.array([-0.9, -0.5, -0.1, 0.0, 0.3, 0.7, 0.95]), seed)


@pytest.mark.parametrize("block_elements", [2_000_000, 4])
def test_each_event_is_drawn_in_proportion_to_its_weight(pool, monkeypatch, block_elements) -> None:
    monkeypatch.setattr(unweighting, "BLOCK_ELEMENTS", block_elements)
    thetas = np.array([[0.8], [-0.4], [0.0]])
    draw_theta = np.repeat([0, 1, 2], 30_000)
    request = UnweightingRequest(thetas, draw_theta, np.full(3, -1), np.full(3, np.inf))
    event, n_effective = _frequencies(pool, request)
    z = np.array([-0.9, -0.5, -0.1, 0.0, 0.3, 0.7, 0.95])
    for k, theta in enumerate(thetas[:, 0]):
        expected = (1.0 + theta * z) ** 2
        observed = np.bincount(event[draw_theta == k], minlength=7)
        assert stats.chisquare(observed, expected / expected.sum() * observed.sum()).pvalue > 1e-3
        assert n_effective[k] == pytest.approx(expected.sum() ** 2 / (expected**2).sum())


def test_eligibility_and_cap(pool) -> None:
    thetas = np.array([[0.8], [0.8]])
    draw_theta = np.repeat([0, 1], 20_000)
    cap = np.array([np.inf, 1.0])  # θ 1: no event weighs more than 1
    request = UnweightingRequest(thetas, draw_theta, np.array([1, -1]), cap)
    event, _ = _frequencies(pool, request)
    assert set(np.unique(event[draw_theta == 0])) <= {1, 3, 5}, "θ 0 may only draw events sampled at benchmark 1"
    z = np.array([-0.9, -0.5, -0.1, 0.0, 0.3, 0.7, 0.95])
    expected = np.minimum((1.0 + 0.8 * z) ** 2, 1.0)
    observed = np.bincount(event[draw_theta == 1], minlength=7)
    assert stats.chisquare(observed, expected / expected.sum() * observed.sum()).pvalue > 1e-3


def test_restricted_draws_use_the_stored_weights_beside_the_background(tmp_path) -> None:
    """Restricted to sampling benchmark 1, the events sampled there (stored summing to σ on
    their own) compete with the background events (weight 1 each) at their stored weights."""
    z = np.array([-0.5, 0.5, 0.2, -0.2])
    ids = np.array([0, 1, 1, -1])
    stored = np.array([[2.0] * 3, [3.0] * 3, [1.0] * 3, [1.0] * 3])
    path = tmp_path / "mixed.h5"
    with h5py.File(path, "w") as file:
        SampleWriter(file, 1, 3).append(z[:, None], stored, ids)
        write_sample_summary(file, [1, 2, 0], 1)
    pool = EventPool(path, Partition("train", 0, 4, 1.0), Morpher.from_basis(COMPONENTS, BASIS), 3)
    np.testing.assert_allclose(np.concatenate([c.mixture_factors for c in pool.chunks()]), [1 / 3, 2 / 3, 2 / 3, 1])
    request = UnweightingRequest(np.array([[0.0], [0.0]]), np.repeat([0, 1], 20_000), np.array([1, -1]),
                                 np.full(2, np.inf))
    event, _ = _frequencies_of(pool, request, z)
    restricted = np.bincount(event[:20_000], minlength=4)
    assert restricted[0] == 0
    assert stats.chisquare(restricted[1:], np.array([3.0, 1.0, 1.0]) / 5 * 20_000).pvalue > 1e-3
    mixture = np.bincount(event[20_000:], minlength=4)  # σ read as 2/3 + 2 + 2/3 + 1
    assert stats.chisquare(mixture, np.array([2 / 3, 2, 2 / 3, 1]) / (13 / 3) * 20_000).pvalue > 1e-3


def test_locate_picks_the_first_row_past_the_fraction() -> None:
    cumulative = np.array([[0.0, 0.5], [0.25, 0.5], [1.0, 1.0]])
    rows = _locate(cumulative, np.array([0, 0, 0, 1, 1]), np.array([0.0, 0.25, 0.99, 0.2, 0.5]))
    # column 0 has weights (0, .25, .75): a zero-weight row is never picked
    np.testing.assert_array_equal(rows, [1, 2, 2, 0, 2])
