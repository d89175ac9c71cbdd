"""The columnar HepMC reader against HepMC3's own reader (pyhepmc) on the real-tool fixtures:
every particle and weight of both formats, the particle selection, blocks and chunks that
cut the file anywhere, units, and bad input named by event."""

from __future__ import annotations

import gzip

import awkward as ak
import numpy as np
import pyhepmc
import pytest

import goldmine.io.hepmc as hepmc_module
from goldmine.errors import InputFileError
from goldmine.io.hepmc import ParticleSelection, iter_hepmc

pytestmark = pytest.mark.fixtures

FIELDS = ("pid", "status", "px", "py", "pz", "e")


@pytest.fixture(scope="module")
def hepmc_files(wh_fixtures) -> dict[str, object]:
    return {"hepmc3": wh_fixtures.parent / "builtin-wh-delphes-300" / "events.hepmc.gz",
            "hepmc2": wh_fixtures / "events_sm_60.hepmc2.gz"}


def _reference(path: object) -> tuple[list[np.ndarray], np.ndarray, tuple[str, ...]]:
    """Per event (6, particles) of FIELDS, the weights (n, W) and names, by pyhepmc."""
    events, weights = [], []
    with pyhepmc.open(path) as stream:
        for event in stream:
            view = event.numpy.particles
            events.append(np.stack([getattr(view, name).astype(np.float64) for name in FIELDS]))
            weights.append(list(event.weights))
            names = tuple(event.run_info.weight_names)
    return events, np.array(weights), names


def _ours(path: object, **options: object) -> tuple[list[np.ndarray], np.ndarray, tuple[str, ...], list[int]]:
    chunks = list(iter_hepmc(path, **options))
    particles = ak.concatenate([c.particles for c in chunks])
    events = [np.stack([ak.to_numpy(particles[i][name]).astype(np.float64) for name in FIELDS])
              for i in range(len(particles))]
    return events, np.concatenate([c.weights for c in chunks]), chunks[0].weight_names, [c.first_event for c in chunks]


def _in_file_order(particles: np.ndarray, hepmc2: bool) -> np.ndarray:
    """HepMC3's HepMC2 reader reorders an event's particles: compare them sorted."""
    return particles[:, np.lexsort(particles[::-1])] if hepmc2 else particles


@pytest.mark.parametrize("source", ["hepmc3", "hepmc2"])
def test_every_particle_and_weight_as_pyhepmc_reads_them(hepmc_files, source, monkeypatch) -> None:
    """Momenta within 3 ulp of pyhepmc's (RapidJSON's conversion, exact for most), ids,
    statuses and weights exact. 64 kB blocks cut the file into many pieces, chunks of 70
    events cut across them."""
    monkeypatch.setattr(hepmc_module, "_BLOCK_BYTES", 64 << 10)
    reference, weights, names = _reference(hepmc_files[source])
    ours, our_weights, our_names, firsts = _ours(hepmc_files[source], chunk_events=70)
    assert our_names == names and names[0] == "Weight"
    assert firsts == list(range(0, len(reference), 70))
    np.testing.assert_array_equal(our_weights, weights)
    assert len(ours) == len(reference)
    for event, (mine, theirs) in enumerate(zip(ours, reference, strict=True)):
        mine, theirs = (_in_file_order(p, source == "hepmc2") for p in (mine, theirs))
        np.testing.assert_array_equal(mine[:2], theirs[:2], err_msg=f"event {event}: pid, status")
        np.testing.assert_allclose(mine[2:], theirs[2:], rtol=7e-16, atol=0, err_msg=f"event {event}")


def test_a_selection_reads_only_the_particles_it_names(hepmc_files) -> None:
    selection = ParticleSelection(status=(1,), abs_pid=(4, 5))
    reference, _, _ = _reference(hepmc_files["hepmc3"])
    ours, _, _, _ = _ours(hepmc_files["hepmc3"], select=selection)
    for mine, theirs in zip(ours, reference, strict=True):
        wanted = (theirs[1] == 1) | np.isin(np.abs(theirs[0]), (4, 5))
        np.testing.assert_allclose(mine, theirs[:, wanted], rtol=7e-16, atol=0)
    assert sum(p.shape[1] for p in ours) < 0.5 * sum(p.shape[1] for p in reference)


def _edited(path: object, edit: object, tmp_path: object) -> object:
    text = gzip.open(path).read()
    output = tmp_path / "edited.hepmc"
    output.write_bytes(edit(text))
    return output


def test_momenta_in_mev_are_converted_to_gev(hepmc_files, tmp_path) -> None:
    original = _ours(hepmc_files["hepmc3"], chunk_events=5)[0][:5]

    def in_mev(event: bytes) -> bytes:
        lines = [b"U MEV MM" if line.startswith(b"U ") else line for line in event.split(b"\n")]
        return b"\n".join(_times_1000(line) if line.startswith(b"P ") else line for line in lines)

    def second_event_in_mev(text: bytes) -> bytes:
        return _nth_event_edited(text, 1, in_mev)

    edited = _ours(_edited(hepmc_files["hepmc3"], second_event_in_mev, tmp_path), chunk_events=5)[0][:5]
    for event in (0, 2, 3):
        np.testing.assert_array_equal(edited[event], original[event])
    np.testing.assert_allclose(edited[1], original[1], rtol=1e-15)


def _times_1000(line: bytes) -> bytes:
    tokens = line.split(b" ")
    tokens[4:9] = [b"%.10e" % (float(t) * 1000) for t in tokens[4:9]]
    return b" ".join(tokens)


def _nth_event_edited(text: bytes, n: int, edit: object) -> bytes:
    parts = text.split(b"\nE ")
    parts[n + 1] = edit(parts[n + 1])
    return b"\nE ".join(parts)


def _particle_token(event: bytes, particle: int, token: int, value: bytes) -> bytes:
    """The event's text with token ``token`` of its ``particle``-th P line replaced."""
    lines = event.split(b"\n")
    line = [i for i, text in enumerate(lines) if text.startswith(b"P ")][particle]
    tokens = lines[line].split(b" ")
    tokens[token] = value
    lines[line] = b" ".join(tokens)
    return b"\n".join(lines)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda text: _nth_event_edited(text, 0, lambda e: _particle_token(e, 6, 4, b"1.0x")),
     "event 0: a particle line with fields that are not numbers"),
    (lambda text: _nth_event_edited(text, 4, lambda e: _particle_token(e, 20, 5, b"nan")),
     "event 4: a particle line with fields that are not numbers"),
    (lambda text: _nth_event_edited(text, 2, lambda e: e.replace(b"\nP 9 ", b"\nP 9\nX ", 1)),
     "event 2: a particle line with too few fields"),
    (lambda text: _nth_event_edited(text, 3, lambda e: b"\n".join(
        line for line in e.split(b"\n") if not line.startswith(b"W "))), "event 3: no weight line"),
    (lambda text: _nth_event_edited(text, 5, lambda e: e.replace(b"\nW ", b"\nW 1.0 ", 1)),
     "event 5: 11 weights where the events before carry 10"),
])
def test_bad_input_is_an_error_naming_the_event(hepmc_files, tmp_path, edit, message) -> None:
    with pytest.raises(InputFileError, match=message) as error:
        list(iter_hepmc(_edited(hepmc_files["hepmc3"], edit, tmp_path)))
    assert "edited.hepmc" in str(error.value)


def test_a_file_without_events_is_an_error(tmp_path) -> None:
    path = tmp_path / "empty.hepmc"
    path.write_bytes(b"HepMC::Version 3.02.05\nHepMC::Asciiv3-START_EVENT_LISTING\n"
                     b"HepMC::Asciiv3-END_EVENT_LISTING\n\n")
    with pytest.raises(InputFileError, match="empty.hepmc: no HepMC events"):
        list(iter_hepmc(path))
