"""HepMC ascii (HepMC3 ``Asciiv3`` or HepMC2 ``IO_GenEvent``, plain or gzip) read columnarly.

The text is decompressed (ISA-L) in blocks of whole events and parsed with numpy over the
whole block: lines and tokens are found from the positions of newlines and spaces, the
wanted tokens are gathered into one buffer and converted at once (awkward's JSON reader
for momenta, within 3 ulp; ``np.fromstring``, exact, for weights). A particle selection
(statuses, PDG ids) is matched on the tokens' text before any number is parsed, so a
reader that needs only the final state parses only the final state. Only particles and
event weights are read (no vertices, no attributes): what a detector simulation needs.
pyhepmc, which read one event at a time, took 2.7 times as long (benchmarks/README.md).

The fields read, by line (token 0 is the line's letter):

- HepMC3: ``W`` names (header, separated by ``\\|``); per event ``E``, ``U`` (units),
  ``W w0 w1 ...``, ``P id parent pid px py pz e m status``;
- HepMC2: per event ``E evnum nmpi scale aqcd aqed proc vtx nvtx b1 b2 nrand [rand] nw [w]``,
  ``N n "name" ...``, ``U``, ``P barcode pid px py pz e m status ...``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import awkward as ak
import numpy as np
from isal import igzip

from goldmine.errors import InputFileError

__all__ = ["HepMCChunk", "ParticleSelection", "iter_hepmc"]

_BLOCK_BYTES = 4 << 20  # decompressed text parsed at a time (whole events, at least one): cache-sized
_NEWLINE, _SPACE = ord("\n"), ord(" ")
_COMMAS = bytes.maketrans(b" \n", b",,")
_NUMBERS = {"type": "array", "items": {"type": "number"}}  # the JSON schema of a flat list of numbers
_PARTICLE_FIELDS = ("pid", "px", "py", "pz", "e", "m", "status")  # consecutive tokens of a P line


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


@dataclass(frozen=True)
class ParticleSelection:
    """The particles to read: those with a status in ``status`` or an |PDG id| in ``abs_pid``.
    Matched on the text of the tokens, before any number is parsed."""

    status: tuple[int, ...] = ()
    abs_pid: tuple[int, ...] = ()

    def matches(self, lines: _Lines, particles: np.ndarray, pid_at: int, status_at: int) -> np.ndarray:
        """(n,) bool for the P lines ``particles`` whose pid and status tokens are at those indices."""
        status, pid = lines.token(particles, status_at), lines.token(particles, pid_at)
        selected = np.zeros(len(particles), bool)
        for value in self.status:
            selected |= lines.equals(status, b"%d" % value)
        for value in self.abs_pid:
            selected |= lines.equals(pid, b"%d" % value) | lines.equals(pid, b"%d" % -value)
        return selected


@dataclass(frozen=True)
class _Format:
    footer: bytes
    pid_token: int  # index of the pid token in a P line; the other particle fields follow it


_HEPMC3 = _Format(b"HepMC::Asciiv3-END_EVENT_LISTING", 3)
_HEPMC2 = _Format(b"HepMC::IO_GenEvent-END_EVENT_LISTING", 2)


def iter_hepmc(path: str | Path, *, chunk_events: int = 1000,
               select: ParticleSelection | None = None) -> Iterator[HepMCChunk]:
    """The events of ``path`` in chunks of ``chunk_events`` (the last may be shorter); with
    ``select``, only the particles it selects. A file that ends without HepMC's footer (a cut
    last event) or holds no events is an error naming the file and the last good event."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    pending = _Pending()
    names: tuple[str, ...] | None = None
    n_events = n_weights = 0
    with _open(path) as stream:
        try:
            for block, header in _blocks(stream, path):
                if names is None:
                    file_format = _HEPMC2 if b"HepMC::IO_GenEvent" in header else _HEPMC3
                    names = _weight_names(header, block, file_format)
                parsed = _parse(block, file_format, select, path, n_events)
                if n_events and parsed.weights.shape[1] != n_weights:
                    raise InputFileError(f"{path}: event {n_events}: {parsed.weights.shape[1]} weights where the "
                                         f"events before carry {n_weights}")
                n_weights = parsed.weights.shape[1]
                n_events += len(parsed.weights)
                pending.add(parsed)
                while len(pending) >= chunk_events:
                    yield pending.take(chunk_events, names)
        except _Truncated as cut:
            complete = n_events + cut.complete_events
            where = f"after event {complete - 1}" if complete else "before its first complete event"
            raise InputFileError(f"{path}: truncated {where}: the file ends without HepMC's END_EVENT_LISTING "
                                 "footer (a cut event is dropped by the reader)") from None
    if len(pending):
        yield pending.take(len(pending), names)
    if n_events == 0:
        raise InputFileError(f"{path}: no HepMC events")


def _open(path: Path) -> BinaryIO:
    """The file's text: ISA-L decompresses gzip 2-3 times faster than zlib."""
    return igzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


class _Truncated(Exception):
    """The text ends without the footer; ``complete_events`` whole events precede the cut one
    in the text not yet handed out."""

    def __init__(self, complete_events: int) -> None:
        self.complete_events = complete_events


def _blocks(stream: BinaryIO, path: Path) -> Iterator[tuple[bytes, bytes]]:
    """``(events, header)``: blocks of the text holding whole events (each block starts at an
    ``E`` line), and the text before the first event. The text must end with HepMC's footer."""
    carry, header = b"", None
    while True:
        try:
            data = stream.read(_BLOCK_BYTES)
        except EOFError as err:  # a gzip stream cut short
            raise InputFileError(f"{path}: truncated ({err})") from None
        except OSError as err:
            raise InputFileError(f"{path}: unreadable ({err})") from None
        text = carry + data
        if header is None:
            first = 0 if text.startswith(b"E ") else text.find(b"\nE ") + 1
            if first == 0 and not text.startswith(b"E "):
                if data:
                    carry = text
                    continue
                first = len(text)  # no event at all
            header, text = text[:first], text[first:]
        if not data:
            break
        cut = text.rfind(b"\nE ")
        if cut < 0:
            carry = text
            continue
        block, carry = text[: cut + 1], text[cut + 1:]
        yield block, header
    text = text.rstrip()
    footers = (_HEPMC3.footer, _HEPMC2.footer)
    if not text.endswith(footers) and not header.rstrip().endswith(footers):
        raise _Truncated(max(text.count(b"\nE ") + text.startswith(b"E ") - 1, 0))
    if text.startswith(b"E "):
        yield text + b"\n", header


def _weight_names(header: bytes, block: bytes, file_format: _Format) -> tuple[str, ...]:
    """HepMC3: the header's ``W`` line; HepMC2: the first event's ``N`` line; else none."""
    if file_format is _HEPMC3:
        line = re.search(rb"^W (.*)$", header, flags=re.MULTILINE)
        return tuple(line.group(1).decode().split("\\|")) if line else ()
    line = re.search(rb"^N \d+ (.*)$", block[: block.find(b"\nE ", 1) + 1 or len(block)], flags=re.MULTILINE)
    return tuple(name.decode() for name in re.findall(rb'"([^"]*)"', line.group(1))) if line else ()


@dataclass
class _Parsed:
    counts: np.ndarray  # (n,) particles kept per event
    columns: dict[str, np.ndarray]  # (Σ counts,) each
    weights: np.ndarray  # (n, W)


class _Lines:
    """The lines of a block and the positions of their tokens (single spaces between tokens)."""

    def __init__(self, text: bytes) -> None:
        self.bytes = np.frombuffer(text, np.uint8)
        self.ends = np.flatnonzero(self.bytes == _NEWLINE)
        self.starts = np.concatenate([[0], self.ends[:-1] + 1])
        self.kinds = self.bytes[self.starts]
        spaces = np.flatnonzero(self.bytes == _SPACE)
        self._spaces = np.append(spaces, len(self.bytes))  # a sentinel past the last line
        self._first_space = np.searchsorted(spaces, self.starts)
        self.n_tokens = np.searchsorted(spaces, self.ends) - self._first_space + 1

    def of(self, kind: str) -> np.ndarray:
        return np.flatnonzero(self.kinds == ord(kind))

    def token(self, lines: np.ndarray, index: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """``(begin, end)`` byte positions of token ``index`` (0: the line's letter) of each line;
        the lines must hold it (check ``n_tokens``)."""
        space = self._first_space[lines] + index
        return self._spaces[space - 1] + 1, np.minimum(self._spaces[space], self.ends[lines])

    def equals(self, token: tuple[np.ndarray, np.ndarray], text: bytes) -> np.ndarray:
        """Per token: is it exactly ``text``?"""
        begin, end = token
        same = end - begin == len(text)
        for offset, char in enumerate(text):
            same &= self.bytes[np.minimum(begin + offset, len(self.bytes) - 1)] == char
        return same

    def numbers(self, lines: np.ndarray, first: np.ndarray | int, last: np.ndarray | int, *,
                exact: bool = False) -> np.ndarray:
        """Tokens ``first``..``last`` (inclusive, per line) of ``lines`` as float64, line after
        line. The bytes from each first token to the separator after its last are gathered,
        separators become commas, and awkward's JSON reader (RapidJSON) converts the lot:
        six times faster than ``np.fromstring``, within 3 ulp of the correctly rounded value
        (``exact``: ``np.fromstring``, correctly rounded, for the event weights).
        Raises ValueError naming the first line whose tokens are not numbers."""
        begin, _ = self.token(lines, first)
        _, end = self.token(lines, last)
        try:
            return self._converted(begin, end, exact)
        except ValueError:
            raise ValueError(lines[self._first_unreadable(begin, end, exact)]) from None

    def _converted(self, begin: np.ndarray, end: np.ndarray, exact: bool) -> np.ndarray:
        position = np.int32 if len(self.bytes) < 2**31 else np.int64  # half the memory traffic of int64
        length = (end + 1 - begin).astype(position)
        offset = np.cumsum(length)
        index = np.repeat((begin - (offset - length)).astype(position), length)
        index += np.arange(offset[-1] if len(offset) else 0, dtype=position)
        text = self.bytes[index[:-1]].tobytes()
        if not text:
            return np.zeros(0)
        if exact:
            return np.fromstring(text, dtype=np.float64, sep=" ")
        return ak.to_numpy(ak.from_json(b"[" + text.translate(_COMMAS) + b"]", schema=_NUMBERS))

    def _first_unreadable(self, begin: np.ndarray, end: np.ndarray, exact: bool) -> int:
        """Which of the ranges holds the first token that is not a number (bisection)."""
        low, high = 0, len(begin)
        while high - low > 1:
            middle = (low + high) // 2
            try:
                self._converted(begin[low:middle], end[low:middle], exact)
                low = middle
            except ValueError:
                high = middle
        return low


def _parse(block: bytes, file_format: _Format, select: ParticleSelection | None, path: Path,
           first_event: int) -> _Parsed:
    lines = _Lines(block)
    events = lines.of("E")

    def event_of(selected: np.ndarray) -> np.ndarray:
        return np.searchsorted(events, selected) - 1

    def fail(what: str, line_events: np.ndarray) -> InputFileError:
        return InputFileError(f"{path}: event {first_event + int(line_events[0])}: {what}")

    def numbers(selected: np.ndarray, first: np.ndarray | int, last: np.ndarray | int, what: str,
                exact: bool = False) -> np.ndarray:
        short = lines.n_tokens[selected] <= last
        if np.any(short):
            raise fail(f"a {what} line with too few fields", event_of(selected[short]))
        try:
            values = lines.numbers(selected, first, last, exact=exact)
        except ValueError as unreadable:
            raise fail(f"a {what} line with fields that are not numbers", event_of(np.array(unreadable.args))) from None
        if len(values) != int(np.sum(np.broadcast_to(np.asarray(last) - first + 1, selected.shape))):
            raise fail(f"unreadable {what} fields", event_of(selected))
        return values

    particles = lines.of("P")
    particles = particles[particles > events[0]]
    pid_at = file_format.pid_token
    status_at = pid_at + len(_PARTICLE_FIELDS) - 1
    short = lines.n_tokens[particles] <= status_at
    if np.any(short):
        raise fail("a particle line with too few fields", event_of(particles[short]))
    if select is not None:
        particles = particles[select.matches(lines, particles, pid_at, status_at)]
    fields = numbers(particles, pid_at, status_at, "particle").reshape(-1, len(_PARTICLE_FIELDS))
    particle_event = event_of(particles)
    unit = _momentum_unit(lines, events, event_of)[particle_event]
    columns = {name: fields[:, _PARTICLE_FIELDS.index(name)].astype(np.int32) for name in ("pid", "status")}
    columns |= {name: fields[:, _PARTICLE_FIELDS.index(name)] * unit for name in ("px", "py", "pz", "e")}
    weights = (_weights_hepmc3 if file_format is _HEPMC3 else _weights_hepmc2)(lines, events, event_of, numbers, fail)
    return _Parsed(np.bincount(particle_event, minlength=len(events)), columns, weights)


def _momentum_unit(lines: _Lines, events: np.ndarray, event_of: Callable) -> np.ndarray:
    """(n,) GeV per momentum unit of each event: 1, or 1e-3 where its ``U`` line says MEV."""
    units = lines.of("U")
    mev = units[lines.bytes[lines.starts[units] + 2] == ord("M")]
    scale = np.ones(len(events))
    scale[event_of(mev)] = 1e-3
    return scale


def _weights_hepmc3(lines: _Lines, events: np.ndarray, event_of: Callable, numbers: Callable,
                    fail: Callable) -> np.ndarray:
    """(n, W) from each event's ``W`` line."""
    rows = lines.of("W")
    rows = rows[rows > events[0]]
    owners = event_of(rows)
    per_event = np.bincount(owners, minlength=len(events))
    if np.any(per_event != 1):
        raise fail("no weight line" if np.any(per_event == 0) else "two weight lines",
                   np.flatnonzero(per_event != 1))
    return _uniform(numbers(rows, 1, lines.n_tokens[rows] - 1, "weight", exact=True), lines.n_tokens[rows] - 1,
                    fail)


def _weights_hepmc2(lines: _Lines, events: np.ndarray, event_of: Callable, numbers: Callable,
                    fail: Callable) -> np.ndarray:
    """(n, W) from each ``E`` line: ``... b1 b2 nrand [rand...] nw [w...]``."""
    n_random = numbers(events, 11, 11, "event", exact=True).astype(np.int64)
    n_weights = numbers(events, 12 + n_random, 12 + n_random, "event", exact=True).astype(np.int64)
    if np.all(n_weights == 0):
        return np.ones((len(events), 0))
    return _uniform(numbers(events, 13 + n_random, 12 + n_random + n_weights, "event", exact=True), n_weights, fail)


def _uniform(weights: np.ndarray, widths: np.ndarray, fail: Callable) -> np.ndarray:
    """(n, W) from the events' weights one after the other, if every event carries W."""
    differ = np.flatnonzero(widths != widths[0])
    if len(differ):
        raise fail(f"{widths[differ[0]]} weights where the events before carry {widths[0]}", differ)
    return weights.reshape(len(widths), -1)


class _Pending:
    """Parsed events waiting to be handed out in chunks of a fixed size."""

    def __init__(self) -> None:
        self._parts: list[_Parsed] = []
        self._first_event = 0

    def __len__(self) -> int:
        return sum(len(part.weights) for part in self._parts)

    def add(self, part: _Parsed) -> None:
        self._parts.append(part)

    def take(self, n_events: int, names: tuple[str, ...]) -> HepMCChunk:
        counts = np.concatenate([p.counts for p in self._parts])
        columns = {k: np.concatenate([p.columns[k] for p in self._parts]) for k in self._parts[0].columns}
        weights = np.concatenate([p.weights for p in self._parts])
        n_particles = int(counts[:n_events].sum())
        rest = _Parsed(counts[n_events:], {k: v[n_particles:] for k, v in columns.items()}, weights[n_events:])
        self._parts = [rest] if len(rest.weights) else []
        chunk = HepMCChunk(self._first_event, ak.unflatten(ak.zip({k: v[:n_particles] for k, v in columns.items()}),
                                                           counts[:n_events]), weights[:n_events], names)
        self._first_event += n_events
        return chunk
