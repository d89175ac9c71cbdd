"""Columnar reading of Delphes ROOT files (tree ``Delphes``) with uproot, in chunks.

Only the branches the objects need are read. Real Delphes and goldmine's built-in
detector write the same layout, so both are read here. Delphes keeps the event
weights (``Weight.Weight``, one entry per HepMC weight, float32) but not their names;
goldmine's built-in detector stores the names in a ``goldmine_weight_names`` string.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import awkward as ak
import numpy as np

from goldmine.errors import InputFileError

__all__ = ["DELPHES_TREE", "OBJECT_BRANCHES", "TRUTH_BRANCHES", "WEIGHT_NAMES_KEY", "DelphesChunk", "count_delphes_events", "iter_delphes", "weight_names"]

DELPHES_TREE = "Delphes"
WEIGHT_NAMES_KEY = "goldmine_weight_names"
OBJECT_BRANCHES = (
    "Electron.PT", "Electron.Eta", "Electron.Phi", "Electron.Charge",
    "Muon.PT", "Muon.Eta", "Muon.Phi", "Muon.Charge",
    "Photon.PT", "Photon.Eta", "Photon.Phi", "Photon.E",
    "Jet.PT", "Jet.Eta", "Jet.Phi", "Jet.Mass", "Jet.BTag", "Jet.Charge",
    "MissingET.MET", "MissingET.Phi",
)
#: goldmine's truth "detector" (``detector.backend: none``) also writes the neutrinos and
#: Higgs bosons, which no real detector sees: read where present.
TRUTH_BRANCHES = (
    "Neutrino.PT", "Neutrino.Eta", "Neutrino.Phi",
    "Higgs.PT", "Higgs.Eta", "Higgs.Phi", "Higgs.Mass",
)
_WEIGHT_BRANCH = "Weight.Weight"


@dataclass(frozen=True, eq=False)
class DelphesChunk:
    """``branches``: awkward arrays by branch name; ``weights``: (n, W) float64 from
    ``Weight.Weight`` or None when the file has none; ``first_event``: index of row 0."""

    branches: dict[str, ak.Array]
    weights: np.ndarray | None
    first_event: int

    def __len__(self) -> int:
        return len(self.branches["Jet.PT"])


def _open_tree(path: Path):  # noqa: ANN202 - uproot's TTree type
    import uproot

    try:
        file = uproot.open(path)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except Exception as err:  # uproot raises several types for non-ROOT input
        raise InputFileError(f"{path}: not a readable ROOT file ({err})") from None
    if DELPHES_TREE not in file:
        keys = ", ".join(sorted({key.split(";")[0] for key in file.keys()})) or "nothing"
        raise InputFileError(f"{path}: no tree {DELPHES_TREE!r} (the file holds {keys})")
    return file, file[DELPHES_TREE]


def weight_names(path: str | Path) -> tuple[str, ...] | None:
    """Weight names stored by goldmine's built-in detector, or None (real Delphes)."""
    file, _ = _open_tree(Path(path))
    if WEIGHT_NAMES_KEY not in file:
        return None
    return tuple(str(file[WEIGHT_NAMES_KEY]).split())


def _checked_tree(path: Path):  # noqa: ANN202 - uproot's TTree
    """The ``Delphes`` tree, after checking that it has the object branches and events."""
    _, tree = _open_tree(path)
    missing = [name for name in OBJECT_BRANCHES if name not in tree]
    if missing:
        raise InputFileError(f"{path}: tree {DELPHES_TREE!r} lacks the branches {', '.join(missing)}")
    if tree.num_entries == 0:
        raise InputFileError(f"{path}: tree {DELPHES_TREE!r} holds no events")
    return tree


def count_delphes_events(path: str | Path) -> int:
    """Number of events in the ``Delphes`` tree, after checking that it has the object
    branches and at least one event."""
    return int(_checked_tree(Path(path)).num_entries)


def iter_delphes(path: str | Path, *, chunk_events: int = 100_000) -> Iterator[DelphesChunk]:
    """Stream the object branches (and weights, if present) of a Delphes file."""
    path = Path(path)
    tree = _checked_tree(path)
    has_weights = _WEIGHT_BRANCH in tree
    objects = [*OBJECT_BRANCHES, *(TRUTH_BRANCHES if all(name in tree for name in TRUTH_BRANCHES) else ())]
    names = [*objects, _WEIGHT_BRANCH] if has_weights else objects
    first = 0
    for arrays in _read_or_name(path, tree.iterate(filter_name=names, step_size=chunk_events, library="ak")):
        branches = {name: arrays[name] for name in objects}
        weights = _weight_matrix(arrays[_WEIGHT_BRANCH], path, first) if has_weights else None
        yield DelphesChunk(branches, weights, first)
        first += len(arrays)


def _read_or_name(path: Path, chunks: Iterator[ak.Array]) -> Iterator[ak.Array]:
    """uproot's chunks; its errors on a cut or corrupt file (OSError, DeserializationError,
    ...) become InputFileError naming the file."""
    while True:
        try:
            arrays = next(chunks)
        except StopIteration:
            return
        except Exception as err:  # noqa: BLE001 - uproot raises many types for damaged baskets
            first_line = (str(err).splitlines() or [type(err).__name__])[0]
            msg = f"{path}: cannot read its events, the ROOT file is damaged or incomplete ({first_line})"
            raise InputFileError(msg) from err
        yield arrays


def _weight_matrix(weights: ak.Array, path: Path, first_event: int) -> np.ndarray:
    counts = ak.to_numpy(ak.num(weights, axis=1))
    if len(counts) and (counts != counts[0]).any():
        bad = int(np.flatnonzero(counts != counts[0])[0])
        msg = f"{path}: event {first_event + bad} has {counts[bad]} entries in {_WEIGHT_BRANCH}, event {first_event} has {counts[0]}"
        raise InputFileError(msg)
    width = int(counts[0]) if len(counts) else 0
    return ak.to_numpy(ak.flatten(weights)).astype(np.float64).reshape(len(counts), width)
