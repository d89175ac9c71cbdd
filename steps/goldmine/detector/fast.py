"""goldmine's built-in fast detector simulation, column-wise over a chunk of events.

From the generator-level particles of each event (HepMC, all statuses):

1. visible final state: status 1, not a neutrino (or neutralino), |η| below the
   calorimeter edge;
2. electrons the tracker misses (the card's tracking efficiency) count as photons from here on;
   electrons, muons, photons: isolated (Σ pT of other visible particles above
   0.5 GeV, electrons and muons aside, within ΔR, over the candidate's pT, below the
   card's ratio), kept with the
   card's efficiency, smeared in energy (e, γ) or pT (μ); a photon candidate is an ECal
   tower, the sum of the photons in one cell (a π⁰'s two photons are one candidate);
3. jets: anti-kT (fastjet) on the visible final state minus the reconstructed
   electrons, muons and photons, as the particle flow keeps it (tracks above a pT, deposits
   above the calorimeters' thresholds); energy smeared; pT (times the energy scale) and |η| cuts; b-tagged
   with the probability of their flavour at their pT and η (b or c quark with pT > 1 GeV
   and |η| below the card's limit within ΔR, else light);
4. missing ET: minus the vector sum of the visible final state's transverse momenta, with
   each clustered jet's smearing carried over (its smeared minus its true momentum): the
   resolution of Delphes' particle-flow missing ET, whose jets dominate it.

The result is a dict of Delphes collections (jagged records with Delphes' field names).
"""

from __future__ import annotations

from dataclasses import replace

import awkward as ak
import numpy as np

from goldmine.detector.card import DetectorCard, JetInputs, Lepton, Towers
from goldmine.detector.objects import (
    Momenta,
    btagged,
    delta_r,
    jet_collection,
    lepton_collection,
    met_collection,
    near,
    photon_collection,
    reconstruct,
    same_event_pairs,
    selected_jets,
    smeared_jets,
    tracked,
)
from goldmine.io.hepmc import ParticleSelection
from goldmine.physics.pdg import INVISIBLE, NEUTRAL_VISIBLE, is_any

__all__ = ["PARTICLES_USED", "simulate"]

#: The generator particles ``simulate`` looks at: the final state, and the b and c quarks
#: (any status) that give jets their flavour.
PARTICLES_USED = ParticleSelection(status=(1,), abs_pid=(4, 5))

_ISOLATION_PT_MIN = 0.5  # GeV, particles counted in the isolation sum
_FLAVOUR_PT_MIN = 1.0  # GeV, quarks that give a jet its flavour


def simulate(particles: ak.Array, card: DetectorCard, rng: np.random.Generator) -> dict[str, ak.Array]:
    """Delphes collections for ``particles`` (events × particles; records ``pid status
    px py pz e``, GeV)."""
    everything = Momenta.from_jagged(particles)
    status = ak.to_numpy(ak.flatten(particles.status))
    apid = np.abs(everything.pid)
    transverse = everything.pt > 0.0
    with np.errstate(invalid="ignore"):  # η of particles along the beam is ±inf, and cut
        inside = np.abs(everything.eta) < card.jet.calorimeter_eta_max
    visible = everything[(status == 1) & ~is_any(apid, INVISIBLE) & transverse & inside]

    visible = _untracked_electrons_as_photons(visible, card.electron, rng)
    visible, towers = _with_ecal_towers(visible, card.ecal)
    electrons = reconstruct(_isolated(visible, visible, 11, card.electron), card.electron, rng)
    muons = reconstruct(_isolated(visible, visible, 13, card.muon), card.muon, rng)
    photons = reconstruct(_isolated(towers, visible, 22, card.photon), card.photon, rng)
    used = np.isin(visible.index, np.concatenate([electrons.index, muons.index, photons.index]))
    clustered = _cluster(visible[~used & _particle_flow(visible, card.jet.inputs)], card)
    smeared = smeared_jets(clustered, card, rng)
    jets = selected_jets(smeared, card)
    quarks = everything[transverse & (everything.pt > _FLAVOUR_PT_MIN)]
    quarks = quarks[np.abs(quarks.eta) < card.btag.eta_max]
    has_b = near(jets, quarks[np.abs(quarks.pid) == 5], card.btag.delta_r)
    has_c = near(jets, quarks[np.abs(quarks.pid) == 4], card.btag.delta_r)
    return {
        "Electron": lepton_collection(electrons),
        "Muon": lepton_collection(muons),
        "Photon": photon_collection(photons),
        "Jet": jet_collection(jets, btagged(jets, has_b, has_c, card, rng)),
        "MissingET": met_collection(*_missing(visible, clustered, smeared)),
    }


def _missing(visible: Momenta, clustered: Momenta, smeared: Momenta) -> tuple[np.ndarray, np.ndarray]:
    """Missing ET's x and y (n_events,): minus the visible momenta, each jet's smearing
    (smeared minus true momentum) carried over."""
    return tuple(-visible.per_event_sum(getattr(visible, axis))
                 - smeared.per_event_sum(getattr(smeared, axis) - getattr(clustered, axis)) for axis in ("px", "py"))


def _particle_flow(visible: Momenta, inputs: JetInputs) -> np.ndarray:
    """(n,) bool: is each visible particle a jet input? Tracks inside the tracker above the
    pT threshold, elsewhere calorimeter deposits above the ECal's (e, γ) or the HCal's
    (hadrons) energy threshold; muons outside the tracker deposit nothing."""
    apid = np.abs(visible.pid)
    track = (np.abs(visible.eta) < inputs.tracker_eta_max) & ~is_any(apid, NEUTRAL_VISIBLE)
    electromagnetic = is_any(apid, (11, 22))
    return np.where(track, visible.pt > inputs.track_pt_min,
                    np.where(electromagnetic, visible.energy > inputs.ecal_energy_min,
                             (apid != 13) & (visible.energy > inputs.hcal_energy_min)))


def _untracked_electrons_as_photons(visible: Momenta, section: Lepton, rng: np.random.Generator) -> Momenta:
    """``visible`` with the electrons the tracker misses counted as photons: the ECal sees
    them alone (Delphes makes them eflowPhotons, photon candidates and neutral particle flow)."""
    electron = np.flatnonzero(np.abs(visible.pid) == 11)
    missed = electron[~tracked(visible[electron], section, rng)]
    pid = visible.pid.copy()
    pid[missed] = 22
    return replace(visible, pid=pid)


def _with_ecal_towers(visible: Momenta, ecal: Towers) -> tuple[Momenta, Momenta]:
    """``visible`` with ``index`` naming the object each particle belongs to (its position;
    for a photon, its ECal tower's number after every position), and the towers: the summed
    photons of each cell (Delphes' eflowPhotons, from which its photon candidates come)."""
    position = np.arange(len(visible))
    photon = visible.pid == 22
    eta_cell = np.floor(visible.eta[photon] / ecal.tower_eta).astype(np.int64)  # |cell| < 2^20 for |η| < 5
    phi_cell = np.floor(visible.phi[photon] / ecal.tower_phi).astype(np.int64)
    cell = (visible.event[photon] << 42) + ((eta_cell + (1 << 20)) << 21) + (phi_cell + (1 << 20))
    _, tower = np.unique(cell, return_inverse=True)
    n_towers = int(tower.max()) + 1 if len(tower) else 0
    owner = position.copy()
    owner[photon] = len(visible) + tower
    summed = {name: np.bincount(tower, weights=getattr(visible, name)[photon], minlength=n_towers)
              for name in ("px", "py", "pz", "energy")}
    event = np.zeros(n_towers, np.int64)
    event[tower] = visible.event[photon]
    towers = Momenta(visible.n_events, event, summed["px"], summed["py"], summed["pz"], summed["energy"],
                     np.full(n_towers, 22), len(visible) + np.arange(n_towers))
    return replace(visible, index=owner), towers


def _isolated(objects: Momenta, visible: Momenta, pid: int, section: Lepton) -> Momenta:
    """Candidates among ``objects`` of ``pid`` above the card's lowest pT whose isolation
    ratio passes: Σ pT of the ``visible`` particles within ΔR, over the candidate's pT.
    Counted are particles above 0.5 GeV other than the candidate's own, and not electrons
    or muons: Delphes isolates against its particle flow without them (EFlowFilter), so
    that a photon radiated by the W's lepton can be an isolated photon."""
    lowest = min(b.pt_min for b in section.efficiency)
    candidates = objects[(np.abs(objects.pid) == pid) & (objects.pt >= lowest)]
    others = visible[(visible.pt > _ISOLATION_PT_MIN) & ~is_any(np.abs(visible.pid), (11, 13))]
    i, j = same_event_pairs(candidates, others)
    near_pair = (delta_r(candidates, i, others, j) < section.isolation.delta_r) & (candidates.index[i]
                                                                                   != others.index[j])
    around = np.bincount(i[near_pair], weights=others.pt[j[near_pair]], minlength=len(candidates))
    return candidates[around / candidates.pt < section.isolation.pt_ratio_max]


def _cluster(inputs: Momenta, card: DetectorCard) -> Momenta:
    """Anti-kT jets (fastjet, many events per call) of ``inputs``, above half the card's pT
    cut before smearing."""
    import fastjet

    definition = fastjet.JetDefinition(fastjet.antikt_algorithm, card.jet.radius)
    four = ak.zip({name: inputs.jagged(values) for name, values in
                   (("px", inputs.px), ("py", inputs.py), ("pz", inputs.pz), ("E", inputs.energy))})
    clustered = fastjet.ClusterSequence(four, definition).inclusive_jets(0.5 * card.jet.pt_min)
    counts = ak.to_numpy(ak.num(clustered.px, axis=1))
    flat = {name: ak.to_numpy(ak.flatten(clustered[name])) for name in ("px", "py", "pz", "E")}
    n_jets = len(flat["px"])
    return Momenta(inputs.n_events, np.repeat(np.arange(inputs.n_events), counts), flat["px"], flat["py"],
                   flat["pz"], flat["E"], np.zeros(n_jets, np.int64), np.full(n_jets, -1))
