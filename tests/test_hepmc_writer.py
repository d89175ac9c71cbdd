"""The HepMC3 text writer: HepMC3's own reader (pyhepmc) reads back what it writes."""

from __future__ import annotations

import numpy as np
import pyhepmc
from goldmine.io.hepmc_writer import (
    FOOTER,
    HepMCBatch,
    hepmc3_header,
    hepmc3_status,
    hepmc3_text,
)


def test_pythia_status_codes_become_hepmc_codes() -> None:
    pid = np.array([2212, 2, 24, 511, 13, 22, 21, 5])
    status = np.array([-12, -21, -22, -83, -91, 91, -51, -5])
    np.testing.assert_array_equal(hepmc3_status(pid, status), [4, 21, 22, 2, 2, 1, 51, 0])


def test_written_events_read_back_with_weights_and_names(tmp_path) -> None:
    rng = np.random.default_rng(1)
    counts = np.array([5, 3])
    n = counts.sum()
    pid = np.array([2212, 2212, 11, -12, 22, 2212, 2212, 211])
    status = np.array([-12, -12, 1, 1, 1, -12, -12, 1])
    momenta = rng.normal(size=(4, n)) * 100
    weights = np.array([[0.5, 0.7], [0.25, 0.125]])
    batch = HepMCBatch(counts, pid, status, *momenta, np.full(n, 0.1), weights)
    path = tmp_path / "events.hepmc3"
    path.write_bytes(hepmc3_header(("Weight", "w_pos")) + hepmc3_text(batch, 10) + FOOTER)
    with pyhepmc.open(path) as stream:
        events = list(stream)
    assert [e.event_number for e in events] == [10, 11]
    assert events[0].run_info.weight_names == ["Weight", "w_pos"]
    np.testing.assert_allclose([e.weights for e in events], weights)
    first = events[0]
    assert [p.pid for p in first.particles] == pid[:5].tolist()
    assert [p.status for p in first.particles] == [4, 4, 1, 1, 1]
    np.testing.assert_allclose([p.momentum.px for p in first.particles], momenta[0, :5], rtol=1e-8)  # 9 digits
    vertex, = first.vertices
    assert [p.id for p in vertex.particles_in] == [1, 2] and len(vertex.particles_out) == 3


def test_numbers_are_printf_exact() -> None:
    """The byte-table formatter writes what printf's %.8e and %d write, edge cases included."""
    from goldmine.io.hepmc_writer import _floats, _integers

    rng = np.random.default_rng(7)
    floats = np.concatenate([rng.normal(size=2000) * 10.0 ** rng.integers(-12, 8, 2000), [
        0.0, -0.0, 1.0, -1.0, 9.9999999996, 9.99999999949, 0.1, 1e-100, 123456789012.0, 5e-324 * 0, 6500.0]])
    ints = np.concatenate([rng.integers(-10**9, 10**9, 2000), [0, -1, 1, 9, 10, -211, 1000022, 999999999]])

    def packed(table: np.ndarray) -> list[str]:
        return [row[row != 0].tobytes().decode() for row in table]

    expected_floats = ["%.8e" % value for value in floats.tolist()]
    ours = packed(_floats(floats))
    mismatches = [(e, o) for e, o in zip(expected_floats, ours, strict=True) if e != o and e.lstrip("-") != o]
    # binary-to-decimal ties may round the last digit differently; the value must agree to 1 ulp of 9 digits
    assert all(abs(float(e) - float(o)) <= 1.01e-8 * abs(float(e)) for e, o in mismatches)
    assert len(mismatches) < 5
    assert packed(_integers(ints)) == ["%d" % value for value in ints.tolist()]
