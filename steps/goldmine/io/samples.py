"""Event samples in HDF5, with MadMiner's names, written and read in chunks.

    samples/observations         float64 (N, O)  one column per observable
    samples/weights              float64 (N, B)  pb per event, one column per benchmark
    samples/true_weights         float64 (N, B)  optional (built-in generator's true_weights):
                                                 the same with the latent variables summed over
    samples/sampling_benchmarks  int64   (N,)    benchmark index the event was sampled at
                                                 (-1: background)
    samples/background_processes int16   (N,)    combined files: each event's background
                                                 process, an index into the attribute below
                                                 (-1: signal)
    sample_summary/signal_events     int64 (B,)  events sampled at each benchmark, n_b
    sample_summary/background_events int64 ()
    attribute goldmine_background    str         the background process of a file of one
                                                 background's events (``observables --background``)
    attribute goldmine_background_processes  JSON list of the processes' names (combined files)

A file without ``samples/background_processes`` holds one background process: the one its
``goldmine_background`` attribute names, else (another tool's file) ``background``.

What the weights mean is MadMiner 0.9.6's convention: the events sampled at one benchmark
b, on their own, sum to an estimate of σ in every weight column (so do the background
events, to σ of the background). A reader of the whole file weighs each event by the share
n_b / N_signal of its sampling benchmark among the signal events, and background events by
1 (madminer's ``DataAnalyzer._calculate_sampling_factors``), so that every column sums to
one estimate of σ: `mixture_factors`. Restricted to the events of one benchmark (and the
background), the stored weights are used as they are.

Datasets are chunked and gzip-compressed with an unlimited first axis, so a writer
appends chunk after chunk and a reader never needs the whole sample in memory.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from goldmine.errors import InputFileError
from goldmine.io.hdf5 import open_for_reading, raise_write_failure

__all__ = [
    "BACKGROUND_ATTRIBUTE",
    "SampleChunk",
    "SampleWriter",
    "background_processes",
    "check_finite_weights",
    "count_background_processes",
    "count_samples",
    "has_true_weights",
    "count_sampling_benchmarks",
    "iter_samples",
    "mixture_factors",
    "sampling_shares",
    "write_sample_summary",
]

OBSERVATIONS = "samples/observations"
WEIGHTS = "samples/weights"
TRUE_WEIGHTS = "samples/true_weights"
SAMPLING_BENCHMARKS = "samples/sampling_benchmarks"
BACKGROUND_PROCESSES = "samples/background_processes"
SIGNAL_EVENTS = "sample_summary/signal_events"
BACKGROUND_EVENTS = "sample_summary/background_events"
#: File attribute naming the background process of a file's events.
BACKGROUND_ATTRIBUTE = "goldmine_background"
#: File attribute listing the background processes that ``samples/background_processes`` indexes.
PROCESS_NAMES_ATTRIBUTE = "goldmine_background_processes"
#: The background process of events that no file names (another tool's files).
UNNAMED_BACKGROUND = "background"
DEFAULT_CHUNK_ROWS = 8192
COMPRESSION = {"compression": "gzip", "compression_opts": 4, "shuffle": True}


@dataclass(frozen=True, eq=False)
class SampleChunk:
    """Rows [start, start + n) of a sample: observations (n, O), weights (n, B) in pb,
    sampling_benchmarks (n,), and background_processes (n,): each background event's
    process as an index into the file's :func:`background_processes`, -1 for signal;
    true_weights (n, B) where the file has them."""

    start: int
    observations: np.ndarray
    weights: np.ndarray
    sampling_benchmarks: np.ndarray
    background_processes: np.ndarray
    true_weights: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.weights)


class SampleWriter:
    """Appends rows to the sample datasets of an open HDF5 file; with ``process_names``,
    each event's background process too (``samples/background_processes``); with
    ``true_weights``, each event's true weights (``samples/true_weights``)."""

    def __init__(
        self, file: h5py.File, n_observables: int, n_benchmarks: int, *, chunk_rows: int = DEFAULT_CHUNK_ROWS,
        process_names: Sequence[str] | None = None, true_weights: bool = False,
    ) -> None:
        self.n_observables = n_observables
        self.n_benchmarks = n_benchmarks
        self.processes = None
        if process_names is not None:
            file.attrs[PROCESS_NAMES_ATTRIBUTE] = json.dumps(list(process_names))
            self.processes = file.create_dataset(BACKGROUND_PROCESSES, shape=(0,), maxshape=(None,), dtype=np.int16,
                                                 chunks=(chunk_rows,), **COMPRESSION)
        self.observations = file.create_dataset(
            OBSERVATIONS,
            shape=(0, n_observables),
            maxshape=(None, n_observables),
            dtype=np.float64,
            chunks=(chunk_rows, max(n_observables, 1)),
            **COMPRESSION,
        )
        self.weights = file.create_dataset(
            WEIGHTS,
            shape=(0, n_benchmarks),
            maxshape=(None, n_benchmarks),
            dtype=np.float64,
            chunks=(chunk_rows, n_benchmarks),
            **COMPRESSION,
        )
        self.sampling_benchmarks = file.create_dataset(
            SAMPLING_BENCHMARKS, shape=(0,), maxshape=(None,), dtype=np.int64, chunks=(chunk_rows,), **COMPRESSION
        )
        self.true_weights = None
        if true_weights:
            self.true_weights = file.create_dataset(TRUE_WEIGHTS, shape=(0, n_benchmarks),
                                                    maxshape=(None, n_benchmarks), dtype=np.float64,
                                                    chunks=(chunk_rows, n_benchmarks), **COMPRESSION)

    def __len__(self) -> int:
        return self.weights.shape[0]

    def append(self, observations: np.ndarray, weights: np.ndarray, sampling_benchmarks: np.ndarray,
               background_processes: np.ndarray | None = None, true_weights: np.ndarray | None = None) -> None:
        """Append n rows: observations (n, O), weights (n, B) in pb, sampling_benchmarks (n,),
        (a writer with process names) background_processes (n,) and (one with true weights)
        true_weights (n, B) in pb."""
        observations = np.asarray(observations, dtype=np.float64)
        weights = np.asarray(weights, dtype=np.float64)
        sampling_benchmarks = np.asarray(sampling_benchmarks, dtype=np.int64)
        n_rows = len(weights)
        columns = [(self.observations, observations, (n_rows, self.n_observables)),
                   (self.weights, weights, (n_rows, self.n_benchmarks)),
                   (self.sampling_benchmarks, sampling_benchmarks, (n_rows,))]
        if (self.processes is None) != (background_processes is None):
            raise ValueError("background_processes must be given exactly when the writer has process names")
        if self.processes is not None:
            columns.append((self.processes, np.asarray(background_processes, dtype=np.int16), (n_rows,)))
        if (self.true_weights is None) != (true_weights is None):
            raise ValueError("true_weights must be given exactly when the writer has them")
        if self.true_weights is not None:
            columns.append((self.true_weights, np.asarray(true_weights, dtype=np.float64), (n_rows, self.n_benchmarks)))
        for dataset, rows, want in columns:
            if rows.shape != want:
                msg = f"{dataset.name} must have shape {want}, got {rows.shape}"
                raise ValueError(msg)
        start = len(self)
        for dataset, rows, _ in columns:
            dataset.resize(start + n_rows, axis=0)
            dataset[start:] = rows
        raise_write_failure(self.weights)


def write_sample_summary(file: h5py.File, signal_events: np.ndarray, background_events: int) -> None:
    """Events sampled per benchmark, shape (B,), and the background count."""
    file.create_dataset(SIGNAL_EVENTS, data=np.asarray(signal_events, dtype=np.int64))
    file.create_dataset(BACKGROUND_EVENTS, data=np.int64(background_events))


def background_processes(path: str | Path) -> tuple[str, ...]:
    """The names of the file's background processes, in the order its events' indices use
    (see the module docstring)."""
    with _open(path) as file:
        if BACKGROUND_PROCESSES in file:
            return tuple(json.loads(file.attrs[PROCESS_NAMES_ATTRIBUTE]))
        name = file.attrs.get(BACKGROUND_ATTRIBUTE)
    return (UNNAMED_BACKGROUND if name is None else str(name),)


def count_background_processes(path: str | Path, n_processes: int, *, chunk_size: int = 1_000_000) -> np.ndarray:
    """Background events of the file per process (P,), in :func:`background_processes`' order;
    only the labels are read (a file without them holds one process)."""
    with _open(path) as file:
        if BACKGROUND_PROCESSES not in file:
            return count_sampling_benchmarks(path, file[WEIGHTS].shape[1])[-1:]
        labels = file[BACKGROUND_PROCESSES]
        counts = np.zeros(n_processes, dtype=np.int64)
        for begin in range(0, labels.shape[0], chunk_size):
            chunk = np.asarray(labels[begin : begin + chunk_size], dtype=np.int64)
            counts += np.bincount(chunk[chunk >= 0], minlength=n_processes)
    return counts


def count_sampling_benchmarks(path: str | Path, n_benchmarks: int, *, chunk_size: int = 1_000_000) -> np.ndarray:
    """Events of the file per sampling benchmark, (B + 1,): n_0 ... n_{B-1}, then the
    background events (sampling benchmark -1, or no sampling benchmarks stored)."""
    counts = np.zeros(n_benchmarks + 1, dtype=np.int64)
    with _open(path) as file:
        n_rows = file[WEIGHTS].shape[0]
        if SAMPLING_BENCHMARKS not in file or file[SAMPLING_BENCHMARKS].shape[0] == 0:
            counts[-1] = n_rows
            return counts
        ids_dataset = file[SAMPLING_BENCHMARKS]
        for begin in range(0, n_rows, chunk_size):
            ids = np.asarray(ids_dataset[begin : begin + chunk_size], dtype=np.int64)
            if np.any(ids >= n_benchmarks):
                row = begin + int(np.argmax(ids >= n_benchmarks))
                msg = f"{path}: event {row} has sampling benchmark {ids[row - begin]}, but the file has {n_benchmarks}"
                raise InputFileError(msg)
            counts[:-1] += np.bincount(ids[ids >= 0], minlength=n_benchmarks)
            counts[-1] += int(np.count_nonzero(ids < 0))
    return counts


def sampling_shares(path: str | Path, n_benchmarks: int) -> np.ndarray:
    """n_b / N_signal (B,): the share of the file's signal events sampled at each benchmark,
    from ``sample_summary/signal_events`` as madminer reads it (counted from the sampling
    benchmarks where a file has no summary); zeros for a file without signal events."""
    with _open(path) as file:
        summary = np.asarray(file[SIGNAL_EVENTS][()], dtype=np.float64) if SIGNAL_EVENTS in file else None
    if summary is None:
        summary = count_sampling_benchmarks(path, n_benchmarks)[:-1].astype(np.float64)
    if summary.ndim != 1 or len(summary) > n_benchmarks or np.any(summary < 0):
        msg = f"{path}: {SIGNAL_EVENTS} must list at most {n_benchmarks} event counts, got {summary.tolist()}"
        raise InputFileError(msg)
    summary = np.pad(summary, (0, n_benchmarks - len(summary)))
    total = summary.sum()
    return summary / total if total > 0 else summary


def mixture_factors(sampling_benchmarks: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Per event (n,): the share n_b / N_signal of its sampling benchmark (``shares`` (B,)),
    1 for background events: stored weights times these sum to σ over the whole file."""
    ids = np.asarray(sampling_benchmarks)
    return np.where(ids >= 0, shares[np.maximum(ids, 0)], 1.0)


def has_true_weights(path: str | Path) -> bool:
    """Whether a sample file holds ``samples/true_weights``."""
    with _open(path) as file:
        return TRUE_WEIGHTS in file


def count_samples(path: str | Path) -> int:
    """Number of events N in a sample file."""
    with _open(path) as file:
        return int(file[WEIGHTS].shape[0])


def iter_samples(
    path: str | Path,
    *,
    chunk_size: int = 100_000,
    start: int = 0,
    stop: int | None = None,
    read_observations: bool = True,
) -> Iterator[SampleChunk]:
    """Stream rows [start, stop) of a sample file in chunks of at most ``chunk_size`` rows.

    With ``read_observations=False`` the observations are not read (shape (n, 0)).
    """
    if chunk_size < 1:
        msg = f"chunk_size must be positive, got {chunk_size}"
        raise ValueError(msg)
    with _open(path) as file:
        observations, weights = file[OBSERVATIONS], file[WEIGHTS]
        sampling = file[SAMPLING_BENCHMARKS] if SAMPLING_BENCHMARKS in file else None
        processes = file[BACKGROUND_PROCESSES] if BACKGROUND_PROCESSES in file else None
        true_weights = file[TRUE_WEIGHTS] if TRUE_WEIGHTS in file else None
        n_rows = weights.shape[0]
        stop = n_rows if stop is None else min(stop, n_rows)
        for begin in range(start, stop, chunk_size):
            end = min(begin + chunk_size, stop)
            ids = sampling[begin:end] if sampling is not None and sampling.shape[0] else np.full(end - begin, -1)
            ids = np.asarray(ids, dtype=np.int64)
            labels = np.where(ids < 0, 0, -1)
            if processes is not None:
                labels = np.asarray(processes[begin:end], dtype=np.int64)
                _check_processes(labels, ids, begin, path)
            rows = observations[begin:end] if read_observations else np.empty((end - begin, 0))
            yield SampleChunk(begin, rows, weights[begin:end], ids, labels,
                              None if true_weights is None else true_weights[begin:end])


def _check_processes(labels: np.ndarray, ids: np.ndarray, start: int, path: str | Path) -> None:
    """A background event (sampling benchmark -1) has a process, a signal event none."""
    bad = (labels >= 0) != (ids < 0)
    if bad.any():
        row = int(np.argmax(bad))
        msg = (f"{path}: event {start + row} has sampling benchmark {ids[row]} but background process index "
               f"{labels[row]} ({BACKGROUND_PROCESSES}: -1 exactly for signal events)")
        raise InputFileError(msg)


def check_finite_weights(weights: np.ndarray, start: int, path: str | Path) -> None:
    """Raise InputFileError naming the first event (file index) with a NaN or inf weight."""
    bad = ~np.isfinite(weights)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        msg = (
            f"{path}: event {start + row} has a non-finite weight ({weights[row, column]}) "
            f"for benchmark {column} ({int(bad.sum())} bad weights in events {start}-{start + len(weights) - 1})"
        )
        raise InputFileError(msg)


@contextlib.contextmanager
def _open(path: str | Path) -> Iterator[h5py.File]:
    with open_for_reading(path) as file:
        if WEIGHTS not in file or OBSERVATIONS not in file:
            msg = f"{path}: no event sample ({OBSERVATIONS} and {WEIGHTS} missing)"
            raise InputFileError(msg)
        yield file
