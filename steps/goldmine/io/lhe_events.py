"""Les Houches event files, streamed in chunks of events into columnar arrays.

A chunk's text is cut into events and parsed by regular expressions and one
``np.fromstring`` over all particle lines, never event by event in Python. Each
event yields its nominal weight XWGTUP (pb), the ``<rwgt>`` weights in the order of the
``<initrwgt>`` header, and its particles (PDG id, status, momentum and mass in GeV).
A truncated or corrupt gzip stream is reported with the last complete event.
"""

from __future__ import annotations

import gzip
import io
import re
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from goldmine.errors import InputFileError

__all__ = [
    "EVENT_LINE", "WGT", "LHEChunk", "LHEHeader", "count_lhe_events", "iter_lhe_chunks", "iter_lhe_events",
    "parse_weights", "read_lhe_header",
]

_WEIGHT_ID = re.compile(r"<weight\s+id=['\"]([^'\"]+)['\"]")
_EVENT_NORM = re.compile(r"^\s*(\w+)\s*=\s*event_norm\b", re.MULTILINE)
_EVENT_BODY = re.compile(r"<event[^>]*>\s*\n([^<]*)")
_CLOSE = "</LesHouchesEvents>"
_END = "</event>"
#: An event's first line; its group is XWGTUP as written.
EVENT_LINE = re.compile(r"<event[^>]*>\s*\n\s*\S+\s+\S+\s+(\S+)")
_TAG = re.compile(r"<[^>]*>")
#: One ``<rwgt>`` weight; its groups are the id and the value as written.
WGT = re.compile(r"<wgt\s+id=['\"]([^'\"]+)['\"]\s*>\s*(\S+)\s*</wgt>")
_PARTICLE_COLUMNS = 13  # IDUP ISTUP MOTHUP(2) ICOLUP(2) PUP(5) VTIMUP SPINUP
_EVENT_COLUMNS = 6  # NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP


@dataclass(frozen=True)
class LHEHeader:
    """``weight_names``: the ``<initrwgt>`` ids in order; ``event_norm``: MadGraph's
    run-card ``event_norm`` (``average``, ``sum``, ``unity``) or None when absent."""

    weight_names: tuple[str, ...]
    event_norm: str | None
    text: str


@dataclass(frozen=True, eq=False)
class LHEChunk:
    """Events ``first_event`` … ``first_event + len - 1``: ``nominal`` (n,) pb,
    ``weights`` (n, W) pb, ``particles`` an awkward array (events × particles) of
    records ``pid status px py pz e m``."""

    first_event: int
    nominal: np.ndarray
    weights: np.ndarray
    particles: object  # ak.Array; awkward is imported only where particles are read

    def __len__(self) -> int:
        return len(self.nominal)


def _open(path: Path) -> IO[str]:
    try:
        return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)
    except OSError as err:
        raise InputFileError(f"{path}: {err.strerror or err}") from None


def _read_header(stream: IO[str], path: Path) -> tuple[LHEHeader, str]:
    lines: list[str] = []
    for line in stream:
        if line.lstrip().startswith("<event"):
            text = "".join(lines)
            block = text[text.find("<initrwgt>") : text.find("</initrwgt>")] if "<initrwgt>" in text else ""
            norm = _EVENT_NORM.search(text)
            return LHEHeader(tuple(_WEIGHT_ID.findall(block)), norm.group(1) if norm else None, text), line
        lines.append(line)
    raise InputFileError(f"{path}: no <event> found; is this an LHE file?")


def iter_lhe_chunks(path: str | Path, *, chunk_events: int = 10_000,
                    block_chars: int = 1 << 22) -> Iterator[tuple[LHEHeader, str, int]]:
    """(header, text of up to ``chunk_events`` complete events, index of its first event).
    The file is read in blocks of ``block_chars`` characters, not line by line."""
    path = Path(path)
    stream = _open(path)
    buffer, n_done = "", 0
    try:
        with stream:
            header, buffer = _read_header(stream, path)
            while True:
                block = stream.read(block_chars)
                buffer += block
                while buffer.count(_END, 0, None) >= chunk_events:
                    end = _end_of_event(buffer, chunk_events)
                    yield header, buffer[:end], n_done
                    buffer, n_done = buffer[end:], n_done + chunk_events
                if not block:
                    break
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        last = n_done + buffer.count(_END) - 1
        where = f"after event {last} (the last complete one)" if last >= 0 else "before the first complete event"
        raise InputFileError(f"{path}: truncated or corrupt {where}: {err}") from None
    except UnicodeDecodeError as err:
        raise InputFileError(f"{path}: not a text LHE file ({err.reason})") from None
    events_end = _end_of_event(buffer, buffer.count(_END)) if _END in buffer else 0
    _check_closed(buffer[events_end:], n_done + buffer.count(_END), path)
    if events_end:
        yield header, buffer[:events_end], n_done


def _check_closed(rest: str, n_events: int, path: Path) -> None:
    """What follows the last complete event must close the file: else it was cut (inside
    an event, which a reader would silently drop, or after one)."""
    if _CLOSE not in rest:
        where = f"after event {n_events - 1} (the last complete one)" if n_events else "before the first complete event"
        raise InputFileError(f"{path}: truncated {where}: no {_CLOSE} at its end")


def _end_of_event(text: str, n: int) -> int:
    """Index just past the ``n``-th ``</event>`` of ``text`` (which holds at least n)."""
    rest = text.split(_END, n)[-1]
    return len(text) - len(rest)


def parse_weights(text: str, names: tuple[str, ...], first_event: int, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Nominal (n,) and ``<rwgt>`` weights (n, W) of the events in ``text``."""
    nominal = np.array(EVENT_LINE.findall(text), dtype=float)
    pairs = WGT.findall(text)
    n_events, n_weights = len(nominal), len(names)
    if len(pairs) != n_events * n_weights:
        _raise_first_bad_event(text, names, first_event, path)
    if n_weights:
        ids = np.array([pair[0] for pair in pairs], dtype=object).reshape(n_events, n_weights)
        if not (ids == np.array(names, dtype=object)).all():
            _raise_first_bad_event(text, names, first_event, path)
    values = np.array([pair[1] for pair in pairs], dtype=float).reshape(n_events, n_weights)
    return nominal, values


def _raise_first_bad_event(text: str, names: tuple[str, ...], first_event: int, path: Path) -> None:
    for offset, block in enumerate(text.split("</event>")):
        ids = tuple(pair[0] for pair in WGT.findall(block))
        if ids != names:
            msg = f"{path}: event {first_event + offset} has weights {list(ids)}, but the <initrwgt> header declares {list(names)}"
            raise InputFileError(msg)
    raise InputFileError(f"{path}: inconsistent weights in events from {first_event}")


def parse_particles(text: str, first_event: int, path: Path):
    """Particles of the events in ``text`` as an awkward array of records."""
    import awkward as ak

    bodies = _EVENT_BODY.findall(text)
    lines = [line for body in bodies for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy warns, then stops, at the first non-number
            values = np.fromstring(" ".join(lines), dtype=np.float64, sep=" ")
        counts = np.array([body.split(None, 1)[0] for body in bodies], dtype=np.int64)
    except (DeprecationWarning, ValueError, IndexError):
        _raise_first_bad_body(bodies, first_event, path)
    sizes = _EVENT_COLUMNS + _PARTICLE_COLUMNS * counts
    if values.size != sizes.sum():
        _raise_first_bad_body(bodies, first_event, path)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]) + _EVENT_COLUMNS
    particle_start = np.repeat(starts, counts) + _PARTICLE_COLUMNS * _ranks(counts)
    table = values[particle_start[:, None] + np.arange(_PARTICLE_COLUMNS)]
    columns = {"pid": table[:, 0].astype(np.int32), "status": table[:, 1].astype(np.int32),
               "px": table[:, 6], "py": table[:, 7], "pz": table[:, 8], "e": table[:, 9], "m": table[:, 10]}
    return ak.unflatten(ak.zip(columns), counts)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, count-1 for each event, concatenated."""
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(counts.sum()) - offsets


def _raise_first_bad_body(bodies: list[str], first_event: int, path: Path) -> None:
    for offset, body in enumerate(bodies):
        rows = [line.split() for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        declared = int(rows[0][0]) if rows and rows[0] and rows[0][0].isdigit() else -1
        if declared != len(rows) - 1 or any(len(row) != _PARTICLE_COLUMNS for row in rows[1:]):
            msg = f"{path}: event {first_event + offset} is malformed (declares {declared} particles, has {len(rows) - 1} lines)"
            raise InputFileError(msg)
    raise InputFileError(f"{path}: malformed events from {first_event}")


def _parse_uniform(text: str, names: tuple[str, ...], first_event: int) -> LHEChunk | None:
    """Fast path for the usual chunk: every event has the same particle count, then its
    ``<rwgt>`` weights in header order (checked on the first event; every event must have
    exactly W weights), and nothing else. With the tags blanked out, one C parse reads
    all numbers, which are then a (n, 6 + 13 k + W) table.
    Returns None when the chunk does not have that layout (the general parser decides)."""
    import awkward as ak

    n_events = text.count("<event")
    first_event_ids = tuple(pair[0] for pair in WGT.findall(text[: text.find(_END)]))
    if n_events == 0 or "#" in text or first_event_ids != names:
        return None
    # Every event: <event>, <rwgt>, W <wgt> pairs, </rwgt>, </event> and no other tag
    # (<mgrwt>, <scales>, … carry numbers of their own); the first event fixes the id order.
    if text.count("<wgt id=") != n_events * len(names) or text.count("<") != n_events * (2 * len(names) + 4):
        return None
    try:  # numpy's C loadtxt parses one long row ~15% faster than np.fromstring
        values = np.loadtxt(io.StringIO(_TAG.sub(" ", text).replace("\n", " ")), dtype=np.float64, ndmin=1,
                            comments=None)
    except ValueError:
        return None
    if values.size == 0 or values[0] != int(values[0]):
        return None
    k = int(values[0])
    width = _EVENT_COLUMNS + _PARTICLE_COLUMNS * k + len(names)
    if values.size != n_events * width:
        return None
    table = values.reshape(n_events, width)
    if not (table[:, 0] == k).all():
        return None
    particles = table[:, _EVENT_COLUMNS : _EVENT_COLUMNS + _PARTICLE_COLUMNS * k].reshape(n_events * k, _PARTICLE_COLUMNS)
    columns = {"pid": particles[:, 0].astype(np.int32), "status": particles[:, 1].astype(np.int32),
               "px": particles[:, 6], "py": particles[:, 7], "pz": particles[:, 8], "e": particles[:, 9],
               "m": particles[:, 10]}
    counts = np.full(n_events, k, dtype=np.int64)
    return LHEChunk(first_event, table[:, 2].copy(), table[:, width - len(names) :].copy(),
                    ak.unflatten(ak.zip(columns), counts))


def iter_lhe_events(path: str | Path, *, chunk_events: int = 10_000) -> Iterator[tuple[LHEHeader, LHEChunk]]:
    """Stream weights and particles of an LHE file (plain or gzip)."""
    path = Path(path)
    for header, text, first in iter_lhe_chunks(path, chunk_events=chunk_events):
        chunk = _parse_uniform(text, header.weight_names, first)
        if chunk is None:
            nominal, weights = parse_weights(text, header.weight_names, first, path)
            chunk = LHEChunk(first, nominal, weights, parse_particles(text, first, path))
        yield header, chunk


def read_lhe_header(path: str | Path) -> LHEHeader:
    """The header of an LHE file (everything before the first event)."""
    path = Path(path)
    with _open(path) as stream:
        return _read_header(stream, path)[0]


def count_lhe_events(path: str | Path) -> int:
    """Number of complete events, counted without parsing them. A truncated gzip stream
    is an error naming the last complete event (the decompressor keeps what it could read)."""
    path = Path(path)
    count, tail, ending = 0, "", ""

    def add(text: str) -> None:
        nonlocal count, tail, ending
        ending = (ending + text)[-len(_CLOSE) - 64:]
        text = tail + text
        count += text.count(_END)
        tail = text[-(len(_END) - 1):]

    try:
        with open(path, "rb") as raw:
            gzipped, decompressor = path.suffix == ".gz", zlib.decompressobj(wbits=31)
            while block := raw.read(1 << 20):
                if not gzipped:
                    add(block.decode(errors="replace"))
                    continue
                while block:
                    add(decompressor.decompress(block).decode(errors="replace"))
                    block = decompressor.unused_data  # a further gzip member
                    if block:
                        decompressor = zlib.decompressobj(wbits=31)
    except OSError as err:
        raise InputFileError(f"{path}: {err.strerror or err}") from None
    except zlib.error as err:
        raise InputFileError(f"{path}: truncated or corrupt after event {count - 1} (the last complete one): {err}") from None
    if gzipped and not decompressor.eof:
        raise InputFileError(f"{path}: truncated or corrupt after event {count - 1} (the last complete one)")
    _check_closed(ending, count, path)
    return count
