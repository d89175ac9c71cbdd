"""HepMC (2 or 3 ascii, plain or gzip) read with pyhepmc into columnar chunks.

pyhepmc parses one event at a time in C++; per event we only copy its numpy views
(pid, status, momenta in GeV) and weights, and build awkward arrays per chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


def iter_hepmc(path: str | Path, *, chunk_events: int = 1000) -> Iterator[HepMCChunk]:
    import pyhepmc

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    rows: list[tuple] = []
    first, names = 0, ()
    try:
        with pyhepmc.open(path) as stream:
            for event in stream:
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
