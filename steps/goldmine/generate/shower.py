"""Shower an LHE file with Pythia 8 into HepMC3 ascii that carries every weight by name.

Pythia reads the LHE itself (``Beams:frameType = 4``), decays the Higgs boson to b b̄ and
showers and hadronises; per event its ``info.weights`` are the LHE nominal weight followed
by the ``<rwgt>`` weights, which become the HepMC weights named ``Weight`` and the
``<initrwgt>`` ids. Pythia runs in batches (``nextBatch``: columnar arrays); formatting
the HepMC text and compressing it run in a second process fed batch by batch
(:mod:`goldmine.generate.hepmc_process`), so the wall time stays close to Pythia's alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from goldmine.errors import InputFileError
from goldmine.generate.hepmc_process import HepMCWriterProcess
from goldmine.generate.pythia import batch_size, configured_pythia, event_columns
from goldmine.io.lhe_events import count_lhe_events, read_lhe_header
from goldmine.progress import Progress

__all__ = ["NOMINAL_WEIGHT", "ShowerResult", "shower_lhe", "shower_settings"]

log = logging.getLogger(__name__)

NOMINAL_WEIGHT = "Weight"


@dataclass(frozen=True)
class ShowerResult:
    """``events``: showered events written; ``skipped``: LHE events Pythia could not shower."""

    events: int
    skipped: int
    weight_names: tuple[str, ...]


def shower_settings(lhe: Path) -> list[str]:
    """Pythia 8 settings: read ``lhe``, h → b b̄, shower and hadronise."""
    return ["Beams:frameType = 4", f"Beams:LHEF = {lhe}", "25:onMode = off", "25:onIfAny = 5"]


def shower_lhe(lhe: Path, hepmc: Path, *, seed: int, n_events: int) -> ShowerResult:
    """Shower the ``n_events`` events of ``lhe`` into gzip-compressed HepMC3 at ``hepmc``."""
    from importlib.metadata import version

    header = read_lhe_header(lhe)
    weight_names = (NOMINAL_WEIGHT, *header.weight_names)
    available = count_lhe_events(lhe)  # a truncated file is an error naming its last complete event
    if available < n_events:
        log.warning("%s: holds %d events, fewer than the %d asked for; showering those", lhe, available, n_events)
        n_events = available
    pythia = configured_pythia(shower_settings(lhe), seed)
    if not pythia.init():
        raise InputFileError(f"{lhe}: Pythia 8 {version('pythia8mc')} could not initialise from this LHE file")

    showered, weights = 0, []
    with HepMCWriterProcess(hepmc, weight_names) as writer, Progress(n_events, "shower", "events") as progress:
        while showered < n_events and not pythia.infoPython().atEndOfFile():
            batch = pythia.nextBatch(batch_size(n_events - showered), "skip")
            if len(batch) == 0:
                break
            try:
                columns, batch_weights = event_columns(batch)
            except ValueError as err:
                raise InputFileError(f"{lhe}: Pythia reads {err}") from None
            if batch_weights.shape[1] != len(weight_names):
                raise InputFileError(f"{lhe}: Pythia reads {batch_weights.shape[1]} weights per event, the "
                                     f"header declares {len(weight_names)} ({', '.join(weight_names)})")
            writer.put(columns)
            weights.append(batch_weights)
            showered += len(batch)
            progress.update(len(batch))
        writer.finish(np.concatenate(weights) if weights else np.empty((0, len(weight_names))))
    skipped = n_events - showered
    if skipped:
        log.warning("%s: Pythia could not shower %d of %d events; they are missing from %s", lhe, skipped, n_events, hepmc)
    return ShowerResult(showered, skipped, weight_names)
