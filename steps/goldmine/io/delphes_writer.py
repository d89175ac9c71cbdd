"""Write Delphes-layout ROOT trees (tree ``Delphes``, branches ``Jet.PT`` ... with
``Jet_size`` counters) with uproot, chunk by chunk, so that readers of real Delphes
output (goldmine's observables stage, MadMiner, ROOT macros) read ours the same way."""

from __future__ import annotations

from collections.abc import Mapping

import awkward as ak

from goldmine.io.delphes_root import DELPHES_TREE, WEIGHT_NAMES_KEY

__all__ = ["DelphesTreeWriter"]


class DelphesTreeWriter:
    """``extend({"Jet": records, ...})`` appends events; each value is a jagged array of
    records whose fields become the ``<Collection>.<Field>`` branches (float32 / int32,
    as in Delphes). The weight names are stored beside the tree."""

    def __init__(self, file, weight_names: tuple[str, ...]) -> None:  # noqa: ANN001 - uproot WritableDirectory
        self._file = file
        self._tree = None
        file[WEIGHT_NAMES_KEY] = " ".join(weight_names)

    def extend(self, collections: Mapping[str, ak.Array]) -> None:
        if self._tree is None:
            types = {name: array.type.content for name, array in collections.items()}
            self._tree = self._file.mktree(DELPHES_TREE, types, counter_name=lambda name: f"{name}_size",
                                           field_name=lambda outer, inner: f"{outer}.{inner}")
        self._tree.extend(dict(collections))
