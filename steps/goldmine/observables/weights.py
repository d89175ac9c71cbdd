"""Benchmark weights for the observables stage: named, ordered, aligned and normalised.

Event files name their weights in their own order: an LHE file has the nominal weight
(the sampling benchmark) and ``<rwgt>`` ids; Delphes keeps ``Weight.Weight`` in HepMC
order without names. :class:`WeightColumns` maps any such list of names onto the
setup's benchmark order. Weights in ``events.h5`` are normalised so that over all
events of a job they sum to the cross section in pb (MadGraph's ``event_norm =
average``: each event weight estimates σ, so divide by the number of events).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from goldmine.errors import InputFileError
from goldmine.io.lhe_weights import TRUE_WEIGHT_PREFIX, LHEWeights

__all__ = ["NOMINAL", "LHEWeightRows", "WeightColumns", "normalisation", "true_weight_columns"]

#: Name of the nominal weight (the sampling benchmark's) in HepMC files written by Pythia.
NOMINAL = "Weight"


#: Relative difference up to which the nominal weight equals the sampling benchmark's own
#: named weight (LHE files print 8 significant digits; Delphes keeps float32).
SAMPLING_WEIGHT_RTOL = 1e-5


@dataclass(frozen=True)
class WeightColumns:
    """``index[b]``: column of the file's weight matrix holding setup benchmark ``b``;
    ``same_weight``: (nominal column, named column) of the sampling benchmark where the
    file carries both, which must agree event by event; for a ``background``'s events the
    column of the nominal weight, which every benchmark's must equal exactly, but for the
    ``varied`` ones (nuisance benchmarks: the events' scale variations)."""

    index: np.ndarray
    sampling_benchmark: str | None
    source: str
    same_weight: tuple[int, int] | None = None
    background: str | None = None
    nominal: int | None = None
    benchmarks: tuple[str, ...] = ()
    varied: tuple[str, ...] = ()

    @classmethod
    def match(cls, file_names: Sequence[str], benchmarks: Sequence[str], sampling_benchmark: str | None,
              source: str, *, background: str | None = None, varied: Sequence[str] = ()) -> WeightColumns:
        """``file_names``: the file's weight names, where ``NOMINAL`` (or the sampling
        benchmark's own name) stands for the sampling benchmark; ``varied``: the nuisance
        benchmarks among ``benchmarks``."""
        if background is not None:
            return cls._background(list(file_names), benchmarks, background, source, tuple(varied))
        names = [sampling_benchmark if name == NOMINAL else name for name in file_names]
        missing = [name for name in benchmarks if name not in names]
        if missing:
            msg = f"{source}: no weights for the benchmarks {missing} (the file has {list(file_names)})"
            if NOMINAL in file_names and sampling_benchmark in file_names and len(missing) == 1:
                msg += (f"; its nominal weight is that of the benchmark it was sampled at, and it names the others: "
                        f"were its events sampled at {missing[0]}, not --sampling-benchmark {sampling_benchmark}?")
            raise InputFileError(msg)
        same_weight = None
        if NOMINAL in file_names and sampling_benchmark in file_names:
            same_weight = (list(file_names).index(NOMINAL), list(file_names).index(sampling_benchmark))
        return cls(np.array([names.index(name) for name in benchmarks], dtype=np.int64), sampling_benchmark, source,
                   same_weight)

    @classmethod
    def _background(cls, file_names: list[str], benchmarks: Sequence[str], background: str,
                    source: str, varied: tuple[str, ...]) -> WeightColumns:
        """A background's columns: its nominal weight stands for every benchmark when the
        file names none (MadGraph without reweighting); where it names them, all of them."""
        if NOMINAL not in file_names:
            raise InputFileError(f"{source}: background {background}'s events carry no nominal weight "
                                 f"(the file has {file_names})")
        nominal = file_names.index(NOMINAL)
        named = [name for name in benchmarks if name in file_names]
        if named and len(named) < len(benchmarks):
            missing = [name for name in benchmarks if name not in file_names]
            raise InputFileError(f"{source}: background {background}'s events have weights for some benchmarks but "
                                 f"none for {missing}; give all or none (then the nominal one stands for each)")
        if varied and not named:
            raise InputFileError(f"{source}: background {background}'s events have no weights for the nuisance "
                                 f"benchmarks {list(varied)}, so its scale variations are unknown")
        index = [file_names.index(name) for name in benchmarks] if named else [nominal] * len(benchmarks)
        return cls(np.array(index, dtype=np.int64), None, source, background=background, nominal=nominal,
                   benchmarks=tuple(benchmarks), varied=varied)

    def check_sampling(self, weights: np.ndarray, first_event: int) -> None:
        """Raise InputFileError at the first of the file's events [first_event, first_event
        + n) whose nominal weight is not its sampling benchmark's own (sampled elsewhere),
        or, for a background, whose weights differ between benchmarks."""
        if self.background is not None:
            fixed = np.array([b not in self.varied for b in self.benchmarks], dtype=bool)
            differs = (weights[:, self.index] != weights[:, [self.nominal]]) & fixed
            if differs.any():
                row = int(np.argmax(differs.any(axis=1)))
                column = int(np.argmax(differs[row]))
                msg = (f"{self.source}: event {first_event + row} of background {self.background} has the weight "
                       f"{weights[row, self.index[column]]:.8g} at {self.benchmarks[column]} but the nominal weight "
                       f"{weights[row, self.nominal]:.8g}; a background's weight is the same at every benchmark")
                raise InputFileError(msg)
            return
        if self.same_weight is not None:
            nominal, named = weights[:, self.same_weight[0]], weights[:, self.same_weight[1]]
            bad = ~np.isclose(nominal, named, rtol=SAMPLING_WEIGHT_RTOL, atol=0.0)
            if bad.any():
                row = int(np.argmax(bad))
                msg = (f"{self.source}: event {first_event + row} has the nominal weight {nominal[row]:.8g}, but its "
                       f"{self.sampling_benchmark} weight is {named[row]:.8g}; the nominal weight is that of the "
                       f"benchmark the events were sampled at, so they were not sampled at --sampling-benchmark "
                       f"{self.sampling_benchmark}")
                raise InputFileError(msg)

    def select(self, weights: np.ndarray) -> np.ndarray:
        """The setup's columns of ``weights`` (n, W), in benchmark order."""
        return weights[:, self.index]


def true_weight_columns(file_names: Sequence[str], benchmarks: Sequence[str], source: str) -> np.ndarray | None:
    """Columns (B,) of the file's true weights ``true:<benchmark>`` in benchmark order; None
    when it has none. Some but not all is an error: the file is not what it claims."""
    wanted = [TRUE_WEIGHT_PREFIX + name for name in benchmarks]
    present = [name for name in wanted if name in file_names]
    if not present:
        return None
    if len(present) < len(wanted):
        missing = [name for name in wanted if name not in file_names]
        raise InputFileError(f"{source}: true weights for some benchmarks but none for {missing}")
    return np.array([list(file_names).index(name) for name in wanted], dtype=np.int64)


def normalisation(event_norm: str | None, n_events: int, source: str) -> float:
    """Factor that turns the file's per-event weights into pb per event of the job."""
    if event_norm in (None, "average"):
        return 1.0 / n_events
    if event_norm == "sum":
        return 1.0
    raise InputFileError(f"{source}: event_norm = {event_norm} is not supported (use average or sum)")


class LHEWeightRows:
    """Hands out an LHE file's weights ``take(n)`` rows at a time, in event order, with
    the nominal weight as column 0 followed by the ``<rwgt>`` columns."""

    def __init__(self, chunks: Iterator[LHEWeights], source: str) -> None:
        self._chunks = chunks
        self._source = source
        self._pending: list[np.ndarray] = []
        self._n_pending = 0
        self.names: tuple[str, ...] | None = None

    def take(self, n_rows: int, first_event: int) -> np.ndarray:
        while self._n_pending < n_rows:
            chunk = next(self._chunks, None)
            if chunk is None:
                msg = (f"{self._source}: has {first_event + self._n_pending} events, fewer than the "
                       f"{first_event + n_rows} events to weight; the files cannot be aligned")
                raise InputFileError(msg)
            self.names = (NOMINAL, *chunk.names)
            self._pending.append(np.column_stack([chunk.nominal, chunk.weights]))
            self._n_pending += len(chunk.nominal)
        rows = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        taken, rest = rows[:n_rows], rows[n_rows:]
        self._pending, self._n_pending = ([rest] if len(rest) else []), len(rest)
        return taken

    def has_more(self) -> bool:
        """Whether rows are left after those taken (reads at most one more chunk)."""
        if self._n_pending:
            return True
        chunk = next(self._chunks, None)
        if chunk is None:
            return False
        self._pending, self._n_pending = [np.column_stack([chunk.nominal, chunk.weights])], len(chunk.nominal)
        return True
