"""The observables stage on the real Delphes and MadGraph fixtures, checked against an
independent event-by-event computation written with ``math`` alone."""

from __future__ import annotations

import gzip
import math
import re
from pathlib import Path

import awkward as ak
import h5py
import numpy as np
import pytest
import uproot
import yaml
from click.testing import CliRunner

from example_configs import madgraph_example
from goldmine.cli import cli
from goldmine.io.lhe_weights import read_lhe_weights

pytestmark = pytest.mark.fixtures

OBSERVABLES = [
    {"name": "pt_l", "expression": "l[0].pt", "required": True},
    {"name": "mt_w", "expression": "(l[0] + met).mt", "required": True},
    {"name": "deta_jj", "expression": "abs(j[0].eta - j[1].eta)", "default": -1.0},
    {"name": "n_jets", "expression": "len(j)"},
    {"name": "m_jj", "expression": "(j[0] + j[1]).m", "default": 0.0},
    {"name": "dr_lj", "expression": "l[0].deltaR(j[0])", "required": True},
    {"name": "met", "expression": "met.pt"},
    {"name": "n_b", "expression": "len(b)"},
]
HEPMC_NAME = "events_sm_60.hepmc2.gz"
BENCHMARKS = ["sm", "w_pos", "w_neg", "pw_pos", "pw_neg", "mixed", "val_1", "val_2", "val_3"]


def _config(tmp_path: Path, examples: Path, **changes: object) -> Path:
    raw = madgraph_example(scale_systematics=False)
    raw.update({"observables": OBSERVABLES, "cuts": ["len(l) >= 1", "len(j) >= 1"], **changes})
    path = tmp_path / f"analysis{len(list(tmp_path.glob('analysis*.yml')))}.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _configure(tmp_path: Path, config: Path) -> Path:
    setup = tmp_path / f"{config.stem}.h5"
    result = CliRunner().invoke(cli, ["configure", str(config), "--output", str(setup), "--plan",
                                      str(tmp_path / f"{config.stem}.plan.yml")])
    assert result.exit_code == 0, result.output
    return setup


def _observe(setup: Path, config: Path, *arguments: str) -> object:
    return CliRunner().invoke(cli, ["observables", "--setup", str(setup), "--config", str(config),
                                    "--sampling-benchmark", "sm", *arguments])


@pytest.fixture(scope="module")
def delphes_arrays(wh_fixtures: Path) -> dict[str, list]:
    tree = uproot.open(wh_fixtures / "delphes_sm_60.root")["Delphes"]
    names = ["Electron.PT", "Electron.Eta", "Electron.Phi", "Muon.PT", "Muon.Eta", "Muon.Phi", "Jet.PT", "Jet.Eta",
             "Jet.Phi", "Jet.Mass", "Jet.BTag", "MissingET.MET", "MissingET.Phi"]
    return {name: tree[name].array().tolist() for name in names}


def _four(pt: float, eta: float, phi: float, mass: float) -> tuple[float, float, float, float]:
    px, py, pz = pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta)
    return px, py, pz, math.sqrt(px * px + py * py + pz * pz + mass * mass)


def _expected_row(a: dict[str, list], i: int) -> list[float] | None:
    """One event, by hand: the definitions of OBSERVABLES and the cuts, or None if it fails."""
    leptons = sorted([(pt, eta, phi, 0.000511) for pt, eta, phi in zip(a["Electron.PT"][i], a["Electron.Eta"][i],
                                                                          a["Electron.Phi"][i])]
                     + [(pt, eta, phi, 0.105658) for pt, eta, phi in zip(a["Muon.PT"][i], a["Muon.Eta"][i],
                                                                           a["Muon.Phi"][i])], reverse=True)
    jets = list(zip(a["Jet.PT"][i], a["Jet.Eta"][i], a["Jet.Phi"][i], a["Jet.Mass"][i]))
    if not leptons or not jets:
        return None
    lepton, met_pt, met_phi = _four(*leptons[0]), a["MissingET.MET"][i][0], a["MissingET.Phi"][i][0]
    met = (met_pt * math.cos(met_phi), met_pt * math.sin(met_phi), 0.0, met_pt)
    total = [x + y for x, y in zip(lepton, met)]
    mt = math.sqrt(total[3] ** 2 - total[2] ** 2)
    dphi = (leptons[0][2] - jets[0][2] + math.pi) % (2 * math.pi) - math.pi
    dr = math.hypot(leptons[0][1] - jets[0][1], dphi)
    if len(jets) >= 2:
        pair = [x + y for x, y in zip(_four(*jets[0]), _four(*jets[1]))]
        m_jj = math.sqrt(max(pair[3] ** 2 - pair[0] ** 2 - pair[1] ** 2 - pair[2] ** 2, 0.0))
        deta = abs(jets[0][1] - jets[1][1])
    else:
        m_jj, deta = 0.0, -1.0
    n_b = sum(1 for tag in a["Jet.BTag"][i] if tag & 1)
    return [leptons[0][0], mt, deta, len(jets), m_jj, dr, met_pt, n_b]


def _read(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    with h5py.File(path, "r") as file:
        names = [n.decode() if isinstance(n, bytes) else n for n in file["observables/names"][()]]
        return file["samples/observations"][()], file["samples/weights"][()], names


def test_delphes_observables_and_lhe_weights_match_an_event_by_event_computation(
        tmp_path, examples, wh_fixtures, delphes_arrays) -> None:
    config = _config(tmp_path, examples)
    setup = _configure(tmp_path, config)
    output = tmp_path / "events.h5"
    result = _observe(setup, config, "--input", str(wh_fixtures / "delphes_sm_60.root"),
                      "--lhe", str(wh_fixtures / "events_sm.lhe.gz"), "--output", str(output), "--chunk-size", "17")
    assert result.exit_code == 0, result.output

    rows = [_expected_row(delphes_arrays, i) for i in range(60)]
    passed = [i for i, row in enumerate(rows) if row is not None]
    observations, weights, names = _read(output)
    assert names == [o["name"] for o in OBSERVABLES]
    assert 10 < len(passed) < 60 and observations.shape == (len(passed), len(OBSERVABLES))
    np.testing.assert_allclose(observations, np.array([rows[i] for i in passed]), rtol=1e-5, atol=1e-4)

    lhe = read_lhe_weights(wh_fixtures / "events_sm.lhe.gz")
    columns = {"sm": lhe.nominal, **{name: lhe.column(name) for name in lhe.names}}
    with h5py.File(setup, "r") as file:
        order = [n.decode() for n in file["benchmarks/names"][()]]
    expected = np.column_stack([columns[name][:60] for name in order])[passed] / 60  # event_norm = average
    np.testing.assert_allclose(weights, expected, rtol=1e-12)


def test_weights_from_delphes_alone_need_names_and_agree_to_float32(tmp_path, examples, wh_fixtures) -> None:
    config = _config(tmp_path, examples)
    setup = _configure(tmp_path, config)
    delphes = str(wh_fixtures / "delphes_sm_60.root")
    nameless = _observe(setup, config, "--input", delphes, "--output", str(tmp_path / "a.h5"))
    assert nameless.exit_code == 1 and "Delphes keeps no weight names" in nameless.output
    assert not (tmp_path / "a.h5").exists()

    names = ["Weight", *BENCHMARKS[1:]]
    spellings = {  # as README writes it (space-separated), comma-separated, the option repeated
        "spaces": ["--weight-names", *names],
        "commas": ["--weight-names", ",".join(names)],
        "repeated": [word for name in names for word in ("--weight-names", name)],
    }
    for spelling, arguments in spellings.items():
        result = _observe(setup, config, "--input", delphes, *arguments, "--output", str(tmp_path / f"{spelling}.h5"))
        assert result.exit_code == 0, (spelling, result.output)
    with_lhe = _observe(setup, config, "--input", delphes, "--lhe", str(wh_fixtures / "events_sm.lhe.gz"),
                        "--output", str(tmp_path / "c.h5"))
    assert with_lhe.exit_code == 0, with_lhe.output
    for spelling in spellings:
        np.testing.assert_allclose(_read(tmp_path / f"{spelling}.h5")[1], _read(tmp_path / "c.h5")[1], rtol=1e-6)
    swapped = _observe(setup, config, "--input", delphes, "--weight-names", *names[:-2], names[-1], names[-2],
                       "--output", str(tmp_path / "swapped.h5"))
    assert swapped.exit_code == 0
    assert not np.allclose(_read(tmp_path / "swapped.h5")[1], _read(tmp_path / "c.h5")[1], rtol=1e-6)


def test_misaligned_lhe_file_is_refused(tmp_path, examples, wh_fixtures) -> None:
    config = _config(tmp_path, examples)
    setup = _configure(tmp_path, config)
    result = _observe(setup, config, "--input", str(wh_fixtures / "delphes_sm_60.root"),
                      "--lhe", str(wh_fixtures / "events_w_pos.lhe.gz"), "--output", str(tmp_path / "x.h5"))
    assert result.exit_code == 1
    assert "event 0 of" in result.output and "carries other weights than event 0 of" in result.output
    assert not (tmp_path / "x.h5").exists()


def test_parton_level_observables_from_lhe(tmp_path, examples, wh_fixtures) -> None:
    observables = [
        {"name": "pt_l", "expression": "l[0].pt", "required": True},
        {"name": "met", "expression": "met.pt"},
        {"name": "pt_h", "expression": "p_truth[2].pt"},
        {"name": "m_wh", "expression": "(p_truth[0] + p_truth[1] + p_truth[2]).m"},
        {"name": "charge_l", "expression": "l[0].charge"},
    ]
    config = _config(tmp_path, examples, observables=observables, cuts=["l[0].pt > 30"],
                     efficiencies=["0.5 + 0.5 * (abs(l[0].eta) < 1)"])
    setup = _configure(tmp_path, config)
    lhe_path = wh_fixtures / "events_sm.lhe.gz"
    result = _observe(setup, config, "--input", str(lhe_path), "--output", str(tmp_path / "parton.h5"),
                      "--chunk-size", "1000")
    assert result.exit_code == 0, result.output

    expected, efficiencies = [], []
    with gzip.open(lhe_path, "rt") as stream:
        events = stream.read().split("<event>")[1:]
    for event in events:
        lines = event.strip().splitlines()
        particles = [line.split() for line in lines[1 : 1 + int(lines[0].split()[0])]]
        outgoing = [p for p in particles if p[1] == "1"]
        lepton = next(p for p in outgoing if abs(int(p[0])) in (11, 13))
        neutrino = next(p for p in outgoing if abs(int(p[0])) in (12, 14))
        pt = math.hypot(float(lepton[6]), float(lepton[7]))
        if pt <= 30:
            continue
        eta = math.asinh(float(lepton[8]) / pt)
        total = [sum(float(p[k]) for p in outgoing) for k in (6, 7, 8, 9)]
        m_wh = math.sqrt(total[3] ** 2 - total[0] ** 2 - total[1] ** 2 - total[2] ** 2)
        expected.append([pt, math.hypot(float(neutrino[6]), float(neutrino[7])),
                         math.hypot(float(outgoing[2][6]), float(outgoing[2][7])), m_wh, 1.0])
        efficiencies.append(1.0 if abs(eta) < 1 else 0.5)
    observations, weights, _ = _read(tmp_path / "parton.h5")
    np.testing.assert_allclose(observations, np.array(expected), rtol=1e-7)
    np.testing.assert_allclose(weights[:, 0], 0.1392 / 3000 * np.array(efficiencies), rtol=1e-7)


def test_no_passing_event_gives_an_explicit_empty_file_that_combine_accepts(tmp_path, examples, wh_fixtures) -> None:
    config = _config(tmp_path, examples, cuts=["len(l) >= 5"])
    setup = _configure(tmp_path, config)
    delphes, lhe = str(wh_fixtures / "delphes_sm_60.root"), str(wh_fixtures / "events_sm.lhe.gz")
    assert _observe(setup, config, "--input", delphes, "--lhe", lhe, "--output", str(tmp_path / "empty.h5")).exit_code == 0
    assert _read(tmp_path / "empty.h5")[0].shape == (0, len(OBSERVABLES))
    config_all = _config(tmp_path, examples)
    assert _observe(setup, config_all, "--input", delphes, "--lhe", lhe, "--output", str(tmp_path / "full.h5")).exit_code == 0
    result = CliRunner().invoke(cli, ["combine", "--output", str(tmp_path / "combined.h5"),
                                      str(tmp_path / "empty.h5"), str(tmp_path / "full.h5")])
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(_read(tmp_path / "combined.h5")[1].sum(axis=0), _read(tmp_path / "full.h5")[1].sum(axis=0))


def _write_tree(path: Path, tree: str, branches: dict[str, ak.Array]) -> None:
    with uproot.recreate(path) as file:
        file[tree] = branches


def test_bad_inputs_are_named(tmp_path, examples, wh_fixtures) -> None:
    config = _config(tmp_path, examples)
    setup = _configure(tmp_path, config)
    lhe = str(wh_fixtures / "events_sm.lhe.gz")

    _write_tree(tmp_path / "other.root", "Events", {"x": np.arange(3.0)})
    _write_tree(tmp_path / "partial.root", "Delphes", {"Jet": ak.zip({"PT": ak.Array([[1.0], []])})})
    cases = {
        "no tree": (["--input", str(tmp_path / "other.root")], "no tree 'Delphes' (the file holds Events)"),
        "no branch": (["--input", str(tmp_path / "partial.root")], "lacks the branches Electron.PT"),
        "not root": (["--input", str(setup)], "not a readable ROOT file"),
    }
    for label, (arguments, message) in cases.items():
        output = tmp_path / f"{label}.h5"
        result = _observe(setup, config, *arguments, "--output", str(output))
        assert result.exit_code == 1, (label, result.output)
        assert message in result.output, (label, result.output)
        assert not output.exists()

    unknown = CliRunner().invoke(cli, ["observables", "--setup", str(setup), "--config", str(config), "--input", lhe,
                                       "--sampling-benchmark", "nope", "--output", str(tmp_path / "u.h5")])
    assert unknown.exit_code == 1 and "sampling benchmark 'nope' is not in the setup" in unknown.output

    truth_config = _config(tmp_path, examples, observables=[{"name": "x", "expression": "p_truth[0].pt"}])
    truth_setup = _configure(tmp_path, truth_config)
    result = _observe(truth_setup, truth_config, "--input", str(wh_fixtures / "delphes_sm_60.root"), "--lhe", lhe,
                      "--output", str(tmp_path / "t.h5"))
    assert result.exit_code == 1 and "object 'p_truth' is not available for this input" in result.output


def test_an_event_weighing_nothing_anywhere_is_dropped(tmp_path, examples, wh_fixtures) -> None:
    """As the built-in generator's CKM-off-diagonal events under MadGraph's diagonal CKM: zero at
    every benchmark, they are no event of the sample; one zero weight alone keeps the event."""
    config = _config(tmp_path, examples, cuts=[], observables=[{"name": "pt_l", "expression": "l[0].pt"}])
    setup = _configure(tmp_path, config)
    with gzip.open(wh_fixtures / "events_sm.lhe.gz", "rt") as stream:
        events = stream.read().split("<event>")
    events[4] = re.sub(r"^(\s*\S+\s+\S+\s+)\S+", r"\g<1>0.0", events[4].lstrip("\n"), count=1)  # XWGTUP
    events[4] = re.sub(r"(<wgt id='\w+'>)\s*\S+\s*(</wgt>)", r"\1 0.0 \2", events[4])
    events[7] = re.sub(r"(<wgt id='val_2'>)\s*\S+\s*(</wgt>)", r"\1 0.0 \2", events[7])
    (tmp_path / "zero.lhe").write_text("<event>".join(events))
    full = _observe(setup, config, "--input", str(wh_fixtures / "events_sm.lhe.gz"), "--output", str(tmp_path / "f.h5"))
    zero = _observe(setup, config, "--input", str(tmp_path / "zero.lhe"), "--output", str(tmp_path / "z.h5"))
    assert full.exit_code == 0 and zero.exit_code == 0, (full.output, zero.output)
    full_weights, zero_weights = _read(tmp_path / "f.h5")[1], _read(tmp_path / "z.h5")[1]
    expected = np.delete(full_weights, 3, axis=0)  # event 3 weighs nothing anywhere
    expected[5, BENCHMARKS.index("val_2")] = 0.0  # event 6, one zero weight, stays
    np.testing.assert_array_equal(zero_weights, expected)


def test_nan_weight_and_truncated_lhe_are_named(tmp_path, examples, wh_fixtures) -> None:
    config = _config(tmp_path, examples)
    setup = _configure(tmp_path, config)
    with gzip.open(wh_fixtures / "events_sm.lhe.gz", "rt") as stream:
        text = stream.read()
    events = text.split("<event>")
    events[6] = re.sub(r"<wgt id='val_2'>\s*\S+\s*</wgt>", "<wgt id='val_2'> nan </wgt>", events[6])
    (tmp_path / "nan.lhe").write_text("<event>".join(events))
    result = _observe(setup, config, "--input", str(tmp_path / "nan.lhe"), "--output", str(tmp_path / "n.h5"))
    assert result.exit_code == 1 and "nan.lhe: event 5 has a non-finite weight (nan)" in result.output
    assert not (tmp_path / "n.h5").exists()

    data = (wh_fixtures / "events_sm.lhe.gz").read_bytes()
    (tmp_path / "cut.lhe.gz").write_bytes(data[: len(data) // 2])
    result = _observe(setup, config, "--input", str(tmp_path / "cut.lhe.gz"), "--output", str(tmp_path / "c.h5"))
    assert result.exit_code == 1 and "cut.lhe.gz: truncated or corrupt after event" in result.output
    assert not (tmp_path / "c.h5").exists()

    # a plain file cut inside an event (a reader would drop it and go on), and a complete
    # gzip stream of a cut file: the closing tag is missing
    cut = text[: len(text) // 2]
    complete = cut.count("</event>")
    (tmp_path / "cut.lhe").write_text(cut)
    (tmp_path / "recompressed.lhe.gz").write_bytes(gzip.compress(cut.encode()))
    for name in ("cut.lhe", "recompressed.lhe.gz"):
        result = _observe(setup, config, "--input", str(tmp_path / name), "--output", str(tmp_path / "p.h5"))
        assert result.exit_code == 1, result.output
        assert (f"{name}: truncated after event {complete - 1} (the last complete one): no </LesHouchesEvents> "
                "at its end") in result.output
        assert not (tmp_path / "p.h5").exists()


MADMINER_DELPHES = """
import numpy as np
from madminer.delphes import DelphesReader
reader = DelphesReader(ARGS["setup"])
reader.add_sample(hepmc_filename=ARGS["hepmc"], sampled_from_benchmark="sm", weights="lhe",
                  lhe_filename=ARGS["lhe"], delphes_filename=ARGS["delphes"])
for name, expression, required in ARGS["observables"]:
    reader.add_observable(name, expression, required=required)
reader.analyse_delphes_samples(delete_delphes_files=False)
observations = np.column_stack([reader.observations[name] for name, _, _ in ARGS["observables"]])
weights = np.column_stack([reader.weights[name] for name in ARGS["benchmarks"]])
print(json.dumps({"observations": observations.tolist(), "weights": weights.tolist()}))
"""


@pytest.mark.madminer
def test_observables_and_weights_agree_with_madminer_delphes_reader(
        tmp_path, examples, wh_fixtures, madminer_delphes) -> None:
    # madminer unpacks the LHE file beside itself and needs exactly the Delphes events in
    # it, so it gets copies: the HepMC, the Delphes file, and the first 60 LHE events.
    with gzip.open(wh_fixtures / "events_sm.lhe.gz", "rt") as stream:
        head, rest = stream.read().split("<event>", 1)
    events = ("<event>" + rest).split("</event>")[:60]
    lhe = tmp_path / "events_60.lhe.gz"
    with gzip.open(lhe, "wt") as stream:
        stream.write(head + "</event>".join(events) + "</event>\n</LesHouchesEvents>\n")
    for name in (HEPMC_NAME, "delphes_sm_60.root"):
        (tmp_path / name).write_bytes((wh_fixtures / name).read_bytes())
    definitions = [("pt_l", "l[0].pt", True), ("eta_l", "l[0].eta", True), ("mt_w", "(l[0] + met).mt", True),
                   ("n_jets", "len(j)", False), ("dphi_lj", "l[0].deltaphi(j[0])", True),
                   ("m_jj", "(j[0] + j[1]).m", True), ("pt_vis", "visible.pt", False)]
    observables = [{"name": n, "expression": e, "required": r} for n, e, r in definitions]
    config = _config(tmp_path, examples, observables=observables, cuts=[])
    setup = _configure(tmp_path, config)
    result = _observe(setup, config, "--input", str(tmp_path / "delphes_sm_60.root"), "--lhe", str(lhe),
                      "--output", str(tmp_path / "ours.h5"))
    assert result.exit_code == 0, result.output
    ours, our_weights, _ = _read(tmp_path / "ours.h5")

    with h5py.File(setup, "r") as file:
        benchmarks = [n.decode() for n in file["benchmarks/names"][()]]
    theirs = madminer_delphes.run(MADMINER_DELPHES, setup=str(setup), hepmc=str(tmp_path / HEPMC_NAME), lhe=str(lhe),
                                  delphes=str(tmp_path / "delphes_sm_60.root"), observables=definitions,
                                  benchmarks=benchmarks)
    their_observations = np.array(theirs["observations"])
    assert ours.shape == their_observations.shape and len(ours) > 20
    # madminer gives muons a mass of 0.105 GeV, goldmine the PDG 0.105658 GeV; the
    # dijet mass amplifies float32 rounding of the Delphes inputs to a few 1e-5
    np.testing.assert_allclose(ours, their_observations, rtol=1e-4, atol=1e-5)
    # madminer divides by the run card's nevents (3000), goldmine by the events given (60)
    np.testing.assert_allclose(our_weights, np.array(theirs["weights"]) * 3000 / 60, rtol=1e-6)


def test_empty_delphes_tree_is_an_error(tmp_path, examples) -> None:
    from goldmine.io.delphes_root import OBJECT_BRANCHES
    from goldmine.io.delphes_writer import DelphesTreeWriter

    fields: dict[str, dict[str, ak.Array]] = {}
    for name in OBJECT_BRANCHES:
        outer, inner = name.split(".")
        fields.setdefault(outer, {})[inner] = ak.values_astype(ak.Array([[1.0]]), np.float32)[:0]
    with uproot.recreate(tmp_path / "empty.root") as file:
        DelphesTreeWriter(file, ("Weight",)).extend({outer: ak.zip(inner) for outer, inner in fields.items()})
    config = _config(tmp_path, examples)
    setup = _configure(tmp_path, config)
    result = _observe(setup, config, "--input", str(tmp_path / "empty.root"), "--output", str(tmp_path / "e.h5"))
    assert result.exit_code == 1 and "empty.root: tree 'Delphes' holds no events" in result.output
    assert not (tmp_path / "e.h5").exists()


def test_lhe_file_with_fewer_events_than_delphes_is_refused(tmp_path, examples, wh_fixtures) -> None:
    config = _config(tmp_path, examples)
    setup = _configure(tmp_path, config)
    with gzip.open(wh_fixtures / "events_sm.lhe.gz", "rt") as stream:
        head, rest = stream.read().split("<event>", 1)
    events = ("<event>" + rest).split("</event>")[:30]
    (tmp_path / "short.lhe").write_text(head + "</event>".join(events) + "</event>\n</LesHouchesEvents>\n")
    result = _observe(setup, config, "--input", str(wh_fixtures / "delphes_sm_60.root"), "--lhe",
                      str(tmp_path / "short.lhe"), "--output", str(tmp_path / "s.h5"), "--chunk-size", "17")
    assert result.exit_code == 1
    assert "short.lhe: has 30 events, fewer than the 34 events to weight" in result.output
    assert not (tmp_path / "s.h5").exists()


@pytest.mark.parametrize("case", ["madgraph_lhe", "delphes_with_madgraph_lhe", "goldmine_lhe"])
def test_events_of_another_sampling_benchmark_are_refused(tmp_path, examples, wh_fixtures, case) -> None:
    """The nominal weight is the sampling benchmark's: MadGraph names only the other
    benchmarks, goldmine names all (the sampling one equal to the nominal)."""
    config = _config(tmp_path, examples)
    setup = _configure(tmp_path, config)
    builtin = wh_fixtures.parent / "builtin-wh-delphes-300"
    inputs = {
        "madgraph_lhe": ["--input", str(wh_fixtures / "events_sm.lhe.gz")],
        "delphes_with_madgraph_lhe": ["--input", str(wh_fixtures / "delphes_sm_60.root"),
                                      "--lhe", str(wh_fixtures / "events_sm.lhe.gz")],
        "goldmine_lhe": ["--input", str(builtin / "events.lhe.gz")],
    }[case]
    output = tmp_path / "x.h5"
    right = _observe(setup, config, *inputs, "--output", str(tmp_path / "right.h5"))
    assert right.exit_code == 0, right.output
    wrong = _observe(setup, config, *inputs, "--sampling-benchmark", "w_pos", "--output", str(output))
    assert wrong.exit_code == 1
    if case == "goldmine_lhe":
        assert re.search(r"events.lhe.gz: event 0 has the nominal weight \S+, but its w_pos weight is \S+; .* "
                         r"not sampled at --sampling-benchmark w_pos", wrong.output), wrong.output
    else:
        assert "no weights for the benchmarks ['sm']" in wrong.output
        assert "were its events sampled at sm, not --sampling-benchmark w_pos?" in wrong.output
    assert not output.exists() and not list(tmp_path.glob(".x.h5*"))
