"""Building blocks shared by the fast and the parton-level detector, on flat numpy arrays:
objects of many events (``Momenta``), their efficiency and smearing, pairs within events,
and conversion to Delphes collections (float32 fields named as in Delphes: ``PT Eta Phi``,
``Charge``, ``E``, ``Mass``, ``BTag``).

Flat arrays with an event index, rather than jagged arrays, because every step here is one
numpy expression over all objects of a chunk: nothing pays per event or per operation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import awkward as ak
import numpy as np

from goldmine.detector import response
from goldmine.detector.card import DetectorCard, Lepton

__all__ = ["Momenta", "btagged", "delta_r", "jet_collection", "kinematic_columns", "lepton_collection",
           "met_collection", "near", "photon_collection", "reconstruct", "same_event_pairs", "selected_jets",
           "smeared_jets", "tracked"]


@dataclass(frozen=True, eq=False)
class Momenta:
    """Objects of ``n_events`` events: ``event`` (n,) the event of each, non-decreasing;
    ``px py pz energy`` (n,) GeV; ``pid`` (n,) PDG id (0 for jets); ``index`` (n,) names the
    object, equal indices within an event being the same one (``from_jagged``: its position
    among the event's generator particles; -1 for jets)."""

    n_events: int
    event: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    energy: np.ndarray
    pid: np.ndarray
    index: np.ndarray

    @classmethod
    def from_jagged(cls, particles: ak.Array) -> Momenta:
        """From events × particles records ``pid px py pz e``."""
        counts = ak.to_numpy(ak.num(particles.pid, axis=1))
        event = np.repeat(np.arange(len(counts)), counts)
        starts = np.cumsum(counts) - counts
        flat = {name: ak.to_numpy(ak.flatten(particles[name])) for name in ("px", "py", "pz", "e", "pid")}
        return cls(len(counts), event, flat["px"].astype(np.float64), flat["py"].astype(np.float64),
                   flat["pz"].astype(np.float64), flat["e"].astype(np.float64), flat["pid"].astype(np.int64),
                   np.arange(len(event)) - starts[event])

    def __len__(self) -> int:
        return len(self.event)

    def __getitem__(self, selection: np.ndarray) -> Momenta:
        """The objects selected by a boolean mask or an index array that keeps events in order."""
        return Momenta(self.n_events, self.event[selection], self.px[selection], self.py[selection],
                       self.pz[selection], self.energy[selection], self.pid[selection], self.index[selection])

    @cached_property
    def pt(self) -> np.ndarray:
        return np.hypot(self.px, self.py)

    @cached_property
    def eta(self) -> np.ndarray:
        """Pseudorapidity (±inf along the beam)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.arcsinh(self.pz / self.pt)

    @cached_property
    def phi(self) -> np.ndarray:
        return np.arctan2(self.py, self.px)

    @cached_property
    def mass(self) -> np.ndarray:
        squared = self.energy**2 - self.px**2 - self.py**2 - self.pz**2
        return np.sign(squared) * np.sqrt(np.abs(squared))

    def counts(self) -> np.ndarray:
        """(n_events,) objects per event."""
        return np.bincount(self.event, minlength=self.n_events)

    def per_event_sum(self, values: np.ndarray) -> np.ndarray:
        """(n_events,) the sum of ``values`` (n,) over each event's objects."""
        return np.bincount(self.event, weights=values, minlength=self.n_events)

    def scaled(self, factor: np.ndarray) -> Momenta:
        """Four-momenta times ``factor`` (n,)."""
        return replace(self, px=self.px * factor, py=self.py * factor, pz=self.pz * factor,
                       energy=self.energy * factor)

    def by_pt(self) -> Momenta:
        """Within each event, in decreasing pT."""
        return self[np.lexsort((-self.pt, self.event))]

    def jagged(self, values: np.ndarray) -> ak.Array:
        """``values`` (n,) as events × objects."""
        return ak.unflatten(values, self.counts())


def same_event_pairs(first: Momenta, second: Momenta) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays ``(i, j)`` of every pair of an object of ``first`` and one of ``second``
    in the same event."""
    second_counts = second.counts()
    second_starts = np.cumsum(second_counts) - second_counts
    partners = second_counts[first.event]
    i = np.repeat(np.arange(len(first)), partners)
    position = np.arange(len(i)) - np.repeat(np.cumsum(partners) - partners, partners)
    return i, np.repeat(second_starts[first.event], partners) + position


def delta_r(first: Momenta, i: np.ndarray, second: Momenta, j: np.ndarray) -> np.ndarray:
    """ΔR between objects ``first[i]`` and ``second[j]``."""
    delta_phi = (first.phi[i] - second.phi[j] + np.pi) % (2 * np.pi) - np.pi
    return np.hypot(first.eta[i] - second.eta[j], delta_phi)


def near(objects: Momenta, others: Momenta, radius: float) -> np.ndarray:
    """(n,) bool: has each of ``objects`` one of ``others`` of its event within ΔR < ``radius``?"""
    i, j = same_event_pairs(objects, others)
    close = i[delta_r(objects, i, others, j) < radius]
    result = np.zeros(len(objects), bool)
    result[close] = True
    return result


def tracked(objects: Momenta, section: Lepton, rng: np.random.Generator) -> np.ndarray:
    """(n,) bool: does the tracker find each object, with the section's tracking efficiency
    (all do where the section has no tracking table: its efficiency includes tracking)."""
    if not section.tracking:
        return np.ones(len(objects), bool)
    return rng.random(len(objects)) < response.efficiency(section.tracking, objects.pt, objects.eta)


def reconstruct(candidates: Momenta, section: Lepton, rng: np.random.Generator) -> Momenta:
    """Keep each candidate with the card's efficiency, smear it, sort by pT."""
    pt, eta = candidates.pt, candidates.eta
    kept = rng.random(len(pt)) < response.efficiency(section.efficiency, pt, eta)
    if section.resolution_of == "pt":
        factor = response.smear(pt, response.pt_sigma(section.resolution, pt), rng) / np.where(pt > 0, pt, 1.0)
    else:
        energy = candidates.energy
        factor = response.smear(energy, response.energy_sigma(section.resolution, energy), rng) / energy
    return candidates.scaled(factor)[kept & (factor > 0)].by_pt()


def smeared_jets(jets: Momenta, card: DetectorCard, rng: np.random.Generator) -> Momenta:
    """Jet energies smeared with the card's resolution and scaled by its response (all
    jets, no cut)."""
    energy = jets.energy
    smeared = response.smear(energy, response.energy_sigma(card.jet.energy_resolution, energy), rng) / energy
    return jets.scaled(smeared * card.jet.response(jets.pt, jets.eta))


def selected_jets(jets: Momenta, card: DetectorCard) -> Momenta:
    """The card's pT and |η| cuts, sorted by pT.

    Delphes clusters calorimeter-level objects (a response below 1), cuts them at
    ``pt_min`` and then scales them back up (JetEnergyScale); these jets are clustered from
    particles (response 1), so the same cut is ``pt_min`` times the energy scale there,
    and their momenta are not scaled."""
    eta = jets.eta
    threshold = card.jet.pt_min * card.jet.energy_scale(np.full(len(eta), card.jet.pt_min), eta)
    return jets[(jets.pt >= threshold) & (np.abs(eta) <= card.jet.eta_max)].by_pt()


def btagged(jets: Momenta, has_b: np.ndarray, has_c: np.ndarray, card: DetectorCard,
            rng: np.random.Generator) -> np.ndarray:
    """(n,) bool: is each jet tagged, with the card's probability for its flavour at its pT
    and η (Delphes' BTagging: every jet, the light formula for jets without b or c)."""
    pt, eta = jets.pt, jets.eta
    efficiency = card.btag.efficiency
    probability = np.where(has_b, efficiency["b"](pt, eta),
                           np.where(has_c, efficiency["c"](pt, eta), efficiency["light"](pt, eta)))
    return rng.random(len(pt)) < probability


def kinematic_columns(objects: Momenta) -> dict[str, ak.Array]:
    """Delphes' ``PT``, ``Eta``, ``Phi`` of the objects, events × objects, float32."""
    return {"PT": objects.jagged(objects.pt.astype(np.float32)), "Eta": objects.jagged(objects.eta.astype(np.float32)),
            "Phi": objects.jagged(objects.phi.astype(np.float32))}


def lepton_collection(objects: Momenta) -> ak.Array:
    return ak.zip({**kinematic_columns(objects), "Charge": objects.jagged(-np.sign(objects.pid).astype(np.int32))})


def photon_collection(objects: Momenta) -> ak.Array:
    return ak.zip({**kinematic_columns(objects), "E": objects.jagged(objects.energy.astype(np.float32))})


def jet_collection(jets: Momenta, tagged: np.ndarray) -> ak.Array:
    """Jets; ``Charge`` is not simulated and is 0."""
    return ak.zip({**kinematic_columns(jets), "Mass": jets.jagged(jets.mass.astype(np.float32)),
                   "BTag": jets.jagged(tagged.astype(np.uint32)), "Charge": jets.jagged(np.zeros(len(jets), np.int32))})


def met_collection(met_x: np.ndarray, met_y: np.ndarray) -> ak.Array:
    """One MissingET entry per event from its x and y components (n_events,) in GeV."""
    return ak.zip({"MET": ak.singletons(np.hypot(met_x, met_y).astype(np.float32)),
                   "Phi": ak.singletons(np.arctan2(met_y, met_x).astype(np.float32))})
