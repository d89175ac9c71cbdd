"""Parton-level "detector": the outgoing LHE particles, smeared with the card's
resolutions, as MadMiner's LHEReader does for truth-level studies.

Electrons, muons and photons pass the card's efficiency and are smeared (no isolation:
there is nothing to isolate from); each quark or gluon is a jet, smeared with the jet
resolution and cut in pT and |η|; b quarks are jets of b flavour, tagged with the
card's probabilities; missing ET is the neutrinos' summed transverse momentum.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from goldmine.detector.card import DetectorCard
from goldmine.detector.objects import (
    Momenta,
    btagged,
    jet_collection,
    lepton_collection,
    met_collection,
    photon_collection,
    reconstruct,
    selected_jets,
    smeared_jets,
    tracked,
)
from goldmine.physics.pdg import JET_PARTONS, NEUTRINOS, is_any

__all__ = ["smear_partons"]


def _tracked_only(electrons: Momenta, card: DetectorCard, rng: np.random.Generator) -> Momenta:
    """The electrons the tracker finds (at parton level, a missed one is simply lost)."""
    return electrons[tracked(electrons, card.electron, rng)]


def smear_partons(particles: ak.Array, card: DetectorCard, rng: np.random.Generator) -> dict[str, ak.Array]:
    """Delphes collections for LHE ``particles`` (records ``pid status px py pz e m``)."""
    momenta = Momenta.from_jagged(particles)
    momenta = momenta[ak.to_numpy(ak.flatten(particles.status)) == 1]
    apid = np.abs(momenta.pid)
    jets = selected_jets(smeared_jets(momenta[is_any(apid, JET_PARTONS)], card, rng), card)
    flavour = np.abs(jets.pid)
    neutrinos = momenta[is_any(apid, NEUTRINOS)]
    return {
        "Electron": lepton_collection(reconstruct(_tracked_only(momenta[apid == 11], card, rng), card.electron, rng)),
        "Muon": lepton_collection(reconstruct(momenta[apid == 13], card.muon, rng)),
        "Photon": photon_collection(reconstruct(momenta[apid == 22], card.photon, rng)),
        "Jet": jet_collection(jets, btagged(jets, flavour == 5, flavour == 4, card, rng)),
        "MissingET": met_collection(neutrinos.per_event_sum(neutrinos.px), neutrinos.per_event_sum(neutrinos.py)),
    }
