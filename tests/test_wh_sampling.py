"""Sampling the built-in W h events at an EFT benchmark: the decay average, the redrawn W
decay and the selection-bias table against independent computations, and generated jobs
whose weights are flat at their own benchmark and whose cross sections agree with an
SM-sampled job's."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from goldmine.generate import wh_sampling
from goldmine.generate.builtin import generate_events, reweight
from goldmine.generate.wh_sampling import WHDecaySampler, decay_averaged_ratio, draw_decay, two_to_two

#: (√ŝ GeV, cos θ_h) points from threshold to the multi-TeV tail, forward and central.
POINTS = [(260.0, 0.3), (600.0, -0.7), (1500.0, 0.95), (4000.0, 0.0)]
THETAS = [np.array([10.0, 0.0]), np.array([0.0, 10.0]), np.array([-15.0, 8.0])]
#: The benchmarks of examples/wh-builtin.yml, (CWL2, CPWL2) in TeV⁻².
EXAMPLE_BENCHMARKS = {"sm": (0, 0), "w_pos": (10, 0), "w_neg": (-10, 0), "pw_pos": (0, 10), "pw_neg": (0, -10),
                      "mixed": (10, 10), "val_1": (5, -3), "val_2": (-15, 8), "val_3": (20, 20)}


def _kinematics(root_s: float, cosine: float) -> tuple[np.ndarray, ...]:
    return two_to_two(root_s**2, wh_sampling._that(root_s**2, cosine), 125.0, 80.4)


def _sphere_rule(n_cos: int = 12, n_phi: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre in cos θ times the trapezoid in φ: exact for polynomials of low
    degree on the sphere, independent of the octahedron. Directions (k, 3), weights (k,)."""
    cosines, weights = np.polynomial.legendre.leggauss(n_cos)
    phis = 2 * np.pi * np.arange(n_phi) / n_phi
    c, p = np.meshgrid(cosines, phis, indexing="ij")
    s = np.sqrt(1 - c**2)
    directions = np.stack([s * np.cos(p), s * np.sin(p), c], axis=-1).reshape(-1, 3)
    return directions, np.repeat(weights, n_phi) / (2 * n_phi)


@pytest.mark.parametrize(("root_s", "cosine"), POINTS)
def test_the_decay_average_is_exact_and_even_in_the_quarks_side(root_s, cosine) -> None:
    quark, antiquark, higgs, w = _kinematics(root_s, cosine)
    directions, weights = _sphere_rule()
    squared = wh_sampling._squared(quark, antiquark, higgs, w, directions[None], np.stack([*THETAS, np.zeros(2)]))
    averages = squared[:, 0] @ weights
    octahedron = [decay_averaged_ratio(quark, antiquark, higgs, w, theta)[0] for theta in THETAS]
    np.testing.assert_allclose(octahedron, averages[:-1] / averages[-1], rtol=1e-10)
    mirrored = [decay_averaged_ratio(antiquark, quark, higgs, w, theta)[0] for theta in THETAS]
    np.testing.assert_allclose(mirrored, octahedron, rtol=1e-10)


@pytest.mark.parametrize(("root_s", "cosine"), POINTS)
def test_the_quadratic_form_is_exact_and_its_bound_holds(root_s, cosine) -> None:
    quark, antiquark, higgs, w = _kinematics(root_s, cosine)
    values = wh_sampling._squared(quark, antiquark, higgs, w, wh_sampling._FORM_POINTS[None], THETAS[2])[0]
    linear, form = wh_sampling._quadratic_form(values)
    directions = np.random.default_rng(1).normal(size=(2000, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    squared = wh_sampling._squared(quark, antiquark, higgs, w, directions[None], THETAS[2])[0, 0]
    predicted = directions @ linear[0] + np.einsum("ki,ij,kj->k", directions, form[0], directions)
    np.testing.assert_allclose(predicted, squared, rtol=1e-8)
    assert np.linalg.norm(linear[0]) + np.linalg.eigvalsh(form[0])[-1] >= squared.max()


@pytest.mark.parametrize(("root_s", "cosine"), POINTS[:3])
def test_redrawn_decays_follow_the_eft_amplitude(root_s, cosine) -> None:
    """Moments of the drawn direction n (W rest frame) against those of |A(θ, n)|² =
    b·n + nᵀQn: E[n] = b/tr Q, E[n nᵀ] = (2Q + tr Q)/(5 tr Q)."""
    quark, antiquark, higgs, w = _kinematics(root_s, cosine)
    theta, n_draws = THETAS[1], 60_000
    values = wh_sampling._squared(quark, antiquark, higgs, w, wh_sampling._FORM_POINTS[None], theta)[0]
    linear, form = (array[0] for array in wh_sampling._quadratic_form(values))
    trace = np.trace(form)
    repeat = lambda momenta: np.repeat(momenta, n_draws, axis=0)
    fermion, antifermion = draw_decay(repeat(quark), repeat(antiquark), repeat(higgs), repeat(w), theta,
                                      np.random.default_rng(7))
    np.testing.assert_allclose(fermion + antifermion, repeat(w), atol=1e-9 * root_s)
    at_rest = wh_sampling._boost(fermion, -repeat(w)[:, 1:] / repeat(w)[:, :1])[:, 1:]
    n = at_rest / np.linalg.norm(at_rest, axis=1, keepdims=True)
    error = 1 / np.sqrt(n_draws)
    np.testing.assert_allclose(n.mean(axis=0), linear / trace, atol=4.5 * error)
    second = np.einsum("ki,kj->ij", n, n) / n_draws
    np.testing.assert_allclose(second, (2 * form + trace * np.eye(3)) / (5 * trace), atol=4.5 * error)
    # the SM decay differs by far more than these errors (the test can fail)
    sm_values = wh_sampling._squared(quark, antiquark, higgs, w, wh_sampling._FORM_POINTS[None], np.zeros(2))[0]
    sm_linear, sm_form = (array[0] for array in wh_sampling._quadratic_form(sm_values))
    assert np.abs(sm_linear / np.trace(sm_form) - linear / trace).max() > 10 * error or \
        np.abs(sm_form / np.trace(sm_form) - form / trace).max() > 10 * error


def test_the_sigma_factor_table_follows_the_exact_average() -> None:
    sampler = WHDecaySampler(THETAS[2], np.random.default_rng(0), max_mass=13_000.0)
    rng = np.random.default_rng(2)
    for _ in range(400):
        root_s, cosine = math.exp(rng.uniform(math.log(206.0), math.log(13_000.0))), rng.uniform(-1, 1)
        that = wh_sampling._that(root_s**2, cosine)
        exact = decay_averaged_ratio(*two_to_two(root_s**2, that, 125.0, 80.4), THETAS[2])[0]
        assert sampler.sigma_factor(root_s**2, that, 125.0, 80.4) == pytest.approx(exact, rel=0.01)


def _job(benchmark: str, n_events: int, seed: int, shat_bias: float = 0.0) -> tuple[np.ndarray, float]:
    """Weights (n, B) at the example's benchmarks of a W⁺h hard-process job sampled there,
    and the relative error of Pythia's σ that normalises them."""
    thetas = np.array(list(EXAMPLE_BENCHMARKS.values()), dtype=float)
    sampling = list(EXAMPLE_BENCHMARKS).index(benchmark)
    hard = generate_events(n_events, beam_energy=6500.0, w_charge="plus", shat_bias=shat_bias, seed=seed,
                           sampling_theta=thetas[sampling])
    return reweight(hard.events, thetas, sampling).weights, hard.cross_section_error / hard.cross_section


def _effective_fraction(weights: np.ndarray) -> np.ndarray:
    return weights.sum(axis=0) ** 2 / (weights**2).sum(axis=0) / len(weights)


@pytest.mark.parametrize("benchmark", list(EXAMPLE_BENCHMARKS))
def test_a_job_sampled_at_a_benchmark_has_flat_weights_there(benchmark) -> None:
    weights, _ = _job(benchmark, 800, seed=40 + list(EXAMPLE_BENCHMARKS).index(benchmark))
    own = list(EXAMPLE_BENCHMARKS).index(benchmark)
    assert _effective_fraction(weights)[own] >= 0.8
    if benchmark != "sm":  # not the SM's events reweighted: those are far from flat there
        assert _effective_fraction(_job("sm", 800, seed=39)[0])[own] < 0.7


def test_cross_sections_of_an_eft_sampled_job_agree_with_an_sm_sampled_one() -> None:
    """σ(θ) at every benchmark from a job sampled at val_2 and from an SM job whose ŝ bias
    fills the tails (without it, 1/N_eff of the SM sample is too small to compare)."""
    (eft, eft_norm), (sm, sm_norm) = _job("val_2", 6000, seed=21), _job("sm", 30_000, seed=22, shat_bias=1.0)
    mean = lambda w: w.mean(axis=0)
    error = lambda w, norm: np.hypot(w.std(axis=0) / np.sqrt(len(w)), norm * mean(w))
    pulls = (mean(eft) - mean(sm)) / np.hypot(error(eft, eft_norm), error(sm, sm_norm))
    assert np.abs(pulls).max() < 4.0, dict(zip(EXAMPLE_BENCHMARKS, pulls.round(2), strict=True))
    assert mean(eft)[list(EXAMPLE_BENCHMARKS).index("val_3")] > 4 * mean(eft)[0]  # far from the SM: a real check


@pytest.mark.fixtures
@pytest.mark.parametrize("benchmark", ["sm", "w_pos", "val_1", "val_2", "val_3"])
def test_a_job_sampled_at_a_benchmark_gives_madgraphs_cross_sections(benchmark, wh_fixtures) -> None:
    """σ(W⁺h) at every benchmark MadGraph generated directly (cross_sections.json), from a
    built-in job sampled at ``benchmark`` with MadGraph's electroweak inputs."""
    direct = json.loads((wh_fixtures / "cross_sections.json").read_text())
    weights, norm = _job(benchmark, 4000, seed=70 + list(EXAMPLE_BENCHMARKS).index(benchmark))
    for name, madgraph in direct.items():
        column = weights[:, list(EXAMPLE_BENCHMARKS).index(name)]
        assert tuple(madgraph["theta"]) == EXAMPLE_BENCHMARKS[name]
        error = np.hypot(np.hypot(column.std() / np.sqrt(len(column)), norm * column.mean()), madgraph["xsec_err_pb"])
        assert abs(column.mean() - madgraph["xsec_pb"]) < 3.5 * error, (name, column.mean(), error)
