"""No detector (``detector.backend: none``): the outgoing LHE particles as they are, in the
Delphes layout, so that the chain downstream reads them as any detector's output.

Every electron, muon, photon, quark and gluon is kept, unsmeared, with no efficiency or
acceptance; b quarks are b-tagged jets; missing ET is the neutrinos' summed transverse
momentum. Beyond Delphes' collections, ``Neutrino`` and ``Higgs`` hold what no detector
sees, so that a parton-level analysis has the whole final state (``nu``, ``h`` objects).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from goldmine.detector.card import DetectorCard
from goldmine.detector.objects import (
    Momenta,
    jet_collection,
    kinematic_columns,
    lepton_collection,
    met_collection,
    photon_collection,
)
from goldmine.physics.pdg import JET_PARTONS, NEUTRINOS, is_any

__all__ = ["truth_collections"]


def truth_collections(particles: ak.Array, card: DetectorCard | None = None,
                      rng: np.random.Generator | None = None) -> dict[str, ak.Array]:
    """Delphes collections, plus ``Neutrino`` and ``Higgs``, of LHE ``particles`` (records
    ``pid status px py pz e``); ``card`` and ``rng`` are unused (no detector)."""
    momenta = Momenta.from_jagged(particles)
    momenta = momenta[ak.to_numpy(ak.flatten(particles.status)) == 1].by_pt()
    apid = np.abs(momenta.pid)
    jets = momenta[is_any(apid, JET_PARTONS)]
    neutrinos, higgs = momenta[is_any(apid, NEUTRINOS)], momenta[apid == 25]
    return {
        "Electron": lepton_collection(momenta[apid == 11]),
        "Muon": lepton_collection(momenta[apid == 13]),
        "Photon": photon_collection(momenta[apid == 22]),
        "Jet": jet_collection(jets, np.abs(jets.pid) == 5),
        "MissingET": met_collection(neutrinos.per_event_sum(neutrinos.px), neutrinos.per_event_sum(neutrinos.py)),
        "Neutrino": ak.zip(kinematic_columns(neutrinos)),
        "Higgs": ak.zip({**kinematic_columns(higgs), "Mass": higgs.jagged(higgs.mass.astype(np.float32))}),
    }
