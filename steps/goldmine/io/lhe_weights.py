"""Event weights from Les Houches event files (MadGraph reweighting), read in chunks.

An LHE event carries its nominal weight XWGTUP (pb, with MadGraph's
``event_norm = average``) on its first line and, after reweighting, a block

    <rwgt> <wgt id='w_pos'> +1.75e-01 </wgt> ... </rwgt>

whose ids follow the ``<initrwgt>`` header. The built-in generator may add, per benchmark,
``true:<benchmark>``: the weight with the latent variables summed over
(:mod:`goldmine.generate.wh_likelihood`). Only the weights are parsed here; see
:mod:`goldmine.io.lhe_events` for particles.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from goldmine.errors import InputFileError
from goldmine.io.lhe_events import iter_lhe_chunks, parse_weights

__all__ = ["TRUE_WEIGHT_PREFIX", "LHEWeights", "iter_lhe_weights", "read_lhe_weights"]

#: LHE weight id prefix of a benchmark's true (latent-summed) weight: ``true:sm``.
TRUE_WEIGHT_PREFIX = "true:"


@dataclass(frozen=True, eq=False)
class LHEWeights:
    """``nominal`` (N,) XWGTUP in pb; ``weights`` (N, W) in pb, columns named ``names``."""

    names: tuple[str, ...]
    nominal: np.ndarray
    weights: np.ndarray

    def column(self, name: str) -> np.ndarray:
        return self.weights[:, self.names.index(name)]


def iter_lhe_weights(path: str | Path, *, chunk_events: int = 10_000) -> Iterator[LHEWeights]:
    """Stream the weights of an LHE file (plain or gzip) in chunks of ``chunk_events``."""
    path = Path(path)
    for header, text, first in iter_lhe_chunks(path, chunk_events=chunk_events):
        nominal, weights = parse_weights(text, header.weight_names, first, path)
        yield LHEWeights(header.weight_names, nominal, weights)


def read_lhe_weights(path: str | Path) -> LHEWeights:
    """All weights of an LHE file at once (for small files and tests)."""
    chunks = list(iter_lhe_weights(path))
    if not chunks:
        raise InputFileError(f"{path}: no complete event")
    return LHEWeights(
        chunks[0].names,
        np.concatenate([c.nominal for c in chunks]),
        np.concatenate([c.weights for c in chunks]),
    )
