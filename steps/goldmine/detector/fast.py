"""goldmine's built-in fast detector simulation, column-wise over a chunk of events.

From the generator-level particles of each event (HepMC, all statuses):

1. visible final state: status 1, not a neutrino (or neutralino), |η| below the
   calorimeter edge;
2. electrons, muons, photons: isolated (Σ pT of other visible particles above
   0.5 GeV within ΔR, over the candidate's pT, below the card's ratio), kept with the
   card's efficiency, smeared in energy (e, γ) or pT (μ);
3. jets: anti-kT (fastjet) on the visible final state minus the reconstructed
   electrons, muons and photons; energy smeared; pT (times the energy scale) and |η| cuts; b-tagged
   with the probability of their flavour at their pT and η (b or c quark with pT > 1 GeV
   and |η| below the card's limit within ΔR, else light);
4. missing ET: minus the vector sum of the visible final state's transverse momenta.

The result is a dict of Delphes collections (jagged records with Delphes' field names).
"""

from __future__ import annotations

import awkward as ak
import numpy as np
import vector

from goldmine.detector.card import DetectorCard, Lepton
from goldmine.detector.objects import (
    btagged,
    jet_collection,
    lepton_collection,
    met_collection,
    photon_collection,
    reconstruct,
    smeared_jets,
)
from goldmine.physics.pdg import INVISIBLE, is_any

__all__ = ["simulate"]

vector.register_awkward()

_ISOLATION_PT_MIN = 0.5  # GeV, particles counted in the isolation sum
_FLAVOUR_PT_MIN = 1.0  # GeV, quarks that give a jet its flavour


def _momenta(particles: ak.Array) -> ak.Array:
    return ak.zip({"px": particles.px, "py": particles.py, "pz": particles.pz, "E": particles.e,
                   "index": particles.index, "pid": particles.pid}, with_name="Momentum4D")


def simulate(particles: ak.Array, card: DetectorCard, rng: np.random.Generator) -> dict[str, ak.Array]:
    """Delphes collections for ``particles`` (events × particles; records ``pid status
    px py pz e``, GeV)."""
    particles = ak.with_field(particles, ak.local_index(particles.pid, axis=1), "index")
    everything = _momenta(particles)
    apid = abs(particles.pid)
    transverse = everything.pt > 0.0
    visible = everything[(particles.status == 1) & ~is_any(apid, INVISIBLE) & transverse]
    visible = visible[abs(visible.eta) < card.jet.calorimeter_eta_max]

    electrons = reconstruct(_isolated(visible, 11, card.electron), card.electron, rng)
    muons = reconstruct(_isolated(visible, 13, card.muon), card.muon, rng)
    photons = reconstruct(_isolated(visible, 22, card.photon), card.photon, rng)
    used = ak.concatenate([electrons.index, muons.index, photons.index], axis=1)
    jets = smeared_jets(_cluster(visible[~_contains(visible.index, used)], card), card, rng)
    quarks = everything[transverse & (everything.pt > _FLAVOUR_PT_MIN)]
    quarks = quarks[abs(quarks.eta) < card.btag.eta_max]
    has_b = _near(jets, quarks[abs(quarks.pid) == 5], card.btag.delta_r)
    has_c = _near(jets, quarks[abs(quarks.pid) == 4], card.btag.delta_r)
    return {
        "Electron": lepton_collection(electrons),
        "Muon": lepton_collection(muons),
        "Photon": photon_collection(photons),
        "Jet": jet_collection(jets, btagged(jets, has_b, has_c, card, rng)),
        "MissingET": met_collection(-ak.sum(visible.px, axis=1), -ak.sum(visible.py, axis=1)),
    }


def _contains(index: ak.Array, used: ak.Array) -> ak.Array:
    """Per event: is each entry of ``index`` among ``used``?"""
    return ak.any(index[:, :, None] == used[:, None, :], axis=2)


def _isolated(visible: ak.Array, pid: int, section: Lepton) -> ak.Array:
    """Candidates of ``pid`` above the card's lowest pT whose isolation ratio passes."""
    lowest = min(b.pt_min for b in section.efficiency)
    candidates = visible[(abs(visible.pid) == pid) & (visible.pt >= lowest)]
    others = visible[visible.pt > _ISOLATION_PT_MIN]
    distance = candidates[:, :, None].deltaR(others[:, None, :])
    near = (distance < section.isolation.delta_r) & (candidates.index[:, :, None] != others.index[:, None, :])
    ratio = ak.sum(ak.where(near, others.pt[:, None, :], 0.0), axis=2) / candidates.pt
    return candidates[ratio < section.isolation.pt_ratio_max]


def _cluster(inputs: ak.Array, card: DetectorCard) -> ak.Array:
    """Anti-kT jets (fastjet) of ``inputs``, above half the card's pT cut before smearing."""
    import fastjet

    definition = fastjet.JetDefinition(fastjet.antikt_algorithm, card.jet.radius)
    four = ak.zip({"px": inputs.px, "py": inputs.py, "pz": inputs.pz, "E": inputs.E})
    clustered = fastjet.ClusterSequence(four, definition).inclusive_jets(0.5 * card.jet.pt_min)
    none = ak.values_astype(ak.zeros_like(clustered.px), np.int64) - 1
    return ak.zip({"px": clustered.px, "py": clustered.py, "pz": clustered.pz, "E": clustered.E,
                   "index": none, "pid": none}, with_name="Momentum4D")


def _near(jets: ak.Array, quarks: ak.Array, radius: float) -> ak.Array:
    return ak.any(jets[:, :, None].deltaR(quarks[:, None, :]) < radius, axis=2)
