"""Write Les Houches event files (LHEF 3.0) with one ``<rwgt>`` weight per benchmark.

The layout follows MadGraph5_aMC's: ``<initrwgt>`` lists the weight ids (the benchmark
names) in the order of every event's ``<rwgt>`` block, XWGTUP is the nominal weight in pb
with MadGraph's ``event_norm = average`` meaning (the mean of XWGTUP is the cross
section), and the header says so in a line :mod:`goldmine.io.lhe_events` understands.
Events have a fixed number of particles, written from arrays, never particle objects.
:func:`write_derived_weights` gives another generator's file weights of goldmine's in the same layout.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from goldmine.errors import InputFileError
from goldmine.io.lhe_events import EVENT_LINE, WGT, iter_lhe_chunks, parse_weights, read_lhe_header

__all__ = ["DerivedWeight", "LHEEvents", "LHEInit", "write_derived_weights", "write_lhe"]

_EVENT_NORM_LINE = ("  average = event_norm ! XWGTUP is normalised as MadGraph's event_norm = average: its mean is "
                    "the cross section in pb")
_PARTICLE = "{:>9d} {:>2d} {:>4d} {:>4d} {:>4d} {:>4d} {:+.10e} {:+.10e} {:+.10e} {:.10e} {:.10e} 0.0000e+00 9.0000e+00\n"


@dataclass(frozen=True)
class LHEInit:
    """The ``<init>`` block: beams (PDG id, energy in GeV), PDF set (LHAPDF id), the process
    id and its cross section ± error in pb."""

    beam_ids: tuple[int, int]
    beam_energies: tuple[float, float]
    lhapdf_id: int
    process_id: int
    cross_section: float
    cross_section_error: float


@dataclass(frozen=True)
class LHEEvents:
    """n events of k particles each.

    ``pid``, ``status`` (LHE ISTUP: −1 incoming, 2 intermediate, 1 final) (n, k) int;
    ``mothers`` (n, k, 2) 1-based within the event, 0 for none; ``colours`` (n, k, 2);
    ``momenta`` (n, k, 5) px, py, pz, E, m in GeV; ``scale`` (SCALUP, GeV), ``alpha_qed``,
    ``alpha_qcd`` (n,); ``nominal`` (n,) pb; ``weights`` (n, W) pb in ``weight_names`` order.
    """

    pid: np.ndarray
    status: np.ndarray
    mothers: np.ndarray
    colours: np.ndarray
    momenta: np.ndarray
    scale: np.ndarray
    alpha_qed: np.ndarray
    alpha_qcd: np.ndarray
    nominal: np.ndarray
    weights: np.ndarray


def _weight_declarations(weight_names: tuple[str, ...], weight_labels: Mapping[str, str]) -> list[str]:
    lines = ["<initrwgt>", "<weightgroup name='goldmine_benchmarks'>"]
    lines += [f"<weight id='{name}'> {weight_labels.get(name, '')} </weight>" for name in weight_names]
    return [*lines, "</weightgroup>", "</initrwgt>"]


def _header(weight_names: tuple[str, ...], weight_labels: Mapping[str, str], comment: str) -> str:
    lines = ["<LesHouchesEvents version=\"3.0\">", "<header>", "<goldmine>", comment.strip(),
             _EVENT_NORM_LINE, "</goldmine>", *_weight_declarations(weight_names, weight_labels), "</header>"]
    return "\n".join(lines) + "\n"


def _init(init: LHEInit) -> str:
    (id1, id2), (e1, e2) = init.beam_ids, init.beam_energies
    return ("<init>\n"
            f"{id1} {id2} {e1:.6e} {e2:.6e} 0 0 {init.lhapdf_id} {init.lhapdf_id} -4 1\n"
            f"{init.cross_section:.6e} {init.cross_section_error:.6e} {init.cross_section:.6e} {init.process_id}\n"
            "</init>\n")


def _event_text(events: LHEEvents, index: int, process_id: int, weight_names: tuple[str, ...]) -> str:
    k = events.pid.shape[1]
    head = (f"<event>\n {k} {process_id} {events.nominal[index]:+.7e} {events.scale[index]:.8e} "
            f"{events.alpha_qed[index]:.8e} {events.alpha_qcd[index]:.8e}\n")
    rows = zip(events.pid[index].tolist(), events.status[index].tolist(), events.mothers[index].tolist(),
               events.colours[index].tolist(), events.momenta[index].tolist(), strict=True)
    body = "".join(_PARTICLE.format(pid, status, *mothers, *colours, *momentum)
                   for pid, status, mothers, colours, momentum in rows)
    weights = "".join(f"<wgt id='{name}'> {value:+.7e} </wgt>\n"
                      for name, value in zip(weight_names, events.weights[index].tolist(), strict=True))
    return f"{head}{body}<rwgt>\n{weights}</rwgt>\n</event>\n"


def _open_for_writing(path: str | Path) -> IO[str]:
    # gzip level 1: a ninth of level 9's time (1000 W h events: 14 vs 124 ms) for a file a third larger
    return gzip.open(path, "wt", compresslevel=1) if str(path).endswith(".gz") else open(path, "w")


def write_lhe(path: str | Path | IO[str], init: LHEInit, events: LHEEvents, weight_names: tuple[str, ...], *,
              weight_labels: Mapping[str, str] | None = None, comment: str = "") -> None:
    """Write ``events`` to ``path`` (gzip-compressed when it ends in ``.gz``)."""
    if events.weights.shape != (len(events.nominal), len(weight_names)):
        raise ValueError(f"weights have shape {events.weights.shape}, expected ({len(events.nominal)}, {len(weight_names)})")
    if isinstance(path, (str, Path)):
        with _open_for_writing(path) as stream:
            write_lhe(stream, init, events, weight_names, weight_labels=weight_labels, comment=comment)
        return
    path.write(_header(weight_names, weight_labels or {}, comment))
    path.write(_init(init))
    for index in range(len(events.nominal)):
        path.write(_event_text(events, index, init.process_id, weight_names))
    path.write("</LesHouchesEvents>\n")


_RWGT = re.compile(r"<rwgt>.*?</rwgt>\s*", re.DOTALL)
_INITRWGT = re.compile(r"<initrwgt>.*?</initrwgt>\s*", re.DOTALL)
_END_OF_EVENT = "</event>"


@dataclass(frozen=True)
class DerivedWeight:
    """An output weight ``name``: the source event's weight ``base`` (None: its XWGTUP),
    its text kept character for character; where ``varied`` names another of the source's
    weights, times the ratio of that weight to XWGTUP (a variation that another program
    computed for the event as generated, moved to the benchmark ``base``)."""

    name: str
    base: str | None = None
    varied: str | None = None


def write_derived_weights(source: str | Path, destination: str | Path, weights: Sequence[DerivedWeight], *,
                          weight_labels: Mapping[str, str] | None = None, comment: str = "") -> int:
    """Copy the LHE file ``source`` (another generator's) to ``destination`` with the
    ``<rwgt>`` weights ``weights`` in every event, declared in ``<initrwgt>`` in their
    order, instead of the source's own; everything else is kept as it is. Raises
    InputFileError naming the event whose derived weight is not finite, or a weight the
    source does not declare. Returns the number of events."""
    source = Path(source)
    header = read_lhe_header(source)
    names = header.weight_names
    unknown = [name for w in weights for name in (w.base, w.varied) if name is not None and name not in names]
    if unknown:
        raise InputFileError(f"{source}: declares no weight {unknown[0]!r} (its weights: {', '.join(names) or 'none'})")
    labels = {w.name: (weight_labels or {}).get(w.name, "") for w in weights}
    declarations = ["<goldmine>", comment.strip(), "</goldmine>",
                    *_weight_declarations(tuple(labels), labels)]
    added = "\n".join(declarations) + "\n"
    head = _INITRWGT.sub("", header.text)
    if "</header>" in head:
        head = head.replace("</header>", added + "</header>", 1)
    else:
        opening = head.index(">", head.index("<LesHouchesEvents")) + 1
        head = f"{head[:opening]}\n<header>\n{added}</header>{head[opening:]}"
    n_events = 0
    with _open_for_writing(destination) as stream:
        stream.write(head)
        for _, text, first_event in iter_lhe_chunks(source):
            nominal_text = np.array(EVENT_LINE.findall(text), dtype=object)
            if len(nominal_text) != text.count(_END_OF_EVENT):
                raise InputFileError(f"{source}: an event among {first_event} … "
                                     f"{first_event + text.count(_END_OF_EVENT) - 1} has no XWGTUP on its first line")
            nominal, values = parse_weights(text, names, first_event, source)  # checks every event's ids
            value_text = np.array([value for _, value in WGT.findall(text)], dtype=object).reshape(values.shape)
            columns = [_derived_column(w, names, nominal, nominal_text, values, value_text, first_event, source)
                       for w in weights]
            blocks = ["<rwgt>\n" + "".join(f"<wgt id='{w.name}'> {column[i]} </wgt>\n"
                                           for w, column in zip(weights, columns, strict=True)) + "</rwgt>\n"
                      for i in range(len(nominal))]
            bodies = _RWGT.sub("", text).split(_END_OF_EVENT)
            stream.write("".join(body + block + _END_OF_EVENT for body, block in zip(bodies, blocks, strict=False)))
            stream.write(bodies[-1])
            n_events += len(nominal)
        stream.write("</LesHouchesEvents>\n")
    return n_events


def _derived_column(weight: DerivedWeight, names: tuple[str, ...], nominal: np.ndarray, nominal_text: np.ndarray,
                    values: np.ndarray, value_text: np.ndarray, first_event: int, source: Path) -> np.ndarray:
    """The (n,) texts of one derived weight over a chunk's events."""
    base = nominal_text if weight.base is None else value_text[:, names.index(weight.base)]
    if weight.varied is None:
        return base
    base_value = nominal if weight.base is None else values[:, names.index(weight.base)]
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = base_value * values[:, names.index(weight.varied)] / nominal
    bad = ~np.isfinite(derived)
    if bad.any():
        event = int(np.argmax(bad))
        varied = float(values[event, names.index(weight.varied)])
        raise InputFileError(f"{source}: event {first_event + event}: weight {weight.varied!r} {varied!r} over "
                             f"XWGTUP {float(nominal[event])!r} gives no finite weight {weight.name!r}")
    return np.array([f"{w:.10e}" for w in derived.tolist()], dtype=object)
