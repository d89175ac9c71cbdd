"""Write Les Houches event files (LHEF 3.0) with one ``<rwgt>`` weight per benchmark.

The layout follows MadGraph5_aMC's: ``<initrwgt>`` lists the weight ids (the benchmark
names) in the order of every event's ``<rwgt>`` block, XWGTUP is the nominal weight in pb
with MadGraph's ``event_norm = average`` meaning (the mean of XWGTUP is the cross
section), and the header says so in a line :mod:`goldmine.io.lhe_events` understands.
Events have a fixed number of particles, written from arrays, never particle objects.
:func:`write_flat_weights` adds the same weight declarations to another generator's file.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from goldmine.errors import InputFileError
from goldmine.io.lhe_events import iter_lhe_chunks, read_lhe_header

__all__ = ["LHEEvents", "LHEInit", "write_flat_weights", "write_lhe"]

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


_XWGTUP = re.compile(r"<event[^>]*>\s*\n\s*\S+\s+\S+\s+(\S+)")
_END_OF_EVENT = "</event>"


def write_flat_weights(source: str | Path, destination: str | Path, weight_names: tuple[str, ...], *,
                       comment: str = "") -> int:
    """Copy the LHE file ``source`` (another generator's, without weights of its own) to
    ``destination`` with a ``<rwgt>`` block in every event whose weights all repeat its
    XWGTUP text character for character: the weight of a θ-independent sample at every
    benchmark. Everything else is kept as it is. Returns the number of events."""
    source = Path(source)
    header = read_lhe_header(source)
    if header.weight_names or "<initrwgt>" in header.text:
        raise InputFileError(f"{source}: has weights of its own ({', '.join(header.weight_names) or '<initrwgt>'}); "
                             "a background's events are written with the nominal weight at every benchmark")
    declarations = ["<goldmine>", comment.strip(), "</goldmine>",
                    *_weight_declarations(weight_names, dict.fromkeys(weight_names, "background"))]
    added = "\n".join(declarations) + "\n"
    if "</header>" in header.text:
        head = header.text.replace("</header>", added + "</header>", 1)
    else:
        opening = header.text.index(">", header.text.index("<LesHouchesEvents")) + 1
        head = f"{header.text[:opening]}\n<header>\n{added}</header>{header.text[opening:]}"
    n_events = 0
    with _open_for_writing(destination) as stream:
        stream.write(head)
        for _, text, first_event in iter_lhe_chunks(source):
            bodies = text.split(_END_OF_EVENT)
            nominal = _XWGTUP.findall(text)
            if len(nominal) != len(bodies) - 1:
                raise InputFileError(f"{source}: an event among {first_event} … {first_event + len(bodies) - 2} has "
                                     "no XWGTUP on its first line")
            stream.write("".join(f"{body}<rwgt>\n" + "".join(f"<wgt id='{name}'> {weight} </wgt>\n"
                                                             for name in weight_names) + "</rwgt>\n" + _END_OF_EVENT
                                 for body, weight in zip(bodies, nominal, strict=False)))
            stream.write(bodies[-1])
            n_events += len(nominal)
        stream.write("</LesHouchesEvents>\n")
    return n_events
