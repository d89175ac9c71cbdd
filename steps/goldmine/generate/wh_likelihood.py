"""The exact likelihood p(x | θ) of a parton-level q q̄′ → W h → ℓ ν h event, for validation.

At parton level (no shower; x = the four-momenta of ℓ, ν and h) the only latent variables
of the built-in generator's events are the incoming flavours and which beam brought the
quark. With massless partons the final state fixes x₁,₂ = (E ± p_z)/√s, so the two
assignments differ only in the quark's direction, and summing over the latent variables

    p(x | θ) ∝ [L₊ |A(θ; q along +z)|² + L₋ |A(θ; q along −z)|²] / σ(θ),

L₊ = Σ_(q, q̄′) |V_qq′|² f_q(x₁) f_q̄′(x₂) over the flavour pairs that make the observed
lepton's W, L₋ the same with the beams swapped, the PDFs at Q² = ŝ (Pythia's scale for this
process). Phase space, flux and couplings depend on neither θ nor the latent variables and
cancel, so only ρ = L₋/L₊ enters the true log r(x | θ₀, θ₁) and score t(x | θ).

The PDF is the one the generator sampled from: Pythia's own (default ``PDF:pSet = 13``,
NNPDF2.3 QCD+QED LO, α_s(m_Z) = 0.130), through its Python binding, so no second PDF
code can differ from it. The CKM matrix is MadGraph's diagonal one, as the generator's
default electroweak inputs make it (:mod:`goldmine.generate.electroweak`).
"""

from __future__ import annotations

import numpy as np

from goldmine.generate.variations import pdf_only, pdf_xf
from goldmine.generate.wh_events import WHMomenta, quadratic_monomial_gradient, quadratic_monomials
from goldmine.physics.wh_amplitude import WHAmplitudes, wh_amplitudes

__all__ = ["W_PLUS_PAIRS", "GeneratorPDF", "beam_asymmetry", "marginal_squared", "true_log_likelihood",
           "true_log_likelihood_ratio", "true_score", "true_weights"]

#: (quark, antiquark) PDG ids that make a W⁺ with MadGraph's diagonal CKM matrix; a W⁻'s are
#: their charge conjugates.
W_PLUS_PAIRS = ((2, -1), (4, -3))


class GeneratorPDF:
    """The built-in generator's proton PDF: a Pythia instance that only initialises its
    PDFs (``settings``: extra Pythia settings, e.g. another ``PDF:pSet``). ``xf(id, x, Q²)``
    is x f(x, Q²), arrays in, array out (Q² in GeV²)."""

    def __init__(self, settings: tuple[str, ...] = ()) -> None:
        self._pythia, self._pdf = pdf_only(settings, what="the generator's PDF")  # the instance owns the PDF

    def xf(self, pid: int, x: np.ndarray, q2: np.ndarray) -> np.ndarray:
        return pdf_xf(self._pdf, np.full(len(x), pid), np.asarray(x), np.asarray(q2))


def _incoming(momenta: WHMomenta) -> tuple[np.ndarray, np.ndarray]:
    """The incoming partons' momenta (n, 4) along +z and −z from the final state's E ± p_z."""
    total = momenta.fermion + momenta.antifermion + momenta.higgs
    plus, minus = (total[:, 0] + total[:, 3]) / 2, (total[:, 0] - total[:, 3]) / 2
    zeros = np.zeros_like(plus)
    return np.column_stack([plus, zeros, zeros, plus]), np.column_stack([minus, zeros, zeros, -minus])


def beam_asymmetry(momenta: WHMomenta, w_plus: np.ndarray, pdf: GeneratorPDF, beam_energy: float) -> np.ndarray:
    """ρ = L₋/L₊ per event (n,): the parton luminosity with the quark along −z over that
    with it along +z, at the x₁, x₂ and Q² = ŝ the final state fixes (``beam_energy`` in
    GeV); ``w_plus`` (n,) bool: whether the event's W is a W⁺ (a positive charged lepton)."""
    beam_a, beam_b = _incoming(momenta)
    x1, x2 = beam_a[:, 0] / beam_energy, beam_b[:, 0] / beam_energy
    shat = 4 * beam_a[:, 0] * beam_b[:, 0]
    forward, backward = np.zeros(len(x1)), np.zeros(len(x1))
    for is_plus in (True, False):
        rows = w_plus == is_plus
        if not rows.any():
            continue
        for quark, antiquark in W_PLUS_PAIRS:
            if not is_plus:  # W⁻ from d ū, s c̄
                quark, antiquark = -antiquark, -quark
            forward[rows] += pdf.xf(quark, x1[rows], shat[rows]) * pdf.xf(antiquark, x2[rows], shat[rows])
            backward[rows] += pdf.xf(antiquark, x1[rows], shat[rows]) * pdf.xf(quark, x2[rows], shat[rows])
    return backward / forward


def _both_sides(momenta: WHMomenta) -> tuple[WHAmplitudes, WHAmplitudes]:
    """The amplitudes with the quark along +z and along −z, the latent assignments."""
    beam_a, beam_b = _incoming(momenta)
    return (wh_amplitudes(beam_a, beam_b, momenta.fermion, momenta.antifermion, momenta.higgs),
            wh_amplitudes(beam_b, beam_a, momenta.fermion, momenta.antifermion, momenta.higgs))


def marginal_squared(momenta: WHMomenta, thetas: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """|A₊(θ)|² + ρ |A₋(θ)|² for each θ of ``thetas`` (m, 2) → (m, n): the latent quark side
    summed over, in units of L₊ (per event a constant of x alone)."""
    forward, backward = _both_sides(momenta)
    return forward.squared(thetas) + rho * backward.squared(thetas)


def true_weights(momenta: WHMomenta, rho: np.ndarray, weights: np.ndarray, thetas: np.ndarray,
                 sampling: int) -> np.ndarray:
    """Event weights with the latent variables summed over, (n, B): w̃_b = w_s · L̃(θ_b) / L̃(θ_s)
    with L̃ = :func:`marginal_squared`, from the weights (n, B) at the B benchmarks ``thetas``
    (B, 2), of which the events were sampled at index ``sampling``.

    Like the joint weights, they are unbiased event weights of every benchmark (the events'
    density at θ_s is L̃(θ_s) with z summed), but they depend on x alone: their morphing
    gives the true t(x|θ) and r(x|θ₀, θ₁) as the joint machinery gives t(x, z|θ) from w.
    A benchmark whose weights differ from the joint w_s |A(θ_b)|²/|A(θ_s)|² of its θ (a
    nuisance benchmark's scale variation) keeps that ratio: w̃_b = w_b · L̃(θ_b)/L̃(θ_s) ·
    |A(θ_s)|²/|A(θ_b)|²."""
    marginal = marginal_squared(momenta, thetas, rho)  # (B, n)
    joint = wh_amplitudes(momenta.quark, momenta.antiquark, momenta.fermion, momenta.antifermion,
                          momenta.higgs).squared(thetas)
    factors = (marginal / marginal[sampling]) * (joint[sampling] / joint)
    return weights * factors.T


def _squared_and_gradient(momenta: WHMomenta, theta: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """L₊|A₊(θ)|² + L₋|A₋(θ)|² in units of L₊, (n,), and its gradient in θ (n, 2)."""
    total, gradient = 0.0, 0.0
    for luminosity, amplitudes in zip((1.0, rho), _both_sides(momenta), strict=True):
        squared = amplitudes.squared(theta)
        total = total + luminosity * squared
        gradient = gradient + (luminosity * squared)[:, None] * amplitudes.gradient_log_squared(theta)
    return total, gradient


def true_log_likelihood(momenta: WHMomenta, theta: np.ndarray, rho: np.ndarray, xsec_components: np.ndarray) -> np.ndarray:
    """log p(x | θ) per event (n,) up to a constant of x alone (the same for every θ)."""
    squared, _ = _squared_and_gradient(momenta, theta, rho)
    return np.log(squared) - np.log(xsec_components @ quadratic_monomials(theta))


def true_log_likelihood_ratio(momenta: WHMomenta, theta0: np.ndarray, theta1: np.ndarray, rho: np.ndarray,
                              xsec_components: np.ndarray) -> np.ndarray:
    """log r(x | θ₀, θ₁) = log p(x | θ₀) − log p(x | θ₁), shape (n,)."""
    return (true_log_likelihood(momenta, theta0, rho, xsec_components)
            - true_log_likelihood(momenta, theta1, rho, xsec_components))


def true_score(momenta: WHMomenta, theta: np.ndarray, rho: np.ndarray, xsec_components: np.ndarray) -> np.ndarray:
    """t(x | θ) = ∇_θ log p(x | θ), shape (n, 2), TeV²."""
    squared, gradient = _squared_and_gradient(momenta, theta, rho)
    xsec_gradient = quadratic_monomial_gradient(theta) @ xsec_components / (xsec_components @ quadratic_monomials(theta))
    return gradient / squared[:, None] - xsec_gradient
