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

__all__ = ["FOOTER", "HepMCBatch", "hepmc3_header", "hepmc3_status", "hepmc3_text"]

FOOTER = b"HepMC::Asciiv3-END_EVENT_LISTING\n\n"


@dataclass(frozen=True)
class HepMCBatch:
    """Events as flat columns: ``counts`` (n,) particles per event; ``pid``, ``status``
    (generator codes), ``px py pz e m`` (GeV) of all particles; ``weights`` (n, W)."""

    counts: np.ndarray
    pid: np.ndarray
    status: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    m: np.ndarray
    weights: np.ndarray


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
#: "0000" … "9999" as bytes: numbers become bytes by gathering 4-digit groups, not digit by digit.
_QUADS = (np.arange(10_000)[:, None] // np.array([1000, 100, 10, 1]) % 10 + _ZERO).astype(np.uint8)
_POWERS = 10 ** np.arange(1, 12, dtype=np.int64)


def _integers(values: np.ndarray, quads: int = 3) -> np.ndarray:
    """(n, 1 + 4 quads) ASCII bytes of integers below 10^(4 quads): '-' or 0, then the
    digits with leading zeros as 0 bytes (removed when the lines are packed)."""
    values = values.astype(np.int64)
    magnitude = np.abs(values)
    if magnitude.size and magnitude.max() >= 10 ** (4 * quads):
        raise ValueError(f"integer {int(magnitude.max())} has more than {4 * quads} digits")
    width = 4 * quads
    digits = np.concatenate([_QUADS[magnitude // 10 ** (4 * k) % 10_000] for k in range(quads - 1, -1, -1)], axis=1)
    n_digits = np.searchsorted(_POWERS, magnitude, side="right") + 1
    digits[np.arange(width) < (width - n_digits)[:, None]] = 0
    return np.column_stack([np.where(values < 0, ord("-"), 0).astype(np.uint8), digits])


def _floats(values: np.ndarray) -> np.ndarray:
    """(n, 16) ASCII bytes of ``%.8e`` (nine significant digits): sign, d.dddddddd, e±XX[X]."""
    magnitude = np.abs(values)
    zero = magnitude < 1e-300
    exponent = np.floor(np.log10(np.where(zero, 1.0, magnitude))).astype(np.int64)
    mantissa = np.rint(np.where(zero, 0.0, magnitude) / 10.0**exponent * 1e8).astype(np.int64)
    carry = mantissa >= 10**9  # 9.999999999… rounded up to 10.00000000
    exponent, mantissa = np.where(zero, 0, exponent + carry), np.where(carry, mantissa // 10, mantissa)
    exponent_digits = _QUADS[np.abs(exponent)][:, 1:].copy()
    exponent_digits[:, 0] = np.where(np.abs(exponent) >= 100, exponent_digits[:, 0], 0)
    n = len(values)
    return np.concatenate([
        np.where(values < 0, ord("-"), 0).astype(np.uint8)[:, None], (mantissa // 10**8 + _ZERO).astype(np.uint8)[:, None],
        np.full((n, 1), ord("."), dtype=np.uint8), _QUADS[mantissa // 10**4 % 10_000], _QUADS[mantissa % 10_000],
        np.full((n, 1), ord("e"), dtype=np.uint8), np.where(exponent < 0, ord("-"), ord("+")).astype(np.uint8)[:, None],
        exponent_digits,
    ], axis=1)


def _column(value: int, n: int) -> np.ndarray:
    return np.full((n, 1), value, dtype=np.uint8)


def hepmc3_text(batch: HepMCBatch, first_event: int) -> bytes:
    """Asciiv3 lines of the events of ``batch``, numbered from ``first_event``.

    The particle lines are built as one byte table (one row per particle, padding as 0
    bytes) with numpy arithmetic, then packed; only the per-event header lines are
    formatted in Python.
    """
    status = hepmc3_status(batch.pid, batch.status)
    offsets = np.concatenate([[0], np.cumsum(batch.counts)])
    n = int(offsets[-1])
    within = np.arange(n) - np.repeat(offsets[:-1], batch.counts) + 1  # particle ids 1 … k per event
    space = _column(ord(" "), n)
    blocks = [_column(ord("P"), n), space, _integers(within, 2), space, _integers(np.where(within <= 2, 0, -1), 1), space,
              _integers(batch.pid)]
    for values in (batch.px, batch.py, batch.pz, batch.e, batch.m):
        blocks += [space, _floats(np.asarray(values, dtype=np.float64))]
    blocks += [space, _integers(status, 1), _column(ord("\n"), n)]
    table = np.concatenate(blocks, axis=1)
    kept = table != 0
    packed = table[kept].tobytes()
    line_end = np.concatenate([[0], np.cumsum(kept.sum(axis=1))])
    pieces = []
    for index, (start, stop) in enumerate(zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)):
        weights = " ".join(map("%.10e".__mod__, batch.weights[index].tolist()))
        beams_end = int(line_end[start + 2])
        pieces += [f"E {first_event + index} 1 {stop - start}\nU GEV MM\nW {weights}\n".encode(),
                   packed[line_end[start] : beams_end], b"V -1 0 [1,2]\n", packed[beams_end : line_end[stop]]]
    return b"".join(pieces)
