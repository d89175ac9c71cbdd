"""HepMC (2 or 3 ascii, plain or gzip) read with pyhepmc into columnar chunks.

pyhepmc parses one event at a time in C++; per event we only copy its numpy views
(pid, status, momenta in GeV) and weights, and build awkward arrays per chunk.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import awkward as ak
import numpy as np

from goldmine.errors import InputFileError

__all__ = ["HepMCChunk", "iter_hepmc"]


@dataclass(frozen=True, eq=False)
class HepMCChunk:
    """``particles``: events × particles of records ``pid status px py pz e`` (GeV);
    ``weights`` (n, W); ``weight_names`` (W,) as the file names them."""

    first_event: int
    particles: ak.Array
    weights: np.ndarray
    weight_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.weights)


def _chunk(rows: list[tuple], first: int, names: tuple[str, ...], path: Path) -> HepMCChunk:
    counts = np.array([len(row[0]) for row in rows])
    columns = {name: np.concatenate([row[i] for row in rows]) for i, name in
               enumerate(("pid", "status", "px", "py", "pz", "e"))}
    widths = {len(row[6]) for row in rows}
    if len(widths) != 1:
        raise InputFileError(f"{path}: events {first}-{first + len(rows) - 1} carry different numbers of weights")
    return HepMCChunk(first, ak.unflatten(ak.zip(columns), counts), np.array([row[6] for row in rows]), names)


#: The last line of a complete HepMC ascii file, by format.
_FOOTERS = (b"HepMC::Asciiv3-END_EVENT_LISTING", b"HepMC::IO_GenEvent-END_EVENT_LISTING")


class _TailWatch(io.RawIOBase):
    """A readable file that remembers the last bytes read from it: pyhepmc drops a
    truncated last event with a message on stderr and ends the iteration as if the file
    were complete, so completeness is the footer at the file's end."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.tail = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        self.tail = (self.tail + data)[-256:]
        return len(data)

    def complete(self) -> bool:
        return self.tail.rstrip().endswith(_FOOTERS)


def iter_hepmc(path: str | Path, *, chunk_events: int = 1000) -> Iterator[HepMCChunk]:
    import pyhepmc

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as raw:
        watched = _TailWatch(raw)
        format_name = "hepmc2" if b"HepMC::IO_GenEvent" in raw.peek(256)[:256] else "hepmc3"
        try:
            n_events = yield from _read_chunks(pyhepmc, watched, format_name, path, chunk_events)
        except EOFError as err:  # a gzip stream cut short
            raise InputFileError(f"{path}: truncated ({err})") from None
        if not watched.complete():
            raise InputFileError(f"{path}: truncated after event {n_events - 1}: the file ends without HepMC's "
                                 "END_EVENT_LISTING footer (a cut event is dropped by the reader)")


def _read_chunks(pyhepmc: Any, stream: _TailWatch, format_name: str, path: Path,
                 chunk_events: int) -> Generator[HepMCChunk, None, int]:
    """The events of ``stream`` in chunks; returns how many were read."""
    rows: list[tuple] = []
    first, names = 0, ()
    try:
        with pyhepmc.open(stream, format=format_name) as reader:
            for event in reader:
                if event.momentum_unit != pyhepmc.Units.GEV:
                    event.set_units(pyhepmc.Units.GEV, event.length_unit)
                view = event.numpy.particles
                rows.append((view.pid.copy(), view.status.copy(), view.px.copy(), view.py.copy(), view.pz.copy(),
                             view.e.copy(), list(event.weights)))
                if not names and event.run_info is not None:
                    names = tuple(event.run_info.weight_names)
                if len(rows) == chunk_events:
                    yield _chunk(rows, first, names, path)
                    first, rows = first + len(rows), []
    except (OSError, RuntimeError, ValueError) as err:
        raise InputFileError(f"{path}: unreadable HepMC after event {first + len(rows) - 1}: {err}") from None
    if rows:
        yield _chunk(rows, first, names, path)
    elif first == 0:
        raise InputFileError(f"{path}: no HepMC events")
    return first + len(rows)
