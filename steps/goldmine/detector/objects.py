"""Building blocks shared by the fast and the parton-level detector: efficiency and
smearing of objects, and conversion to Delphes collections (float32 fields named as
in Delphes: ``PT Eta Phi``, ``Charge``, ``E``, ``Mass``, ``BTag``)."""

from __future__ import annotations

import awkward as ak
import numpy as np
import vector

from goldmine.detector import response
from goldmine.detector.card import DetectorCard, Lepton

__all__ = ["btagged", "by_pt", "flat", "jet_collection", "lepton_collection", "met_collection", "photon_collection",
           "reconstruct", "scale", "smeared_jets", "unflat"]

vector.register_awkward()


def flat(jagged: ak.Array) -> np.ndarray:
    return ak.to_numpy(ak.flatten(jagged))


def unflat(values: np.ndarray, like: ak.Array) -> ak.Array:
    return ak.unflatten(values, ak.num(like, axis=1))


def scale(momenta: ak.Array, factor: ak.Array) -> ak.Array:
    """Four-momenta (records ``px py pz E index pid``) times ``factor``."""
    return ak.zip({"px": momenta.px * factor, "py": momenta.py * factor, "pz": momenta.pz * factor,
                   "E": momenta.E * factor, "index": momenta.index, "pid": momenta.pid}, with_name="Momentum4D")


def by_pt(momenta: ak.Array) -> ak.Array:
    return momenta[ak.argsort(momenta.pt, axis=1, ascending=False)]


def reconstruct(candidates: ak.Array, section: Lepton, rng: np.random.Generator) -> ak.Array:
    """Keep each candidate with the card's efficiency, smear it, sort by pT."""
    pt, eta = flat(candidates.pt), flat(candidates.eta)
    kept = rng.random(len(pt)) < response.efficiency(section.efficiency, pt, eta)
    if section.resolution_of == "pt":
        factor = response.smear(pt, response.pt_sigma(section.resolution, pt), rng) / np.where(pt > 0, pt, 1.0)
    else:
        energy = flat(candidates.E)
        factor = response.smear(energy, response.energy_sigma(section.resolution, energy), rng) / energy
    return by_pt(scale(candidates, unflat(factor, candidates))[unflat(kept & (factor > 0), candidates)])


def smeared_jets(jets: ak.Array, card: DetectorCard, rng: np.random.Generator) -> ak.Array:
    """Jet energies smeared, then the card's pT and |η| cuts, sorted by pT.

    Delphes clusters calorimeter-level objects (a response below 1), cuts them at
    ``pt_min`` and then scales them back up (JetEnergyScale); these jets are clustered from
    particles (response 1), so the same cut is ``pt_min`` times the energy scale there,
    and their momenta are not scaled."""
    energy = flat(jets.E)
    factor = response.smear(energy, response.energy_sigma(card.jet.energy_resolution, energy), rng) / energy
    jets = scale(jets, unflat(factor, jets))
    eta = flat(jets.eta)
    threshold = card.jet.pt_min * card.jet.energy_scale(np.full(len(eta), card.jet.pt_min), eta)
    return by_pt(jets[(jets.pt >= unflat(threshold, jets)) & (abs(jets.eta) <= card.jet.eta_max)])


def btagged(jets: ak.Array, has_b: ak.Array, has_c: ak.Array, card: DetectorCard,
            rng: np.random.Generator) -> ak.Array:
    """Per jet: tagged (bool) with the card's probability for its flavour at its pT and η
    (Delphes' BTagging: every jet, the light formula for jets without b or c)."""
    pt, eta, flavour_b, flavour_c = flat(jets.pt), flat(jets.eta), flat(has_b), flat(has_c)
    efficiency = card.btag.efficiency
    probability = np.where(flavour_b, efficiency["b"](pt, eta),
                           np.where(flavour_c, efficiency["c"](pt, eta), efficiency["light"](pt, eta)))
    return unflat(rng.random(len(pt)) < probability, jets)


def _kinematics(momenta: ak.Array) -> dict[str, ak.Array]:
    return {"PT": ak.values_astype(momenta.pt, np.float32), "Eta": ak.values_astype(momenta.eta, np.float32),
            "Phi": ak.values_astype(momenta.phi, np.float32)}


def lepton_collection(momenta: ak.Array) -> ak.Array:
    return ak.zip({**_kinematics(momenta), "Charge": ak.values_astype(-np.sign(momenta.pid), np.int32)})


def photon_collection(momenta: ak.Array) -> ak.Array:
    return ak.zip({**_kinematics(momenta), "E": ak.values_astype(momenta.E, np.float32)})


def jet_collection(jets: ak.Array, tagged: ak.Array) -> ak.Array:
    """Jets; ``Charge`` is not simulated and is 0."""
    return ak.zip({**_kinematics(jets), "Mass": ak.values_astype(jets.mass, np.float32),
                   "BTag": ak.values_astype(tagged, np.uint32),
                   "Charge": ak.values_astype(ak.zeros_like(jets.pt), np.int32)})


def met_collection(met_x: ak.Array, met_y: ak.Array) -> ak.Array:
    """One MissingET entry per event from its x and y components (GeV)."""
    return ak.zip({"MET": ak.values_astype(ak.singletons(np.hypot(met_x, met_y)), np.float32),
                   "Phi": ak.values_astype(ak.singletons(np.arctan2(met_y, met_x)), np.float32)})
