"""The HepMC3 text writer: HepMC3's own reader (pyhepmc) reads back what it writes, also
when the weights come after the last event."""

from __future__ import annotations

import gzip

import numpy as np
import pyhepmc
import pytest

from goldmine.io.hepmc_file import SpooledHepMC
from goldmine.io.hepmc_writer import HepMCBatch, hepmc3_status


def test_pythia_status_codes_become_hepmc_codes() -> None:
    pid = np.array([2212, 2, 24, 511, 13, 22, 21, 5])
    status = np.array([-12, -21, -22, -83, -91, 91, -51, -5])
    np.testing.assert_array_equal(hepmc3_status(pid, status), [4, 21, 22, 2, 2, 1, 51, 0])


def _batch(rng: np.random.Generator) -> tuple[HepMCBatch, np.ndarray]:
    counts = np.array([5, 3])
    n = counts.sum()
    pid = np.array([2212, 2212, 11, -12, 22, 2212, 2212, 211])
    status = np.array([-12, -12, 1, 1, 1, -12, -12, 1])
    momenta = rng.normal(size=(4, n)) * 100
    return HepMCBatch(counts, pid, status, *momenta, np.full(n, 0.1)), momenta


def test_written_events_read_back_with_weights_and_names(tmp_path) -> None:
    """Events go in batch by batch, weights last: pyhepmc and gzip read one file in order."""
    rng = np.random.default_rng(1)
    path = tmp_path / "events.hepmc.gz"
    hepmc = SpooledHepMC(path, ("Weight", "w_pos"))
    first, momenta = _batch(rng)
    second, _ = _batch(rng)
    hepmc.add(first)
    hepmc.add(second)
    assert hepmc.n_events == 4 and not path.exists()
    weights = np.array([[0.5, 0.7], [0.25, 0.125], [1e-9, -2.0], [3.0, 4.0]])
    hepmc.finish(weights)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.hepmc.gz"]  # the spool is gone

    with pyhepmc.open(path) as stream:
        events = list(stream)
    assert [e.event_number for e in events] == [0, 1, 2, 3]
    assert events[0].run_info.weight_names == ["Weight", "w_pos"]
    np.testing.assert_allclose([e.weights for e in events], weights, rtol=1e-10)
    event = events[0]
    assert [p.pid for p in event.particles] == first.pid[:5].tolist()
    assert [p.status for p in event.particles] == [4, 4, 1, 1, 1]
    np.testing.assert_allclose([p.momentum.px for p in event.particles], momenta[0, :5], rtol=1e-8)  # 9 digits
    vertex, = event.vertices
    assert [p.id for p in vertex.particles_in] == [1, 2] and len(vertex.particles_out) == 3
    assert [len(e.particles) for e in events] == [5, 3, 5, 3]

    text = gzip.open(path, "rt").read()  # one stream across the gzip members: header, events, footer
    assert text.startswith("HepMC::Version 3.02.05\nHepMC::Asciiv3-START_EVENT_LISTING\nW Weight\\|w_pos\nE 0 1 5\n")
    assert text.endswith("HepMC::Asciiv3-END_EVENT_LISTING\n\n") and text.count("\nE ") == 4


def test_weights_of_the_wrong_shape_are_refused_and_nothing_is_left(tmp_path) -> None:
    path = tmp_path / "events.hepmc.gz"
    hepmc = SpooledHepMC(path, ("Weight", "w_pos"))
    hepmc.add(_batch(np.random.default_rng(2))[0])
    with pytest.raises(ValueError, match=r"events.hepmc.gz: weights of shape \(2, 3\) for 2 events with 2 weights"):
        hepmc.finish(np.ones((2, 3)))
    assert list(tmp_path.iterdir()) == []


def test_numbers_are_printf_exact() -> None:
    """The byte-table formatter writes what printf's %.8e and %d write, edge cases included,
    and counts the characters it wrote."""
    from goldmine.io.hepmc_writer import _floats, _integers

    rng = np.random.default_rng(7)
    floats = np.concatenate([rng.normal(size=2000) * 10.0 ** rng.integers(-12, 8, 2000), [
        0.0, -0.0, 1.0, -1.0, 9.9999999996, 9.99999999949, 0.1, 1e-100, 123456789012.0, 5e-324 * 0, 6500.0, -2e-250]])
    ints = np.concatenate([rng.integers(-10**9, 10**9, 2000), [0, -1, 1, 9, 10, -211, 1000022, 999999999]])

    def packed(table: np.ndarray) -> list[str]:
        return [row[row != 0].tobytes().decode() for row in table]

    float_table = np.full((len(floats), 16), 255, dtype=np.uint8)
    float_widths = _floats(floats, float_table)
    expected_floats = ["%.8e" % value for value in floats.tolist()]
    ours = packed(float_table)
    assert [len(o) for o in ours] == float_widths.tolist()
    mismatches = [(e, o) for e, o in zip(expected_floats, ours, strict=True) if e != o and e.lstrip("-") != o]
    # binary-to-decimal ties may round the last digit differently; the value must agree to 1 ulp of 9 digits
    assert all(abs(float(e) - float(o)) <= 1.01e-8 * abs(float(e)) for e, o in mismatches)
    assert len(mismatches) < 5
    int_table = np.full((len(ints), 13), 255, dtype=np.uint8)
    int_widths = _integers(ints, int_table)
    assert packed(int_table) == ["%d" % value for value in ints.tolist()]
    assert int_widths.tolist() == [len("%d" % value) for value in ints.tolist()]
    with pytest.raises(ValueError, match="integer 100000 has more than 4 digits"):
        _integers(np.array([100000]), np.empty((1, 5), dtype=np.uint8))


def test_the_writer_process_reports_its_failure_and_leaves_no_file(tmp_path) -> None:
    """A failure in the child (here: weights of the wrong shape) raises in the parent,
    naming the file, and neither the HepMC file nor the spool is left behind."""
    from goldmine.generate.hepmc_process import HepMCWriterProcess

    path = tmp_path / "events.hepmc.gz"
    with pytest.raises(RuntimeError, match=r"events.hepmc.gz: writing HepMC failed: ValueError: .*weights of shape"):
        with HepMCWriterProcess(path, ("Weight",)) as writer:
            writer.put(_batch(np.random.default_rng(3))[0])
            writer.finish(np.ones((5, 1)))
    assert list(tmp_path.iterdir()) == []


def test_the_writer_process_discards_its_spool_when_the_parent_fails(tmp_path) -> None:
    from goldmine.generate.hepmc_process import HepMCWriterProcess

    with pytest.raises(KeyError):
        with HepMCWriterProcess(tmp_path / "events.hepmc.gz", ("Weight",)) as writer:
            writer.put(_batch(np.random.default_rng(4))[0])
            raise KeyError("Pythia failed")
    assert list(tmp_path.iterdir()) == []


_PARENT = """
import sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[2])
from test_hepmc_writer import _batch
import goldmine.generate.hepmc_process
from goldmine.generate.hepmc_process import HepMCWriterProcess
if sys.argv[3:] == ["slow-spool"]:
    class SlowSpool(goldmine.generate.hepmc_process.SpooledHepMC):
        def __init__(self, *args):
            super().__init__(*args)
            time.sleep(2)
    goldmine.generate.hepmc_process.SpooledHepMC = SlowSpool
with HepMCWriterProcess(Path(sys.argv[1]), ("Weight",)) as writer:
    writer.put(_batch(np.random.default_rng(5))[0])
    print(writer._process.pid, flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("spool", ["fast-spool", "slow-spool"])
def test_the_writer_process_ends_with_its_killed_parent_and_removes_its_spool(tmp_path, spool) -> None:
    """A SIGKILLed goldmine generate cannot tell its child anything: the kernel does
    (PR_SET_PDEATHSIG), and the child removes its spool and exits. With a slow spool the
    parent dies while the child is still making it: the spool exists on disk before the
    code that removes it is entered, and must go all the same."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(tmp_path / "events.hepmc.gz"),
                               str(Path(__file__).parent), spool], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".events.hepmc.gz.spool")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".events.hepmc.gz.spool")), "the child spools while the parent lives"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    parent.stdout.close()
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        if Path(f"/proc/{child}/stat").read_text().split(")")[-1].split()[0] == "Z":
            break  # ended, waiting for init to reap it
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the HepMC writer outlived its parent")
    assert list(tmp_path.iterdir()) == []
