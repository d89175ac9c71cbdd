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
    btagged,
    jet_collection,
    lepton_collection,
    met_collection,
    photon_collection,
    reconstruct,
    smeared_jets,
)
from goldmine.physics.pdg import JET_PARTONS, NEUTRINOS, is_any

__all__ = ["smear_partons"]


def smear_partons(particles: ak.Array, card: DetectorCard, rng: np.random.Generator) -> dict[str, ak.Array]:
    """Delphes collections for LHE ``particles`` (records ``pid status px py pz e m``)."""
    outgoing = particles[particles.status == 1]
    momenta = ak.zip({"px": outgoing.px, "py": outgoing.py, "pz": outgoing.pz, "E": outgoing.e,
                      "index": ak.local_index(outgoing.pid, axis=1), "pid": outgoing.pid}, with_name="Momentum4D")
    apid = abs(outgoing.pid)
    jets = smeared_jets(momenta[is_any(apid, JET_PARTONS)], card, rng)
    flavour = abs(jets.pid)
    neutrinos = momenta[is_any(apid, NEUTRINOS)]
    return {
        "Electron": lepton_collection(reconstruct(momenta[apid == 11], card.electron, rng)),
        "Muon": lepton_collection(reconstruct(momenta[apid == 13], card.muon, rng)),
        "Photon": photon_collection(reconstruct(momenta[apid == 22], card.photon, rng)),
        "Jet": jet_collection(jets, btagged(jets, flavour == 5, flavour == 4, card, rng)),
        "MissingET": met_collection(ak.sum(neutrinos.px, axis=1), ak.sum(neutrinos.py, axis=1)),
    }
