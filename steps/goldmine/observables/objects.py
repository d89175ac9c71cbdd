"""The objects expressions see, built column-wise from Delphes branches or LHE particles.

Every object is a vector ``Momentum4D`` record with a ``charge`` field. Collections are
jagged (events × objects) and sorted by decreasing pT; ``met`` and ``visible`` are one
momentum per event.

- ``e``, ``mu``, ``l`` (electrons and muons merged), ``a`` (photons), ``j`` (all jets),
  ``b`` (jets with b-tag bit 0 set, or b quarks at parton level);
- ``met``: missing transverse momentum (pT = MET, η = 0, m = 0); at parton level the
  vector sum of the neutrinos' transverse momenta;
- ``visible``: the four-momentum sum of e, mu, a and j (as MadMiner defines it);
- ``p_truth`` (LHE input only): every outgoing LHE particle, in the file's order;
- ``nu`` (neutrinos) and ``h`` (Higgs bosons), each by decreasing pT (LHE input, and the
  truth "detector"'s files): what a parton-level analysis that sees the whole final state
  (the true likelihood's x) needs beside ``l``.
"""

from __future__ import annotations

from collections.abc import Mapping

import awkward as ak
import numpy as np
import vector

from goldmine.physics.pdg import JET_PARTONS, NEUTRINOS, is_any

__all__ = ["ELECTRON_MASS", "MUON_MASS", "delphes_objects", "parton_objects"]

vector.register_awkward()

ELECTRON_MASS = 0.000511  # GeV
MUON_MASS = 0.105658  # GeV


def _momenta(pt: ak.Array, eta: ak.Array, phi: ak.Array, mass: ak.Array | float, charge: ak.Array | float) -> ak.Array:
    fields = {"pt": pt, "eta": eta, "phi": phi, "mass": ak.zeros_like(pt) + mass, "charge": ak.zeros_like(pt) + charge}
    return _by_pt(ak.zip({k: ak.values_astype(v, np.float64) for k, v in fields.items()}, with_name="Momentum4D"))


def _by_pt(collection: ak.Array) -> ak.Array:
    return collection[ak.argsort(collection.pt, axis=1, ascending=False, stable=True)]


def _single(pt: ak.Array, phi: ak.Array) -> ak.Array:
    zeros = ak.zeros_like(pt)
    return ak.zip({"pt": pt, "eta": zeros, "phi": phi, "mass": zeros, "charge": zeros}, with_name="Momentum4D")


def _visible(*collections: ak.Array) -> ak.Array:
    total = ak.sum(collections[0], axis=1)
    for collection in collections[1:]:
        total = total + ak.sum(collection, axis=1)
    return total


def delphes_objects(branches: Mapping[str, ak.Array]) -> dict[str, ak.Array]:
    """Objects from Delphes branches (``Electron.PT`` ... ``MissingET.Phi``, GeV)."""
    e = _momenta(branches["Electron.PT"], branches["Electron.Eta"], branches["Electron.Phi"],
                 ELECTRON_MASS, branches["Electron.Charge"])
    mu = _momenta(branches["Muon.PT"], branches["Muon.Eta"], branches["Muon.Phi"], MUON_MASS, branches["Muon.Charge"])
    photon_p = branches["Photon.PT"] * np.cosh(branches["Photon.Eta"])
    photon_mass = np.sqrt(np.maximum(branches["Photon.E"] ** 2 - photon_p**2, 0.0))
    a = _momenta(branches["Photon.PT"], branches["Photon.Eta"], branches["Photon.Phi"], photon_mass, 0.0)
    j = _momenta(branches["Jet.PT"], branches["Jet.Eta"], branches["Jet.Phi"], branches["Jet.Mass"], branches["Jet.Charge"])
    met = _single(ak.values_astype(ak.firsts(branches["MissingET.MET"]), np.float64),
                  ak.values_astype(ak.firsts(branches["MissingET.Phi"]), np.float64))
    objects = {
        "e": e, "mu": mu, "l": _by_pt(ak.concatenate([e, mu], axis=1)), "a": a, "j": j, "b": _btagged(branches),
        "met": met, "visible": _visible(e, j, mu, a),
    }
    if "Neutrino.PT" in branches:  # goldmine's truth "detector"
        objects["nu"] = _momenta(branches["Neutrino.PT"], branches["Neutrino.Eta"], branches["Neutrino.Phi"], 0.0, 0.0)
        objects["h"] = _momenta(branches["Higgs.PT"], branches["Higgs.Eta"], branches["Higgs.Phi"],
                                branches["Higgs.Mass"], 0.0)
    return objects


def _btagged(branches: Mapping[str, ak.Array]) -> ak.Array:
    tagged = (branches["Jet.BTag"] & 1) != 0
    return _momenta(branches["Jet.PT"][tagged], branches["Jet.Eta"][tagged], branches["Jet.Phi"][tagged],
                    branches["Jet.Mass"][tagged], branches["Jet.Charge"][tagged])


def parton_objects(particles: ak.Array) -> dict[str, ak.Array]:
    """Objects from LHE particles (records with ``pid status px py pz e m``, GeV): the
    outgoing (status 1) leptons, photons, quarks and gluons, unsmeared."""
    outgoing = particles[particles.status == 1]
    p4 = ak.zip({"px": outgoing.px, "py": outgoing.py, "pz": outgoing.pz, "E": outgoing.e}, with_name="Momentum4D")
    truth = ak.zip({"pt": p4.pt, "eta": p4.eta, "phi": p4.phi, "mass": outgoing.m,
                    "charge": _charge(outgoing.pid)}, with_name="Momentum4D")
    apid = abs(outgoing.pid)

    def pick(mask: ak.Array) -> ak.Array:
        return _by_pt(truth[mask])

    e, mu, a = pick(apid == 11), pick(apid == 13), pick(apid == 22)
    j = pick(is_any(apid, JET_PARTONS))
    is_neutrino = is_any(apid, NEUTRINOS)
    neutrinos = p4[is_neutrino]
    met_x, met_y = ak.sum(neutrinos.px, axis=1), ak.sum(neutrinos.py, axis=1)
    met = _single(np.hypot(met_x, met_y), np.arctan2(met_y, met_x))
    return {
        "e": e, "mu": mu, "l": pick((apid == 11) | (apid == 13)), "a": a, "j": j, "b": pick(apid == 5),
        "met": met, "visible": _visible(e, j, mu, a), "p_truth": truth, "nu": pick(is_neutrino),
        "h": pick(apid == 25),
    }


def _charge(pid: ak.Array) -> ak.Array:
    """Electric charge of leptons and quarks from the PDG id (0 for the rest)."""
    apid, sign = abs(pid), np.sign(pid)
    lepton = ak.where((apid == 11) | (apid == 13) | (apid == 15), -1.0, 0.0)
    up = ak.where((apid == 2) | (apid == 4) | (apid == 6), 2.0 / 3.0, 0.0)
    down = ak.where((apid == 1) | (apid == 3) | (apid == 5), -1.0 / 3.0, 0.0)
    boson = ak.where(apid == 24, 1.0, 0.0)
    return (lepton + up + down + boson) * sign
