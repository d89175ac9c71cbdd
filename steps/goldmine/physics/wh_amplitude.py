"""Exact tree-level amplitude of q q̄' → W* → W h → ℓ ν h with the EWdim6 operators O_W and O_W̃.

The amplitude is A(θ) = J_ℓ,μ Γ^{μν}(θ) J_q,ν times propagators and couplings that do
not depend on θ, where J_q = v̄(q̄') γ^ν P_L u(q) and J_ℓ = ū(f) γ^μ P_L v(f̄) are the
quark and lepton currents (massless fermions, so only one helicity configuration
survives the helicity sum, and the q^μ q^ν parts of the unitary-gauge propagators
vanish) and Γ is the h W⁺ W⁻ vertex of the EWdim6 UFO (C. Degrande), vertex ``V_9``:

    Γ = GC_91 Metric + GC_94 VVS6 + GC_93 VVS2,
    GC_94 / GC_91 = CWL2 / (2·10⁶ GeV²),  GC_93 / GC_91 = −CPWL2 / 10⁶ GeV²,

with CWL2 = C_W/Λ² and CPWL2 = C_W̃/Λ² in TeV⁻² (LHA block DIM6, ids 2 and 5),
VVS6 = p3^μ p1^ν + p2^μ p3^ν − (p1·p3 + p2·p3) g^{μν} and
VVS2 = ε^{μνρσ} p3_ρ (p1 − p2)_σ (UFO momenta incoming: p1 = −k the decaying W,
p2 = q the s-channel W*, p3 = −p_h; ε^{0123} = −1). Everything θ-independent cancels in
|A(θ)|²/|A(θ')|², which therefore equals MadGraph's reweighting ratio; the test suite
checks this against MG5_aMC 3.5.7 weights to 1e-6.

Momenta are arrays (n, 4) of (E, px, py, pz) in GeV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["WHAmplitudes", "lha_coefficients", "wh_amplitudes"]

#: The (LHA block, id) of each coefficient the amplitude knows, in the order of θ.
LHA_IDS = (("dim6", 2), ("dim6", 5))
_GEV2_PER_TEV2 = 1.0e6
_METRIC = np.array([1.0, -1.0, -1.0, -1.0])
_PAULI = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]])
#: σ̄^μ = (1, −σ⃗): ū_L γ^μ u_L = η† σ̄^μ η for left-handed Weyl spinors η.
_SIGMA_BAR = _PAULI * np.array([1, -1, -1, -1])[:, None, None]


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * _METRIC * b).sum(axis=-1)


def _weyl_spinor(momenta: np.ndarray) -> np.ndarray:
    """Left-handed spinors η (n, 2) with η η† = E − p⃗·σ⃗ for massless momenta (n, 4).

    The phase convention (real first component) is arbitrary: it cancels in |A|².
    Momenta along +z, where E − pz = 0, take η = (0, √(E + pz)).
    """
    energy, px, py, pz = momenta.T
    minus = energy - pz
    regular = minus > 1e-12 * energy
    root = np.sqrt(np.where(regular, minus, 1.0))
    upper = np.where(regular, root, 0.0).astype(complex)
    lower = np.where(regular, -(px + 1j * py) / root, np.sqrt(np.maximum(energy + pz, 0.0)))
    return np.stack([upper, lower], axis=-1)


def _current(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """η_left† σ̄^μ η_right, shape (n, 4) complex with an upper Lorentz index."""
    return np.einsum("na,mab,nb->nm", left.conj(), _SIGMA_BAR, right)


def _levi_civita(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """ε^{μνρσ} a_μ b_ν c_ρ d_σ for upper-index vectors (n, 4), with ε^{0123} = −1.

    Lowering the four vectors flips the sign of the determinant of their components.
    """
    return np.linalg.det(np.stack([a, b, c, d], axis=1).astype(complex))


@dataclass(frozen=True)
class WHAmplitudes:
    """Per-event amplitude components: A(θ) = sm + θ₀ cwl2 + θ₁ cpwl2, each (n,) complex.

    θ = (CWL2, CPWL2) in TeV⁻². The common normalisation is arbitrary, so only ratios
    |A(θ)|²/|A(θ')|² and derivatives of log |A(θ)|² are physical.
    """

    sm: np.ndarray
    cwl2: np.ndarray
    cpwl2: np.ndarray

    def __len__(self) -> int:
        return len(self.sm)

    def squared(self, theta: np.ndarray) -> np.ndarray:
        """|A(θ)|² for θ of shape (2,) → (n,), or (m, 2) → (m, n)."""
        theta = np.asarray(theta, dtype=float)
        amplitude = self.sm + theta[..., 0, None] * self.cwl2 + theta[..., 1, None] * self.cpwl2
        return np.abs(amplitude) ** 2

    def ratio(self, theta: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """|A(θ)|² / |A(reference)|² per event: MadGraph's reweighting factor."""
        return self.squared(theta) / self.squared(reference)

    def quadratic_components(self) -> np.ndarray:
        """|A(θ)|² = Σ_k c_k(x) m_k(θ) for monomials (1, θ₀, θ₀², θ₁, θ₀θ₁, θ₁²): c, shape (n, 6)."""
        a0, a1, a2 = self.sm, self.cwl2, self.cpwl2
        return np.stack([
            np.abs(a0) ** 2,
            2 * (a0.conj() * a1).real,
            np.abs(a1) ** 2,
            2 * (a0.conj() * a2).real,
            2 * (a1.conj() * a2).real,
            np.abs(a2) ** 2,
        ], axis=1)

    def gradient_log_squared(self, theta: np.ndarray) -> np.ndarray:
        """∇_θ log |A(θ)|², shape (n, 2), TeV² (the matrix-element part of the joint score)."""
        theta = np.asarray(theta, dtype=float)
        amplitude = self.sm + theta[0] * self.cwl2 + theta[1] * self.cpwl2
        squared = np.abs(amplitude) ** 2
        return np.stack([2 * (amplitude.conj() * self.cwl2).real, 2 * (amplitude.conj() * self.cpwl2).real], axis=1) / squared[:, None]


def wh_amplitudes(quark: np.ndarray, antiquark: np.ndarray, fermion: np.ndarray, antifermion: np.ndarray,
                  higgs: np.ndarray) -> WHAmplitudes:
    """Amplitude components for events given the incoming quark and antiquark, the
    outgoing lepton-pair fermion (ν for W⁺, ℓ⁻ for W⁻) and antifermion, and the Higgs
    boson: five momentum arrays (n, 4), (E, px, py, pz) in GeV. Works for both W charges."""
    quark_current = _current(_weyl_spinor(antiquark), _weyl_spinor(quark))
    lepton_current = _current(_weyl_spinor(fermion), _weyl_spinor(antifermion))
    w_decaying = fermion + antifermion
    p1, p2, p3 = -w_decaying, quark + antiquark, -higgs
    sm = _dot(lepton_current, quark_current)
    vvs6 = (_dot(lepton_current, p3) * _dot(quark_current, p1) + _dot(lepton_current, p2) * _dot(quark_current, p3)
            - (_dot(p1, p3) + _dot(p2, p3)) * sm)
    vvs2 = _levi_civita(lepton_current, quark_current, p3, p1 - p2)
    return WHAmplitudes(sm, vvs6 / (2 * _GEV2_PER_TEV2), -vvs2 / _GEV2_PER_TEV2)


def lha_coefficients(lha_ids: list[tuple[str, int]], values: np.ndarray) -> np.ndarray:
    """Map parameter values (…, P) whose LHA (block, id) are ``lha_ids`` onto θ = (CWL2, CPWL2).

    Parameters the amplitude does not know raise ValueError; missing ones are 0.
    """
    values = np.asarray(values, dtype=float)
    theta = np.zeros((*values.shape[:-1], len(LHA_IDS)))
    for index, (block, lha_id) in enumerate(lha_ids):
        key = (block.lower(), int(lha_id))
        if key not in LHA_IDS:
            known = ", ".join(f"{b.upper()} {i}" for b, i in LHA_IDS)
            raise ValueError(f"LHA {block.upper()} {lha_id} is not a coefficient of the built-in W h amplitude ({known})")
        theta[..., LHA_IDS.index(key)] = values[..., index]
    return theta
