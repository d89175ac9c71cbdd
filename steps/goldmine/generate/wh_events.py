"""Pick the five momenta of q q̄' → W h → ℓ ν h out of LHE-style particle arrays.

Also the truth functions of a parton-level event: with the shower off the built-in
generator's p(x, z | θ) ∝ |A(θ)|² (PDFs and phase space do not depend on θ), so the
joint likelihood ratio and joint score are exact here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from goldmine.errors import InputFileError
from goldmine.io.lhe_events import LHEChunk
from goldmine.physics.pdg import NEUTRINOS, is_any
from goldmine.physics.wh_amplitude import WHAmplitudes, wh_amplitudes

__all__ = ["WHMomenta", "amplitudes_from_lhe", "amplitudes_from_particles", "cross_section_components",
           "joint_log_likelihood_ratio", "joint_score", "quadratic_monomial_gradient", "quadratic_monomials",
           "wh_momenta_from_particles"]

_CHARGED_LEPTONS = (11, 13, 15)


def _one(mask: np.ndarray, what: str, source: str, first_event: int) -> np.ndarray:
    """Column index of the single True per row of ``mask`` (n, k)."""
    counts = mask.sum(axis=1)
    bad = np.flatnonzero(counts != 1)
    if bad.size:
        event = first_event + int(bad[0])
        raise InputFileError(f"{source}: event {event} has {int(counts[bad[0]])} {what}, expected one "
                             "(the built-in amplitude is for q q' → W h, W → l nu)")
    return mask.argmax(axis=1)


@dataclass(frozen=True)
class WHMomenta:
    """The five momenta of q q̄′ → W h → ℓ ν h, each (n, 4) as (E, px, py, pz) in GeV: the
    lepton pair's fermion is ν for W⁺, ℓ⁻ for W⁻."""

    quark: np.ndarray
    antiquark: np.ndarray
    fermion: np.ndarray
    antifermion: np.ndarray
    higgs: np.ndarray

    @property
    def w(self) -> np.ndarray:
        return self.fermion + self.antifermion


def wh_momenta_from_particles(pid: np.ndarray, status: np.ndarray, momenta: np.ndarray, *,
                              source: str = "events", first_event: int = 0) -> WHMomenta:
    """The momenta of events of k particles: ``pid``, ``status`` (LHE ISTUP) (n, k) and
    ``momenta`` (n, k, 4) as (E, px, py, pz) in GeV. An event that is not q q̄' → W h,
    W → ℓ ν raises :class:`InputFileError` naming ``source`` and the event number."""
    incoming, final = status == -1, status == 1
    lepton = final & (is_any(np.abs(pid), _CHARGED_LEPTONS) | is_any(np.abs(pid), NEUTRINOS))
    rows = np.arange(len(pid))

    def take(mask: np.ndarray, what: str) -> np.ndarray:
        return momenta[rows, _one(mask, what, source, first_event)]

    return WHMomenta(
        quark=take(incoming & (pid > 0), "incoming quarks"),
        antiquark=take(incoming & (pid < 0), "incoming antiquarks"),
        fermion=take(lepton & (pid > 0), "outgoing lepton-pair fermions"),
        antifermion=take(lepton & (pid < 0), "outgoing lepton-pair antifermions"),
        higgs=take(final & (pid == 25), "Higgs bosons"),
    )


def amplitudes_from_particles(pid: np.ndarray, status: np.ndarray, momenta: np.ndarray, *,
                              source: str = "events", first_event: int = 0) -> WHAmplitudes:
    """Amplitudes for events as :func:`wh_momenta_from_particles` reads them."""
    wh = wh_momenta_from_particles(pid, status, momenta, source=source, first_event=first_event)
    return wh_amplitudes(wh.quark, wh.antiquark, wh.fermion, wh.antifermion, wh.higgs)


def amplitudes_from_lhe(chunk: LHEChunk, source: str) -> WHAmplitudes:
    """Amplitudes of the events of an LHE chunk (all events must have the same particle count)."""
    import awkward as ak

    counts = ak.to_numpy(ak.num(chunk.particles))
    odd = np.flatnonzero(counts != counts[0]) if len(counts) else np.array([], dtype=int)
    if odd.size:
        event = chunk.first_event + int(odd[0])
        raise InputFileError(f"{source}: event {event} has {counts[odd[0]]} particles, event {chunk.first_event} has {counts[0]}")
    particles = chunk.particles
    column = lambda field: ak.to_numpy(particles[field]).reshape(len(counts), -1)
    momenta = np.stack([column("e"), column("px"), column("py"), column("pz")], axis=-1)
    return amplitudes_from_particles(column("pid"), column("status"), momenta, source=source,
                                     first_event=chunk.first_event)


def cross_section_components(amplitudes: WHAmplitudes, weights: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """σ(θ) = Σ_k s_k m_k(θ) over the monomials of :meth:`WHAmplitudes.quadratic_components`,
    estimated from events with weights (n,) in pb sampled at θ = ``reference``: s, shape (6,), pb."""
    per_event = amplitudes.quadratic_components() / amplitudes.squared(reference)[:, None]
    return weights @ per_event


def quadratic_monomials(theta: np.ndarray) -> np.ndarray:
    """(1, θ₀, θ₀², θ₁, θ₀θ₁, θ₁²), the order of :meth:`WHAmplitudes.quadratic_components`."""
    cw, cpw = np.asarray(theta, dtype=float)
    return np.array([1.0, cw, cw**2, cpw, cw * cpw, cpw**2])


def quadratic_monomial_gradient(theta: np.ndarray) -> np.ndarray:
    """∂/∂θ of :func:`quadratic_monomials`, shape (2, 6)."""
    cw, cpw = np.asarray(theta, dtype=float)
    return np.array([[0.0, 1.0, 2 * cw, 0.0, cpw, 0.0], [0.0, 0.0, 0.0, 1.0, cw, 2 * cpw]])


def joint_log_likelihood_ratio(amplitudes: WHAmplitudes, theta0: np.ndarray, theta1: np.ndarray,
                               xsec_components: np.ndarray) -> np.ndarray:
    """log r(x, z | θ0, θ1) = log p(x, z | θ0) − log p(x, z | θ1), shape (n,)."""
    xsec0, xsec1 = xsec_components @ quadratic_monomials(theta0), xsec_components @ quadratic_monomials(theta1)
    return np.log(amplitudes.squared(theta0)) - np.log(amplitudes.squared(theta1)) - np.log(xsec0 / xsec1)


def joint_score(amplitudes: WHAmplitudes, theta: np.ndarray, xsec_components: np.ndarray) -> np.ndarray:
    """t(x, z | θ) = ∇_θ log p(x, z | θ), shape (n, 2), TeV²."""
    xsec_gradient = quadratic_monomial_gradient(theta) @ xsec_components / (xsec_components @ quadratic_monomials(theta))
    return amplitudes.gradient_log_squared(theta) - xsec_gradient
