"""The observables recipe: events (Delphes ROOT or LHE) + weights → ``events.h5``.

Chunk by chunk: build the objects, apply the selection, pick the weights of the
setup's benchmarks, normalise them to pb per job, append the passing rows. A job
whose events all fail the cuts writes an explicit empty ``events.h5`` (with a
warning): ``combine`` gives it zero share, so one unlucky job does not stop a workflow.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from goldmine.errors import InputFileError
from goldmine.io.atomic import atomic_path
from goldmine.io.delphes_root import count_delphes_events, iter_delphes
from goldmine.io.delphes_root import weight_names as stored_weight_names
from goldmine.io.hdf5 import open_for_writing
from goldmine.io.lhe_events import count_lhe_events, iter_lhe_events, read_lhe_header
from goldmine.io.lhe_weights import iter_lhe_weights
from goldmine.io.provenance import Provenance
from goldmine.io.samples import BACKGROUND_ATTRIBUTE, SampleWriter, check_finite_weights, write_sample_summary
from goldmine.io.setup_file import write_setup_sections
from goldmine.observables.objects import delphes_objects, parton_objects
from goldmine.observables.selection import Selection
from goldmine.observables.weights import NOMINAL, LHEWeightRows, WeightColumns, normalisation, true_weight_columns
from goldmine.progress import Progress
from goldmine.setup import Setup

__all__ = ["ObservablesSummary", "extract_observables", "is_lhe"]

log = logging.getLogger(__name__)

#: Largest relative difference allowed between Delphes' float32 weights and the LHE's.
_FLOAT32_AGREEMENT = 1e-5


@dataclass(frozen=True)
class ObservablesSummary:
    n_input: int
    n_passed: int
    cross_section_pb: dict[str, float]


@dataclass(frozen=True, eq=False)
class _Chunk:
    objects: dict
    weights: np.ndarray  # (n, W) in the file's weight order
    weight_names: tuple[str, ...]  # (W,)
    first_event: int


def is_lhe(path: Path) -> bool:
    return path.name.endswith((".lhe", ".lhe.gz"))


def extract_observables(
    setup: Setup,
    selection: Selection,
    events: Path,
    output: Path,
    *,
    sampling_benchmark: str | None,
    provenance: Provenance,
    background: str | None = None,
    lhe: Path | None = None,
    weight_names: tuple[str, ...] | None = None,
    chunk_events: int = 100_000,
) -> ObservablesSummary:
    """Write ``output`` (atomically) from ``events`` and, for Delphes input, the weights
    of ``lhe`` (aligned by event order) or of ``Weight.Weight``. The events were sampled
    at ``sampling_benchmark``, or are those of the ``background`` (sampling benchmark −1,
    the same weight at every benchmark)."""
    benchmarks = setup.benchmark_names
    if (sampling_benchmark is None) == (background is None):
        raise ValueError("give the events' sampling benchmark or their background, not both")
    if sampling_benchmark is not None and sampling_benchmark not in benchmarks:
        raise InputFileError(f"sampling benchmark {sampling_benchmark!r} is not in the setup ({', '.join(benchmarks)})")
    sampling_index = -1 if background is not None else benchmarks.index(sampling_benchmark)
    if is_lhe(events):
        n_input, event_norm = count_lhe_events(events), read_lhe_header(events).event_norm
        chunks = _lhe_chunks(events, chunk_events)
    else:
        n_input = count_delphes_events(events)
        chunks, event_norm = _delphes_chunks(events, n_input, lhe, weight_names, chunk_events)
    if n_input == 0:
        raise InputFileError(f"{events}: holds no events")
    scale = normalisation(event_norm, n_input, str(lhe or events))

    n_passed, sums = 0, np.zeros(len(benchmarks))
    with (atomic_path(output) as temporary, open_for_writing(temporary) as file,
          Progress(n_input, f"observables {Path(events).name}", "events") as progress):
        write_setup_sections(file, setup)
        writer: SampleWriter | None = None
        columns: WeightColumns | None = None
        for chunk in chunks:
            if columns is None:
                columns = WeightColumns.match(chunk.weight_names, benchmarks, sampling_benchmark, str(lhe or events),
                                              background=background,
                                              varied=tuple(b.name for b in setup.benchmarks if b.is_nuisance))
                true_columns = true_weight_columns(chunk.weight_names, benchmarks, str(lhe or events))
                writer = SampleWriter(file, len(setup.observables), len(benchmarks),
                                      true_weights=true_columns is not None)
            n_events = len(chunk.weights)
            check_finite_weights(chunk.weights, chunk.first_event, lhe or events)
            result = selection.apply(chunk.objects, n_events, first_event=chunk.first_event, source=str(events))
            columns.check_sampling(chunk.weights, chunk.first_event)
            passed, factors = chunk.weights[result.passed], (scale * result.efficiency)[:, None]
            weights = columns.select(passed) * factors
            true_weights = None if true_columns is None else passed[:, true_columns] * factors
            # An event weighing nothing anywhere is no event of the sample (the built-in
            # generator's CKM-off-diagonal flavours under MadGraph's diagonal CKM matrix).
            weighs = (weights != 0).any(axis=1)
            weights, observations = weights[weighs], result.observations[weighs]
            writer.append(observations, weights, np.full(len(weights), sampling_index),
                          true_weights=None if true_weights is None else true_weights[weighs])
            n_passed += len(weights)
            sums += weights.sum(axis=0)
            progress.update(n_events)
        if writer is None:  # no chunk: the file still has its (empty) datasets
            SampleWriter(file, len(setup.observables), len(benchmarks))
        signal = np.zeros(len(benchmarks), dtype=np.int64)
        if background is None:
            signal[sampling_index] = n_passed
        else:
            file.attrs[BACKGROUND_ATTRIBUTE] = background
        write_sample_summary(file, signal, n_passed if background is not None else 0)
        file.attrs["goldmine_input_events"] = n_input
        provenance.attach(file)
    if n_passed == 0:
        log.warning("%s: no event passed the cuts; wrote an empty %s", events, output)
    log.info("%s: %d of %d events passed", events, n_passed, n_input)
    return ObservablesSummary(n_input, n_passed, dict(zip(benchmarks, sums.tolist())))


def _lhe_chunks(path: Path, chunk_events: int) -> Iterator[_Chunk]:
    for header, chunk in iter_lhe_events(path, chunk_events=chunk_events):
        weights = np.column_stack([chunk.nominal, chunk.weights])
        yield _Chunk(parton_objects(chunk.particles), weights, (NOMINAL, *header.weight_names), chunk.first_event)


def _delphes_chunks(path: Path, n_input: int, lhe: Path | None, weight_names: tuple[str, ...] | None,
                    chunk_events: int) -> tuple[Iterator[_Chunk], str | None]:
    """Chunks of a Delphes file with their weights, and the weights' event_norm."""
    if lhe is not None:
        return _delphes_with_lhe(path, n_input, lhe, chunk_events), read_lhe_header(lhe).event_norm
    names = weight_names or stored_weight_names(path)
    if names is None:
        msg = (f"{path}: Delphes keeps no weight names; give the LHE file (--lhe) or the names in "
               "Weight.Weight order (--weight-names)")
        raise InputFileError(msg)
    return _delphes_only(path, tuple(names), chunk_events), None


def _delphes_with_lhe(path: Path, n_input: int, lhe: Path, chunk_events: int) -> Iterator[_Chunk]:
    rows = LHEWeightRows(iter_lhe_weights(lhe, chunk_events=chunk_events), str(lhe))
    for chunk in iter_delphes(path, chunk_events=chunk_events):
        weights = rows.take(len(chunk), chunk.first_event)
        if chunk.weights is not None:
            _check_aligned(chunk.weights, weights, chunk.first_event, path, lhe)
        yield _Chunk(delphes_objects(chunk.branches), weights, rows.names, chunk.first_event)
    if rows.has_more():
        log.warning("%s has more events than the %d of %s: using its first %d", lhe, n_input, path, n_input)


def _delphes_only(path: Path, names: tuple[str, ...], chunk_events: int) -> Iterator[_Chunk]:
    for chunk in iter_delphes(path, chunk_events=chunk_events):
        if chunk.weights is None:
            raise InputFileError(f"{path}: no Weight.Weight branch; give the LHE file (--lhe)")
        if chunk.weights.shape[1] != len(names):
            msg = f"{path}: Weight.Weight has {chunk.weights.shape[1]} entries per event, but {len(names)} names were given"
            raise InputFileError(msg)
        yield _Chunk(delphes_objects(chunk.branches), chunk.weights, names, chunk.first_event)


def _check_aligned(delphes: np.ndarray, lhe: np.ndarray, first_event: int, path: Path, lhe_path: Path) -> None:
    """Delphes carries the HepMC weights (nominal, then the ``<rwgt>`` ones) as float32:
    they must equal the LHE weights of the same event, else the files are misaligned."""
    if delphes.shape[1] != lhe.shape[1]:
        return
    scale = np.maximum(np.abs(lhe), np.finfo(np.float32).tiny)
    bad = (np.abs(delphes - lhe) / scale > _FLOAT32_AGREEMENT).any(axis=1)
    if bad.any():
        event = first_event + int(np.flatnonzero(bad)[0])
        msg = (f"event {event} of {path} carries other weights than event {event} of {lhe_path}; "
               "the Delphes file was not made from these LHE events in this order")
        raise InputFileError(msg)
