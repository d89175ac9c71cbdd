"""Combine event files into one shuffled file, streaming.

Weights (goldmine.io.samples: MadMiner 0.9.6's convention): in every input, the events
sampled at one benchmark b sum to one estimate of σ, and so must they in the output. The
events of input f sampled at b are therefore scaled by k_fb = n_fb / n_b, their share of
all events sampled at b; the background events likewise by their share of all background
events of their process: the files of one background (``observables --background NAME``
marks them) are samples of it and are averaged, different backgrounds add; a combined
file's events keep their processes; background events of files that name none (another
tool's) count as samples of one more, shared process. Sampling
benchmarks are kept, and ``sample_summary`` counts the output's events, so that madminer
and goldmine both read σ as Σ_b (n_b / N_signal) Σ_{e sampled at b} w_e + Σ_background w_e.
Each background event keeps its process's name (``samples/background_processes``), so
that distributions can be split by process.

Shuffle: every event goes to one of M buckets drawn uniformly at random, the buckets
are written to a temporary file chunk by chunk, and each bucket is then shuffled in
memory and appended to the output. Uniform bucket choice followed by a uniform order
within each bucket is a uniformly random permutation of all events, and memory holds
one chunk or one bucket at a time.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from goldmine.errors import InputFileError, OutputExistsError
from goldmine.io import janitor
from goldmine.io.atomic import atomic_path
from goldmine.io.hdf5 import open_for_writing
from goldmine.io.provenance import Provenance
from goldmine.io.samples import (
    SampleWriter,
    background_processes,
    check_finite_weights,
    count_background_processes,
    count_sampling_benchmarks,
    has_true_weights,
    iter_samples,
    write_sample_summary,
)
from goldmine.io.setup_file import read_setup, write_setup_sections
from goldmine.setup import Setup

__all__ = ["CombineResult", "combine_event_files"]

log = logging.getLogger(__name__)

#: Events held in memory at once, per chunk read and per bucket shuffled.
DEFAULT_BUCKET_EVENTS = 500_000


@dataclass(frozen=True)
class CombineResult:
    """Events in the output and per input; ``k_factors`` (F, B + P): the scale of input f's
    events per sampling benchmark, then per background process of the output."""

    n_events: int
    events_per_file: tuple[int, ...]
    k_factors: np.ndarray


def _common_setup(paths: Sequence[Path]) -> Setup:
    setup = read_setup(paths[0])
    for path in paths[1:]:
        mismatch = setup.first_mismatch(read_setup(path))
        if mismatch:
            msg = f"{path} does not share the setup of {paths[0]}: {mismatch}"
            raise InputFileError(msg)
    return setup


def _check_distinct(inputs: Sequence[Path], output: Path, provenance: Provenance) -> None:
    """No input twice (by path, or by content: the same events would count twice), and the
    output none of the inputs (it would replace one)."""
    for index, path in enumerate(inputs):
        if output.exists() and output.samefile(path):
            raise OutputExistsError(f"{output}: the output is also an input; goldmine never overwrites its inputs")
        for earlier in inputs[:index]:
            if earlier.samefile(path):
                raise InputFileError(f"{path} is given twice; each input's events would count twice")
    first_with: dict[str, Path] = {}
    for path in inputs:
        checksum = provenance.inputs.get(str(path))
        if checksum is None:
            continue
        if checksum in first_with:
            msg = f"{path} holds the same events as {first_with[checksum]} (identical SHA-256); they would count twice"
            raise InputFileError(msg)
        first_with[checksum] = path


def _process_names(inputs: Sequence[Path], n_background: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    """The output's background processes (in order of first appearance among the inputs
    with background events) and, per input, the output index of each of its processes."""
    names: list[str] = []
    to_output = []
    for path, count in zip(inputs, n_background, strict=True):
        own = background_processes(path) if count > 0 else ()
        names += [name for name in own if name not in names]
        to_output.append(np.array([names.index(name) for name in own] or [-1], dtype=np.int64))
    return names, to_output


def combine_event_files(
    inputs: Sequence[Path],
    output: Path,
    *,
    seed: int,
    provenance: Provenance,
    bucket_events: int = DEFAULT_BUCKET_EVENTS,
) -> CombineResult:
    """Write the shuffled union of ``inputs`` to ``output`` (atomically)."""
    inputs = [Path(p) for p in inputs]
    _check_distinct(inputs, Path(output), provenance)
    setup = _common_setup(inputs)
    n_observables, n_benchmarks = len(setup.observables), len(setup.benchmarks)
    counts = np.array([count_sampling_benchmarks(path, n_benchmarks) for path in inputs])  # (F, B + 1)
    n_events = int(counts.sum())
    if n_events == 0:
        raise InputFileError(f"no events in {', '.join(map(str, inputs))}")
    process_names, to_output = _process_names(inputs, counts[:, -1])
    per_process = np.zeros((len(inputs), len(process_names)), dtype=np.int64)  # (F, P) background events
    for row, path, own, n_background in zip(per_process, inputs, to_output, counts[:, -1], strict=True):
        if n_background:
            np.add.at(row, own, count_background_processes(path, len(own)))
    scaled = np.column_stack([counts[:, :-1], per_process])  # (F, B + P)
    totals = scaled.sum(axis=0)
    k_factors = scaled / np.where(totals > 0, totals, 1)
    n_buckets = max(1, -(-n_events // bucket_events))
    rng = np.random.default_rng(seed)
    with_truth = _carry_true_weights(inputs, background_only=counts[:, :-1].sum(axis=1) == 0)

    with (
        atomic_path(output) as temporary_output,
        tempfile.TemporaryDirectory(prefix=f".{output.name}.", suffix=".buckets", dir=output.parent) as scratch,
        janitor.removed_if_killed(Path(scratch)),
    ):
        with open_for_writing(Path(scratch) / "buckets.h5") as buckets:
            writers = [SampleWriter(buckets.create_group(str(b)), n_observables, n_benchmarks, chunk_rows=4096,
                                    process_names=process_names, true_weights=with_truth) for b in range(n_buckets)]
            for path, k_factor, process_index in zip(inputs, k_factors, to_output, strict=True):
                for chunk in iter_samples(path, chunk_size=bucket_events):
                    check_finite_weights(chunk.weights, chunk.start, path)
                    processes = np.where(chunk.background_processes >= 0,
                                         process_index[np.maximum(chunk.background_processes, 0)], -1)
                    scale = k_factor[np.where(processes >= 0, n_benchmarks + processes, chunk.sampling_benchmarks)]
                    target = rng.integers(n_buckets, size=len(chunk))
                    order = np.argsort(target, kind="stable")
                    bounds = np.searchsorted(target[order], np.arange(n_buckets + 1))
                    # a background-only input's weights are its true ones
                    true_source = chunk.weights if chunk.true_weights is None else chunk.true_weights
                    for bucket, writer in enumerate(writers):
                        rows = order[bounds[bucket] : bounds[bucket + 1]]
                        true_weights = true_source[rows] * scale[rows, np.newaxis] if with_truth else None
                        writer.append(chunk.observations[rows], chunk.weights[rows] * scale[rows, np.newaxis],
                                      chunk.sampling_benchmarks[rows], processes[rows], true_weights)
            with open_for_writing(temporary_output) as file:
                write_setup_sections(file, setup)
                writer = SampleWriter(file, n_observables, n_benchmarks, process_names=process_names,
                                      true_weights=with_truth)
                names = ("observations", "weights", "sampling_benchmarks", "background_processes",
                         *(("true_weights",) if with_truth else ()))
                for bucket in range(n_buckets):
                    group = buckets[str(bucket)]
                    shuffle = rng.permutation(group["samples/weights"].shape[0])
                    writer.append(*(group[f"samples/{name}"][()][shuffle] for name in names))
                write_sample_summary(file, counts[:, :-1].sum(axis=0), counts[:, -1].sum())
                file.create_dataset("goldmine/k_factors", data=k_factors)
                file.create_dataset("goldmine/input_events", data=counts)
                provenance.attach(file)
    log.info("combined %d events from %d files into %s", n_events, len(inputs), output)
    return CombineResult(n_events, tuple(int(n) for n in counts.sum(axis=1)), k_factors)


def _carry_true_weights(inputs: Sequence[Path], background_only: np.ndarray) -> bool:
    """Whether the combined file gets true weights: where some input has them, only if every
    input with signal events has them (a true weight of some events only would mean nothing
    for the sample). An input of background events only (``background_only`` (F,) bool)
    needs none: a background's weights are the same at every θ, so they are its true
    weights whatever its latent variables."""
    holding = np.array([has_true_weights(path) for path in inputs], dtype=bool)
    covered = holding | background_only
    if holding.any() and not covered.all():
        lacking = [str(path) for path, held in zip(inputs, covered, strict=True) if not held]
        log.warning("true weights left out of the combined file: %s have none", ", ".join(lacking))
    return bool(holding.any() and covered.all())
