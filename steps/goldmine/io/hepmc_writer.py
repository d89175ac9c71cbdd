"""HepMC3 ascii (Asciiv3) text for showered events, formatted from flat columns.

Each event holds all its particles, produced in one vertex whose incoming particles are
the two beams (the first two particles of the event); statuses follow HepMC's convention
(1 final, 2 decayed hadron or lepton, 4 beam, otherwise the generator's |status|).
Formatting is one ``%`` per particle line over plain lists, about ten times faster than
building HepMC objects and writing them through HepMC3, which matters because showered
events hold about a thousand particles each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FOOTER", "HepMCBatch", "hepmc3_header", "hepmc3_status", "hepmc3_text"]

FOOTER = "HepMC::Asciiv3-END_EVENT_LISTING\n\n"
_PARTICLE = "P %d %d %d %.9g %.9g %.9g %.9g %.9g %d"  # 9 digits: Delphes works in float32


@dataclass(frozen=True)
class HepMCBatch:
    """Events as flat columns: ``counts`` (n,) particles per event; ``pid``, ``status``
    (generator codes), ``px py pz e m`` (GeV) of all particles; ``weights`` (n, W)."""

    counts: np.ndarray
    pid: np.ndarray
    status: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    m: np.ndarray
    weights: np.ndarray


def hepmc3_header(weight_names: tuple[str, ...]) -> str:
    """File header with the run's weight names (HepMC3 separates them by an escaped bar)."""
    return "HepMC::Version 3.02.05\nHepMC::Asciiv3-START_EVENT_LISTING\nW " + "\\|".join(weight_names) + "\n"


def hepmc3_status(pid: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Pythia status codes → HepMC's (Pythia's ``Particle::statusHepMC``, vectorised)."""
    absolute = np.abs(pid)
    decays_normally = (absolute > 100) | (absolute == 13) | (absolute == 15)
    converted = np.where(status > 0, 1, np.where(status == -12, 4, np.where(decays_normally, 2, -status)))
    return np.where((status < 0) & (status > -11) | (status < -200), 0, converted)


def hepmc3_text(batch: HepMCBatch, first_event: int) -> str:
    """Asciiv3 lines of the events of ``batch``, numbered from ``first_event``."""
    status = hepmc3_status(batch.pid, batch.status)
    offsets = np.concatenate([[0], np.cumsum(batch.counts)])
    within = np.arange(offsets[-1]) - np.repeat(offsets[:-1], batch.counts) + 1  # particle ids 1 … k per event
    parent = np.where(within <= 2, 0, -1)
    lines = list(map(_PARTICLE.__mod__, zip(within.tolist(), parent.tolist(), batch.pid.tolist(), batch.px.tolist(),
                                            batch.py.tolist(), batch.pz.tolist(), batch.e.tolist(), batch.m.tolist(),
                                            status.tolist(), strict=True)))
    weights = [" ".join(map("%.10e".__mod__, row)) for row in batch.weights.tolist()]
    events = []
    for index, (start, stop) in enumerate(zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)):
        events.append(f"E {first_event + index} 1 {stop - start}\nU GEV MM\nW {weights[index]}\n"
                      + "\n".join(lines[start : start + 2]) + "\nV -1 0 [1,2]\n"
                      + "\n".join(lines[start + 2 : stop]) + "\n")
    return "".join(events)
