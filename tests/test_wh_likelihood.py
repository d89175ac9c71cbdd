"""The exact parton-level likelihood of W h events against a brute-force sum over every
incoming parton pair, finite differences, and the generator's own latent variables."""

from __future__ import annotations

import numpy as np
import pytest

from goldmine.generate.builtin import generate_events, reweight
from goldmine.generate.wh_events import WHMomenta, cross_section_components, wh_momenta_from_particles
from goldmine.generate.wh_likelihood import (
    GeneratorPDF,
    beam_asymmetry,
    true_log_likelihood,
    true_log_likelihood_ratio,
    true_score,
)
from goldmine.physics.wh_amplitude import wh_amplitudes

BEAM_ENERGY = 6500.0
THETAS = np.array([[0.0, 0.0], [10.0, 0.0], [-10.0, 0.0], [0.0, 10.0], [0.0, -10.0], [10.0, 10.0]])
_PARTONS = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 21)
_CHARGE = {1: -1 / 3, 2: 2 / 3, 3: -1 / 3, 4: 2 / 3, 5: -1 / 3}
_GENERATION = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3}


@pytest.fixture(scope="module")
def pdf() -> GeneratorPDF:
    return GeneratorPDF()


@pytest.fixture(scope="module")
def sample() -> tuple[WHMomenta, np.ndarray, np.ndarray, np.ndarray]:
    """A parton-level job sampled at w_pos: its momenta, W charges (+1/−1), weights at THETAS
    (n, 6) and the side its quark came from (+1: +z)."""
    hard = generate_events(6000, beam_energy=BEAM_ENERGY, w_charge="both", shat_bias=0.0, seed=11,
                           sampling_theta=THETAS[1])
    events = reweight(hard.events, THETAS, 1)
    keep = events.nominal != 0  # MadGraph's diagonal CKM: off-diagonal flavours weigh nothing
    pid, momenta = events.pid[keep], events.momenta[keep][..., [3, 0, 1, 2]]
    wh = wh_momenta_from_particles(pid, events.status[keep], momenta)
    quark_side = np.sign(wh.quark[:, 3])
    charged = np.isin(np.abs(pid), (11, 13))
    w_charge = -np.sign(pid[charged])  # ℓ⁺ (pid −11, −13) from a W⁺
    return wh, w_charge, events.weights[keep], quark_side


def _brute_force_likelihood(wh: WHMomenta, w_charge: np.ndarray, theta: np.ndarray, pdf: GeneratorPDF) -> np.ndarray:
    """Σ over every (beam-A parton, beam-B parton) of x f x f |A|², zero unless the pair is
    a quark and an antiquark of one generation whose charges make the observed W; up to
    factors common to all θ and pairs (flux, phase space, couplings)."""
    total = wh.fermion + wh.antifermion + wh.higgs
    x1, x2 = (total[:, 0] + total[:, 3]) / (2 * BEAM_ENERGY), (total[:, 0] - total[:, 3]) / (2 * BEAM_ENERGY)
    shat = x1 * x2 * (2 * BEAM_ENERGY) ** 2
    beam = lambda x, sign: np.column_stack([x * BEAM_ENERGY, 0 * x, 0 * x, sign * x * BEAM_ENERGY])
    likelihood = np.zeros(len(x1))
    for a in _PARTONS:
        for b in _PARTONS:
            if 21 in (a, b) or np.sign(a) == np.sign(b) or _GENERATION[abs(a)] != _GENERATION[abs(b)]:
                continue
            charge = np.sign(a) * _CHARGE[abs(a)] + np.sign(b) * _CHARGE[abs(b)]
            if abs(abs(charge) - 1) > 1e-9:
                continue
            makes = np.isclose(charge, w_charge)
            momenta_a, momenta_b = beam(x1, 1), beam(x2, -1)
            quark, antiquark = (momenta_a, momenta_b) if a > 0 else (momenta_b, momenta_a)
            amplitude = wh_amplitudes(quark, antiquark, wh.fermion, wh.antifermion, wh.higgs)
            luminosity = pdf.xf(a, x1, shat) * pdf.xf(b, x2, shat)
            likelihood += np.where(makes, luminosity * amplitude.squared(theta), 0.0)
    return likelihood


def _take(wh: WHMomenta, rows: slice) -> WHMomenta:
    return WHMomenta(wh.quark[rows], wh.antiquark[rows], wh.fermion[rows], wh.antifermion[rows], wh.higgs[rows])


def test_the_true_likelihood_ratio_equals_a_brute_force_sum_over_parton_pairs(sample, pdf) -> None:
    wh, w_charge, weights, _ = sample
    few, charges = _take(wh, slice(0, 40)), w_charge[:40]
    assert {1, -1} <= set(charges.tolist())
    xsec = cross_section_components(wh_amplitudes(wh.quark, wh.antiquark, wh.fermion, wh.antifermion, wh.higgs),
                                    weights[:, 1], THETAS[1])
    rho = beam_asymmetry(few, charges > 0, pdf, BEAM_ENERGY)
    theta0, theta1 = np.array([5.0, -3.0]), np.array([0.0, 0.0])
    sigma = lambda theta: xsec @ np.array([1, theta[0], theta[0] ** 2, theta[1], theta[0] * theta[1], theta[1] ** 2])
    brute = (np.log(_brute_force_likelihood(few, charges, theta0, pdf) / sigma(theta0))
             - np.log(_brute_force_likelihood(few, charges, theta1, pdf) / sigma(theta1)))
    np.testing.assert_allclose(true_log_likelihood_ratio(few, theta0, theta1, rho, xsec), brute, rtol=1e-10, atol=1e-12)
    # the latent assignment matters: the joint log r (the generator's quark side) differs
    joint = np.log(wh_amplitudes(few.quark, few.antiquark, few.fermion, few.antifermion, few.higgs).ratio(theta0, theta1))
    joint -= np.log(sigma(theta0) / sigma(theta1))
    assert np.abs(joint - brute).max() > 1e-3


def test_the_true_score_is_the_gradient_of_the_true_log_likelihood(sample, pdf) -> None:
    wh, w_charge, weights, _ = sample
    few, charges = _take(wh, slice(0, 200)), w_charge[:200]
    xsec = cross_section_components(wh_amplitudes(wh.quark, wh.antiquark, wh.fermion, wh.antifermion, wh.higgs),
                                    weights[:, 1], THETAS[1])
    rho = beam_asymmetry(few, charges > 0, pdf, BEAM_ENERGY)
    theta, step = np.array([2.0, -1.5]), 1e-5
    score = true_score(few, theta, rho, xsec)
    for component in range(2):
        shift = np.eye(2)[component] * step
        difference = (true_log_likelihood(few, theta + shift, rho, xsec)
                      - true_log_likelihood(few, theta - shift, rho, xsec)) / (2 * step)
        np.testing.assert_allclose(score[:, component], difference, rtol=1e-5, atol=1e-8)


def test_the_quark_side_posterior_matches_the_generators_latent_variable(sample, pdf) -> None:
    """P(quark along +z | x, θ_s) = |A₊|²/(|A₊|² + ρ|A₋|²) against how often the generator's
    quark came along +z (events weighted), in bins of that probability: this checks the PDFs,
    the amplitude's quark assignment and the sampling at θ_s together."""
    wh, w_charge, weights, quark_side = sample
    rho = beam_asymmetry(wh, w_charge > 0, pdf, BEAM_ENERGY)
    total = wh.fermion + wh.antifermion + wh.higgs
    plus = np.column_stack([(total[:, 0] + total[:, 3]) / 2, 0 * total[:, 0], 0 * total[:, 0],
                            (total[:, 0] + total[:, 3]) / 2])
    minus = np.column_stack([(total[:, 0] - total[:, 3]) / 2, 0 * total[:, 0], 0 * total[:, 0],
                             -(total[:, 0] - total[:, 3]) / 2])
    forward = wh_amplitudes(plus, minus, wh.fermion, wh.antifermion, wh.higgs).squared(THETAS[1])
    backward = wh_amplitudes(minus, plus, wh.fermion, wh.antifermion, wh.higgs).squared(THETAS[1])
    posterior = forward / (forward + rho * backward)
    rapidity = 0.5 * np.log((total[:, 0] + total[:, 3]) / (total[:, 0] - total[:, 3]))
    edges = np.quantile(posterior, np.linspace(0, 1, 5))
    bins = np.clip(np.digitize(posterior, edges[1:-1]), 0, 3)
    w = weights[:, 1]
    pulls = []
    for side in (rapidity > 0.4, rapidity < -0.4):  # where the valence quark's direction shows
        for b in range(4):
            rows = side & (bins == b)
            observed = np.average(quark_side[rows] > 0, weights=w[rows])
            expected = np.average(posterior[rows], weights=w[rows])
            error = np.sqrt(expected * (1 - expected) / rows.sum())
            pulls.append((observed - expected) / error)
    assert np.abs(pulls).max() < 4, np.round(pulls, 2)
    assert edges[-2] - edges[1] > 0.2  # the posterior spreads: the check has power
