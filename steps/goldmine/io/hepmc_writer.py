"""HepMC3 ascii (Asciiv3) text for showered events, formatted from flat columns.

Each event holds all its particles, produced in one vertex whose incoming particles are
the two beams (the first two particles of the event); statuses follow HepMC's convention
(1 final, 2 decayed hadron or lepton, 4 beam, otherwise the generator's |status|).
Showered events hold over a thousand particles each, so the particle lines are formatted
by numpy arithmetic on byte tables (momenta as ``%.8e``: nine significant digits, as
Delphes works in float32), not by a Python ``%`` per line (5 µs a line) or HepMC objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FOOTER", "HepMCBatch", "hepmc3_event_bodies", "hepmc3_event_head", "hepmc3_header", "hepmc3_status"]

FOOTER = b"HepMC::Asciiv3-END_EVENT_LISTING\n\n"


@dataclass(frozen=True)
class HepMCBatch:
    """Events as flat columns: ``counts`` (n,) particles per event; ``pid``, ``status``
    (generator codes), ``px py pz e m`` (GeV) of all particles."""

    counts: np.ndarray
    pid: np.ndarray
    status: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    m: np.ndarray


_VERTEX = b"V -1 0 [1,2]\n"  # the one vertex: both beams in, every other particle out


def hepmc3_header(weight_names: tuple[str, ...]) -> bytes:
    """File header with the run's weight names (HepMC3 separates them by an escaped bar)."""
    return ("HepMC::Version 3.02.05\nHepMC::Asciiv3-START_EVENT_LISTING\nW " + "\\|".join(weight_names) + "\n").encode()


def hepmc3_status(pid: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Pythia status codes → HepMC's (Pythia's ``Particle::statusHepMC``, vectorised)."""
    absolute = np.abs(pid)
    decays_normally = (absolute > 100) | (absolute == 13) | (absolute == 15)
    converted = np.where(status > 0, 1, np.where(status == -12, 4, np.where(decays_normally, 2, -status)))
    return np.where((status < 0) & (status > -11) | (status < -200), 0, converted)


_ZERO = ord("0")


def _quad_table(blank_leading_zeros: bool, keep_last: bool = False) -> np.ndarray:
    """"0000" … "9999", each as the four ASCII bytes of one uint32 (digits are gathered four
    at a time and stored with one 4-byte write); leading zeros optionally as 0 bytes,
    keeping the last digit when ``keep_last``."""
    digits = np.arange(10_000)[:, None] // np.array([1000, 100, 10, 1]) % 10
    table = (digits + _ZERO).astype(np.uint8)
    if blank_leading_zeros:
        leading = np.cumsum(digits, axis=1) == 0
        if keep_last:
            leading[:, 3] = False
        table[leading] = 0
    return table.view(np.uint32)[:, 0]


_QUADS, _LEADING_QUADS, _LAST_QUADS = _quad_table(False), _quad_table(True), _quad_table(True, keep_last=True)
_POWERS = 10 ** np.arange(1, 12, dtype=np.int64)
_MIN_EXPONENT = -300  # |x| < 1e-300 is written as 0
_POWERS_OF_TEN = 10.0 ** np.arange(_MIN_EXPONENT, 309)  # the same values as 10.0**e, gathered, not computed


def _put_quad(out: np.ndarray, first: int, quad: np.ndarray) -> None:
    """Write a uint32 quad of ASCII digits into ``out[..., first : first + 4]``."""
    out[..., first : first + 4].view(np.uint32)[..., 0] = quad


def _integers(values: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Write integers as ASCII into ``out`` (..., 1 + 4 q) for q groups of four digits:
    '-' or a 0 byte, then the digits with leading zeros as 0 bytes (dropped when the lines
    are packed). Returns the characters each number takes."""
    values = values.astype(np.int64)
    magnitude = np.abs(values)
    quads = (out.shape[-1] - 1) // 4
    if magnitude.size and magnitude.max() >= 10 ** (4 * quads):
        raise ValueError(f"integer {int(magnitude.max())} has more than {4 * quads} digits")
    for k in range(quads):
        quad = magnitude // 10 ** (4 * (quads - 1 - k))  # this group and all before it
        partial = _LAST_QUADS if k == quads - 1 else _LEADING_QUADS  # a number's first group
        _put_quad(out, 1 + 4 * k, np.where(quad >= 10_000, _QUADS[quad % 10_000], partial[quad % 10_000]))
    negative = values < 0
    out[..., 0] = negative.view(np.uint8) * ord("-")
    return np.searchsorted(_POWERS, magnitude, side="right") + 1 + negative


def _floats(values: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Write ``%.8e`` (nine significant digits) into ``out`` (..., 16): sign or a 0 byte,
    d.dddddddd, e±XX and a third exponent digit or a 0 byte. Returns the characters each
    number takes."""
    magnitude = np.abs(values)
    zero = magnitude < 10.0**_MIN_EXPONENT
    exponent = np.floor(np.log10(np.where(zero, 1.0, magnitude))).astype(np.int32)
    mantissa = np.rint(np.where(zero, 0.0, magnitude) / _POWERS_OF_TEN[exponent - _MIN_EXPONENT] * 1e8).astype(np.int32)
    carry = mantissa >= 10**9  # 9.999999999… rounded up to 10.00000000 (rare)
    if carry.any():
        mantissa[carry] //= 10
        exponent[carry] += 1
    negative, exponent_negative = values < 0, exponent < 0
    exponent = np.abs(exponent)
    long_exponent = exponent >= 100
    out[..., 0] = negative.view(np.uint8) * ord("-")
    out[..., 1] = mantissa // 10**8 + _ZERO
    out[..., 2] = ord(".")
    _put_quad(out, 3, _QUADS[mantissa // 10**4 % 10_000])
    _put_quad(out, 7, _QUADS[mantissa % 10_000])
    out[..., 11] = ord("e")
    out[..., 12] = ord("+") + exponent_negative.view(np.uint8) * (ord("-") - ord("+"))
    out[..., 13] = long_exponent.view(np.uint8) * (exponent // 100 + _ZERO)
    out[..., 14] = exponent // 10 % 10 + _ZERO
    out[..., 15] = exponent % 10 + _ZERO
    return 14 + negative + long_exponent


# A particle line as a fixed-width byte row: "P id mother pid px py pz e m status\n", each
# number in a field wide enough for any value, blanks as 0 bytes.
_ID, _MOTHER, _PID, _MOMENTA, _STATUS = slice(2, 11), slice(12, 17), slice(18, 31), slice(31, 116), slice(117, 122)
_ROW = 123


def hepmc3_event_bodies(batch: HepMCBatch) -> list[bytes]:
    """Asciiv3 particle and vertex lines of each event of ``batch`` (its E, U and W lines
    come from :func:`hepmc3_event_head`).

    The particle lines are written into one byte table (one row per particle, blanks as 0
    bytes) by numpy arithmetic, then packed by deleting the 0 bytes; line lengths come
    from the numbers' widths. Only the slicing per event runs in Python.
    """
    offsets = np.concatenate([[0], np.cumsum(batch.counts)])
    n = int(offsets[-1])
    within = np.arange(n) - np.repeat(offsets[:-1], batch.counts) + 1  # particle ids 1 … k per event
    table = np.empty((n, _ROW), dtype=np.uint8)
    table[:, [0, 1, 11, 17, 116, 122]] = np.frombuffer(b"P    \n", dtype=np.uint8)
    momenta = table[:, _MOMENTA].reshape(n, 5, 17)  # five fields of a space and 16 characters
    momenta[:, :, 0] = ord(" ")
    floats = np.column_stack([batch.px, batch.py, batch.pz, batch.e, batch.m]).astype(np.float64)
    line_lengths = (6 + _integers(within, table[:, _ID]) + _integers(np.where(within <= 2, 0, -1), table[:, _MOTHER])
                    + _integers(batch.pid, table[:, _PID]) + 5 + _floats(floats, momenta[:, :, 1:]).sum(axis=1)
                    + _integers(hepmc3_status(batch.pid, batch.status), table[:, _STATUS]))
    packed = table.tobytes().translate(None, b"\0")
    line_end = np.concatenate([[0], np.cumsum(line_lengths)]).tolist()
    bodies = []
    for start, stop in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
        beams_end = line_end[start + 2]
        bodies.append(b"".join((packed[line_end[start] : beams_end], _VERTEX, packed[beams_end : line_end[stop]])))
    return bodies


def hepmc3_event_head(event_number: int, n_particles: int, weights: np.ndarray) -> bytes:
    """The E, U and W lines that open an event: its number, one vertex, ``n_particles``,
    GeV and mm, and its ``weights`` (W,) as ``%.10e``."""
    values = " ".join(map("%.10e".__mod__, weights.tolist()))
    return f"E {event_number} 1 {n_particles}\nU GEV MM\nW {values}\n".encode()
