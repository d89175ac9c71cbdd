"""The built-in detector recipes: HepMC (fast simulation) or LHE (parton smearing, or no
detector at all) → a Delphes-layout ROOT file, chunk by chunk, written under a temporary name."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from goldmine.detector.card import DetectorCard
from goldmine.detector.fast import PARTICLES_USED, simulate
from goldmine.detector.parton import smear_partons
from goldmine.detector.truth import truth_collections
from goldmine.errors import InputFileError
from goldmine.io.atomic import atomic_path
from goldmine.io.delphes_writer import DelphesTreeWriter
from goldmine.io.hepmc import iter_hepmc
from goldmine.io.lhe_events import iter_lhe_events
from goldmine.io.provenance import Provenance
from goldmine.progress import Progress

__all__ = ["simulate_hepmc", "smear_lhe", "truth_lhe"]

Detector = Callable[[ak.Array, DetectorCard, np.random.Generator], dict[str, ak.Array]]


def _write(chunks: Iterator[tuple[ak.Array, np.ndarray, tuple[str, ...]]], detector: Detector, card: DetectorCard,
           output: Path, seed: int, provenance: Provenance, source: Path) -> int:
    rng = np.random.default_rng(seed)
    n_events = 0
    with (atomic_path(output) as temporary, uproot.recreate(temporary) as file,
          Progress(None, f"detector {source.name}", "events") as progress):
        writer = None
        for particles, weights, names in chunks:
            if writer is None:
                writer = DelphesTreeWriter(file, names)
            collections = detector(particles, card, rng)
            collections["Event"] = ak.zip({"Weight": ak.values_astype(ak.singletons(weights[:, 0]), np.float32)})
            collections["Weight"] = ak.zip({"Weight": ak.values_astype(ak.from_regular(ak.Array(weights)), np.float32)})
            writer.extend(collections)
            n_events += len(weights)
            progress.update(len(weights))
        if writer is None:
            raise InputFileError(f"{source}: no events")
        file["goldmine_provenance"] = json.dumps(provenance.to_dict())
    return n_events


def simulate_hepmc(hepmc: Path, card: DetectorCard, output: Path, *, seed: int, provenance: Provenance,
                   chunk_events: int = 1000) -> int:
    """Fast detector simulation of every event of ``hepmc``; returns the event count."""
    def chunks() -> Iterator[tuple[ak.Array, np.ndarray, tuple[str, ...]]]:
        for chunk in iter_hepmc(hepmc, chunk_events=chunk_events, select=PARTICLES_USED):
            names = chunk.weight_names or tuple(f"weight_{i}" for i in range(chunk.weights.shape[1]))
            yield chunk.particles, chunk.weights, names

    return _write(chunks(), simulate, card, output, seed, provenance, hepmc)


def _lhe_chunks(lhe: Path, chunk_events: int) -> Iterator[tuple[ak.Array, np.ndarray, tuple[str, ...]]]:
    for header, chunk in iter_lhe_events(lhe, chunk_events=chunk_events):
        yield chunk.particles, np.column_stack([chunk.nominal, chunk.weights]), ("Weight", *header.weight_names)


def smear_lhe(lhe: Path, card: DetectorCard, output: Path, *, seed: int, provenance: Provenance,
              chunk_events: int = 10_000) -> int:
    """Parton-level smearing of every event of ``lhe``; weights: nominal, then ``<rwgt>``."""
    return _write(_lhe_chunks(lhe, chunk_events), smear_partons, card, output, seed, provenance, lhe)


def truth_lhe(lhe: Path, card: DetectorCard, output: Path, *, seed: int, provenance: Provenance,
              chunk_events: int = 10_000) -> int:
    """Every event of ``lhe`` with no detector (:mod:`goldmine.detector.truth`); weights as
    :func:`smear_lhe`'s."""
    return _write(_lhe_chunks(lhe, chunk_events), truth_collections, card, output, seed, provenance, lhe)
