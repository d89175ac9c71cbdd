"""Event weights from Les Houches event files (MadGraph reweighting), read in chunks.

An LHE event carries its nominal weight XWGTUP (pb, with MadGraph's
``event_norm = average``) on its first line and, after reweighting, a block

    <rwgt> <wgt id='w_pos'> +1.75e-01 </wgt> ... </rwgt>

whose ids follow the ``<initrwgt>`` header. Chunks of events are parsed with regular
expressions over the chunk's text, not event by event.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from goldmine.errors import InputFileError

__all__ = ["LHEWeights", "iter_lhe_weights", "read_lhe_weights"]

_WEIGHT_ID = re.compile(r"<weight\s+id=['\"]([^'\"]+)['\"]")
_EVENT_LINE = re.compile(r"<event[^>]*>\s*\n\s*\S+\s+\S+\s+(\S+)")
_WGT = re.compile(r"<wgt\s+id=['\"]([^'\"]+)['\"]\s*>\s*(\S+)\s*</wgt>")


@dataclass(frozen=True, eq=False)
class LHEWeights:
    """``nominal`` (N,) XWGTUP in pb; ``weights`` (N, W) in pb, columns named ``names``."""

    names: tuple[str, ...]
    nominal: np.ndarray
    weights: np.ndarray

    def column(self, name: str) -> np.ndarray:
        return self.weights[:, self.names.index(name)]


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt")
    return open(path)


def _header_names(stream: IO[str], path: Path) -> tuple[tuple[str, ...], str]:
    """Weight ids from ``<initrwgt>``, and the first line of the first event."""
    header: list[str] = []
    for line in stream:
        if line.lstrip().startswith("<event"):
            text = "".join(header)
            block = text[text.find("<initrwgt>") : text.find("</initrwgt>")] if "<initrwgt>" in text else ""
            return tuple(_WEIGHT_ID.findall(block)), line
        header.append(line)
    msg = f"{path}: no <event> found; is this an LHE file?"
    raise InputFileError(msg)


def _parse_chunk(text: str, names: tuple[str, ...], first_event: int, path: Path) -> tuple[np.ndarray, np.ndarray]:
    nominal = np.array(_EVENT_LINE.findall(text), dtype=float)
    pairs = _WGT.findall(text)
    n_events, n_weights = len(nominal), len(names)
    if len(pairs) != n_events * n_weights:
        _raise_first_bad_event(text, names, first_event, path)
    ids = np.array([pair[0] for pair in pairs], dtype=object).reshape(n_events, n_weights)
    if n_weights and not (ids == np.array(names, dtype=object)).all():
        _raise_first_bad_event(text, names, first_event, path)
    values = np.array([pair[1] for pair in pairs], dtype=float).reshape(n_events, n_weights)
    return nominal, values


def _raise_first_bad_event(text: str, names: tuple[str, ...], first_event: int, path: Path) -> None:
    for offset, block in enumerate(text.split("</event>")):
        ids = tuple(pair[0] for pair in _WGT.findall(block))
        if ids != names:
            msg = (
                f"{path}: event {first_event + offset} has weights {list(ids)}, "
                f"but the <initrwgt> header declares {list(names)}"
            )
            raise InputFileError(msg)
    msg = f"{path}: inconsistent weights in events from {first_event}"
    raise InputFileError(msg)


def iter_lhe_weights(path: str | Path, *, chunk_events: int = 10_000) -> Iterator[LHEWeights]:
    """Stream the weights of an LHE file (plain or gzip) in chunks of ``chunk_events``."""
    path = Path(path)
    try:
        stream = _open(path)
    except OSError as err:
        raise InputFileError(f"{path}: {err.strerror}") from err
    with stream:
        names, first_line = _header_names(stream, path)
        lines, n_closed, n_done = [first_line], 0, 0
        for line in stream:
            lines.append(line)
            if line.lstrip().startswith("</event>"):
                n_closed += 1
                if n_closed == chunk_events:
                    nominal, weights = _parse_chunk("".join(lines), names, n_done, path)
                    yield LHEWeights(names, nominal, weights)
                    lines, n_closed, n_done = [], 0, n_done + n_closed
        if n_closed:
            nominal, weights = _parse_chunk("".join(lines), names, n_done, path)
            yield LHEWeights(names, nominal, weights)


def read_lhe_weights(path: str | Path) -> LHEWeights:
    """All weights of an LHE file at once (for small files and tests)."""
    chunks = list(iter_lhe_weights(path))
    if not chunks:
        msg = f"{path}: no complete event"
        raise InputFileError(msg)
    return LHEWeights(
        chunks[0].names,
        np.concatenate([c.nominal for c in chunks]),
        np.concatenate([c.weights for c in chunks]),
    )
