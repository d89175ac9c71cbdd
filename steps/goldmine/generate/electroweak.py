"""MadGraph's electroweak inputs for the built-in W h generator, so that the same physics
gives the same cross section.

Pythia 8 and MG5_aMC's ``sm``/EWdim6 models differ in their electroweak inputs: Pythia runs
α_EM with the scale (√ŝ for f f̄′ → W h), takes m_W = 80.385 GeV and sin²θ_W = 0.2312, its
BR(W → ℓν) from QCD-corrected widths and the measured CKM matrix, and lets the W be off
shell up to the kinematic limit; MadGraph's models fix α_EM = 1/127.9 and derive m_W and
sin²θ_W from (α, G_F, m_Z) (Gμ-like scheme), take a diagonal CKM matrix, BR(W → ℓν) =
Γ_ℓν(tree)/Γ_W, and keep a decaying W within ``bwcutoff`` = 15 widths of its mass. Together
that is σ(W⁺h) +7 % and EFT ratios σ(θ)/σ(SM) several % high with Pythia's.

:class:`MadGraphElectroweak` gives Pythia MadGraph's W mass, width, mass window and
sin²θ_W as settings, and the rest as an exact leading-order per-event factor:
(α_MG/α_event)² (q q̄′ → W h is O(α²)), BR_MG/BR_Pythia, and |V_MG|²/|V_Pythia|² of the
incoming flavours (0 for off-diagonal pairs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MadGraphElectroweak"]

_UP, _DOWN = {2: "u", 4: "c", 6: "t"}, {1: "d", 3: "s", 5: "b"}


@dataclass(frozen=True)
class MadGraphElectroweak:
    """The EWdim6 (and ``sm``) model defaults of MG5_aMC 3.5: SMINPUTS, Γ_W of the param
    card, ``bwcutoff`` of the run card. GeV, GeV⁻² for G_F."""

    inverse_alpha: float = 127.9
    fermi_constant: float = 1.16637e-5
    z_mass: float = 91.1876
    w_width: float = 2.085
    bw_cutoff: float = 15.0

    @property
    def alpha(self) -> float:
        return 1.0 / self.inverse_alpha

    @property
    def w_mass(self) -> float:
        """m_W from (α, G_F, m_Z), as the model's param card computes it (79.824 GeV)."""
        mz2 = self.z_mass**2
        return math.sqrt(mz2 / 2 + math.sqrt(mz2**2 / 4 - self.alpha * math.pi * mz2 / (self.fermi_constant * math.sqrt(2))))

    @property
    def sin2_theta_w(self) -> float:
        return 1.0 - (self.w_mass / self.z_mass) ** 2

    @property
    def lepton_branching(self) -> float:
        """BR(W → ℓν) per lepton flavour at tree level: α m_W / (12 sin²θ_W Γ_W)."""
        return self.alpha * self.w_mass / (12 * self.sin2_theta_w * self.w_width)

    def pythia_settings(self) -> list[str]:
        """The W's mass, width and mass window and sin²θ_W, as Pythia settings."""
        window = self.bw_cutoff * self.w_width
        return [f"24:m0 = {self.w_mass!r}", f"24:mWidth = {self.w_width!r}", "24:doForceWidth = on",
                f"24:mMin = {self.w_mass - window!r}", f"24:mMax = {self.w_mass + window!r}",
                f"StandardModel:sin2thetaW = {self.sin2_theta_w!r}"]

    def weight_factors(self, pythia: Any, alpha_em: np.ndarray, id1: np.ndarray, id2: np.ndarray,
                       open_lepton_channels: int) -> np.ndarray:
        """Per-event factor (n,) from Pythia's couplings to MadGraph's: ``alpha_em`` is each
        event's α_EM, ``id1``, ``id2`` its incoming PDG ids; ``open_lepton_channels`` the
        W → ℓν channels open (2: e, μ), whose share of the W's decays Pythia's σ includes."""
        up, down = _up_and_down(id1, id2)
        w_plus = up > 0  # u d̄ → W⁺, d ū → W⁻
        pythia_branching = np.where(w_plus, pythia.particleData.resOpenFrac(24, 0, 0),
                                    pythia.particleData.resOpenFrac(-24, 0, 0))
        branching = open_lepton_channels * self.lepton_branching / pythia_branching
        return (self.alpha / alpha_em) ** 2 * branching * _diagonal_over_pythia_ckm(pythia, up, down)


def _up_and_down(id1: np.ndarray, id2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The PDG ids (n,) of each event's incoming up-type and down-type (anti)quark."""
    up_first = np.abs(id1) % 2 == 0
    return np.where(up_first, id1, id2), np.where(up_first, id2, id1)


def _diagonal_over_pythia_ckm(pythia: Any, up: np.ndarray, down: np.ndarray) -> np.ndarray:
    """|V|² of a diagonal CKM matrix over Pythia's for each incoming (up-type, down-type) pair."""
    factors = np.zeros(len(up))
    for (u, d) in ((2, 1), (4, 3)):
        pair = (np.abs(up) == u) & (np.abs(down) == d)
        factors[pair] = 1.0 / pythia.settings.parm(f"StandardModel:V{_UP[u]}{_DOWN[d]}") ** 2
    return factors
