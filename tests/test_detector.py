"""The delphes stage: built-in fast detector and parton smearing against the real
Delphes fixture and the LHE truth; the real-Delphes runner's command and errors."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot
from click.testing import CliRunner
from scipy import stats

from goldmine.cli import cli
from goldmine.config.loader import load_config
from goldmine.detector.delphes import DelphesError
from goldmine.io.delphes_root import OBJECT_BRANCHES, iter_delphes, weight_names
from goldmine.io.hepmc import iter_hepmc
from goldmine.io.lhe_events import iter_lhe_events
from goldmine.observables.objects import delphes_objects
from goldmine.observables.selection import Selection

pytestmark = pytest.mark.fixtures

HEPMC = "events_sm_60.hepmc2.gz"


def _delphes(*arguments: str):  # noqa: ANN202
    return CliRunner().invoke(cli, ["delphes", *arguments])


@pytest.fixture(scope="module")
def builtin_root(tmp_path_factory, wh_fixtures) -> Path:
    output = tmp_path_factory.mktemp("builtin") / "delphes.root"
    result = _delphes("--hepmc", str(wh_fixtures / HEPMC), "--output", str(output), "--seed", "7", "--chunk-size", "25")
    assert result.exit_code == 0, result.output
    return output


def test_builtin_detector_writes_the_delphes_layout_with_every_weight(builtin_root, wh_fixtures) -> None:
    tree = uproot.open(builtin_root)["Delphes"]
    for branch in (*OBJECT_BRANCHES, "Event.Weight", "Weight.Weight", "Jet_size", "Electron_size"):
        assert branch in tree, branch
    assert tree.num_entries == 60
    hepmc = next(iter_hepmc(wh_fixtures / HEPMC, chunk_events=60))
    stored = ak.to_numpy(tree["Weight.Weight"].array()).reshape(60, -1)
    np.testing.assert_allclose(stored, hepmc.weights, rtol=1e-7)
    np.testing.assert_allclose(ak.flatten(tree["Event.Weight"].array()), hepmc.weights[:, 0], rtol=1e-7)
    assert weight_names(builtin_root) == ("Weight", "w_pos", "w_neg", "pw_pos", "pw_neg", "mixed", "val_1",
                                          "val_2", "val_3")


def test_builtin_detector_resembles_real_delphes_on_the_same_events(builtin_root, wh_fixtures) -> None:
    ours = uproot.open(builtin_root)["Delphes"]
    real = uproot.open(wh_fixtures / "delphes_sm_60.root")["Delphes"]

    def count(tree: object, branch: str) -> np.ndarray:
        return ak.to_numpy(ak.num(tree[branch].array(), axis=1))

    leptons_ours = count(ours, "Electron.PT") + count(ours, "Muon.PT")
    leptons_real = count(real, "Electron.PT") + count(real, "Muon.PT")
    assert np.mean(leptons_ours == leptons_real) >= 0.8  # same isolated W lepton, same acceptance
    met_ours, met_real = (ak.to_numpy(ak.flatten(t["MissingET.MET"].array())) for t in (ours, real))
    assert np.corrcoef(met_ours, met_real)[0, 1] > 0.75  # both see the neutrino
    assert 0.8 < np.median(met_ours / met_real) < 1.25
    jets_ours, jets_real = count(ours, "Jet.PT"), count(real, "Jet.PT")
    assert abs(jets_ours.mean() - jets_real.mean()) < 0.6


@pytest.fixture(scope="module")
def cms_files(tmp_path_factory, wh_fixtures) -> tuple[Path, Path]:
    """The built-in detector's and real Delphes' CMS card output for the same 300 showered
    events (../shared/fixtures/builtin-wh-delphes-300)."""
    fixture = wh_fixtures.parent / "builtin-wh-delphes-300"
    output = tmp_path_factory.mktemp("cms") / "delphes.root"
    result = _delphes("--hepmc", str(fixture / "events.hepmc.gz"), "--output", str(output), "--seed", "11")
    assert result.exit_code == 0, result.output
    return output, fixture / "delphes_cms.root"


@pytest.fixture(scope="module")
def cms_pair(cms_files) -> tuple[dict[str, ak.Array], dict[str, ak.Array]]:
    """Both outputs as arrays per branch."""
    branches = ["Jet.PT", "Jet.BTag", "Electron.PT", "Muon.PT"]
    return tuple(uproot.open(path)["Delphes"].arrays(branches, library="ak") for path in cms_files)


def test_builtin_detector_follows_the_cms_card_event_by_event(cms_pair) -> None:
    """Same events, two detectors: each difference, summed event by event, must be within
    three standard errors of none (two more percent for the jet pT, whose response is
    modelled, not simulated). Paired, 300 events resolve a 4 % jet energy shift and the
    surplus of jets that a cut ignoring the card's energy scale gives (882 vs 817)."""
    ours, real = cms_pair
    both = (ak.num(ours["Jet.PT"]) > 0) & (ak.num(real["Jet.PT"]) > 0)
    leading = [ak.to_numpy(ak.max(tree["Jet.PT"][both], axis=1)) for tree in (ours, real)]
    log_ratio = np.log(leading[0] / leading[1])
    error = log_ratio.std(ddof=1) / np.sqrt(len(log_ratio))
    assert abs(log_ratio.mean()) < 3 * error + 0.02, f"leading jet pT: {log_ratio.mean():+.3f} +- {error:.3f}"

    def per_event(tree: dict[str, ak.Array]) -> dict[str, np.ndarray]:
        leptons = ak.to_numpy(ak.num(tree["Electron.PT"]) + ak.num(tree["Muon.PT"]))
        b_tags = ak.to_numpy(ak.sum((tree["Jet.BTag"] & 1) != 0, axis=1))
        return {"leptons": leptons, "b-tags": b_tags, "jets": ak.to_numpy(ak.num(tree["Jet.PT"])),
                "passing the default cuts": ((leptons >= 1) & (b_tags >= 2)).astype(int)}

    counts_ours, counts_real = per_event(ours), per_event(real)
    for name in counts_ours:
        difference = counts_ours[name] - counts_real[name]
        error = difference.std(ddof=1) * np.sqrt(len(difference))
        assert abs(difference.sum()) < 3 * error, (
            f"{name}: {counts_ours[name].sum()} vs {counts_real[name].sum()} (+- {error:.1f})")


def test_builtin_detector_multiplicities_follow_the_cms_card(cms_pair) -> None:
    """The issue's target: lepton, jet and b-jet multiplicity distributions agree within
    their statistical errors (a χ² test of homogeneity, bins merged to hold ten events;
    treating the paired samples as independent makes it conservative). On the fixture's 300
    events the p-values are 0.56, 0.71 and 0.29; b-tag efficiencies 24 % low give 1e-4 for
    the b-jets, a jet cut at 25 GeV instead of 20 gives 1e-3 for the jets (a jet energy
    shift is resolved by the paired test above)."""
    def multiplicities(tree: dict[str, ak.Array]) -> dict[str, np.ndarray]:
        return {"leptons": ak.to_numpy(ak.num(tree["Electron.PT"]) + ak.num(tree["Muon.PT"])),
                "jets": ak.to_numpy(ak.num(tree["Jet.PT"])),
                "b-jets": ak.to_numpy(ak.sum((tree["Jet.BTag"] & 1) != 0, axis=1))}

    ours, real = (multiplicities(tree) for tree in cms_pair)
    for name in ours:
        length = max(ours[name].max(), real[name].max()) + 1
        table = np.array([np.bincount(ours[name], minlength=length), np.bincount(real[name], minlength=length)])
        merged, pending = [], np.zeros(2, np.int64)
        for column in table.T:
            pending += column
            if pending.sum() >= 10:
                merged.append(pending)
                pending = np.zeros(2, np.int64)
        merged[-1] = merged[-1] + pending
        p_value = stats.chi2_contingency(np.array(merged).T)[1] if len(merged) > 1 else 1.0
        assert p_value > 1e-3, f"{name}: {table[0].tolist()} vs Delphes' {table[1].tolist()} (p = {p_value:.1e})"


def _per_event(path: Path, examples: Path) -> dict[str, np.ndarray]:
    """The default example's observables per event (NaN where one is undefined) and whether
    the event passes its cuts."""
    analysis = load_config(examples / "wh-builtin.yml")
    singles = {o.name: Selection.build([replace(o, required=True)]) for o in analysis.observables
               if o.name in CMS_OBSERVABLES}
    cuts = Selection.build(analysis.observables, analysis.cuts, analysis.efficiencies)
    values: dict[str, list[np.ndarray]] = {name: [] for name in (*singles, "passed")}
    for chunk in iter_delphes(path):
        objects = delphes_objects(chunk.branches)
        for name, selection in singles.items():
            result = selection.apply(objects, len(chunk))
            column = np.full(len(chunk), np.nan)
            column[result.passed] = result.observations[:, 0]
            values[name].append(column)
        values["passed"].append(cuts.apply(objects, len(chunk)).passed.astype(float))
    return {name: np.concatenate(columns) for name, columns in values.items()}


CMS_OBSERVABLES = ("pt_l", "met", "mt_w", "pt_bb", "m_bb")


def test_builtin_detector_matches_the_cms_card_in_the_default_analysis(cms_files, examples) -> None:
    """The issue's targets at the statistics of 300 events (README gives them on 27,000):
    events passing the default cuts within 10 %, and each observable's mean and quartiles
    within 3 %, each allowing three standard errors (paired over the same events; the
    quartiles' from a bootstrap over events)."""
    ours, real = (_per_event(path, examples) for path in cms_files)
    difference = ours["passed"] - real["passed"]
    error = difference.std(ddof=1) * np.sqrt(len(difference))
    assert abs(difference.sum()) < 0.10 * real["passed"].sum() + 3 * error, (ours["passed"].sum(), real["passed"].sum())
    rng = np.random.default_rng(1)
    for name in CMS_OBSERVABLES:
        both = np.isfinite(ours[name]) & np.isfinite(real[name])
        assert both.sum() >= 20, name  # b-tags are drawn at random by both: pt_bb, m_bb in ~30 events
        log_ratio = np.log(ours[name][both] / real[name][both])
        error = log_ratio.std(ddof=1) / np.sqrt(both.sum())
        assert abs(log_ratio.mean()) < 0.03 + 3 * error, f"{name}: mean {log_ratio.mean():+.3f} +- {error:.3f}"
        quartiles = np.array([np.quantile(sample[name][both], (0.25, 0.5, 0.75)) for sample in (ours, real)])
        ours_both, real_both = ours[name][both], real[name][both]
        resampled = rng.integers(0, both.sum(), (200, both.sum()))
        spread = np.std([np.log(np.quantile(ours_both[rows], (0.25, 0.5, 0.75))
                                / np.quantile(real_both[rows], (0.25, 0.5, 0.75))) for rows in resampled], axis=0)
        shift = np.log(quartiles[0] / quartiles[1])
        assert np.all(np.abs(shift) < 0.03 + 3 * spread), f"{name}: quartiles {quartiles[0]} vs {quartiles[1]}"


def test_builtin_detector_is_deterministic_per_seed(tmp_path, builtin_root, wh_fixtures) -> None:
    again, other = tmp_path / "again.root", tmp_path / "other.root"
    for path, seed in ((again, "7"), (other, "8")):
        assert _delphes("--hepmc", str(wh_fixtures / HEPMC), "--output", str(path), "--seed", seed,
                        "--chunk-size", "25").exit_code == 0
    first, second, third = (uproot.open(p)["Delphes"]["Jet.PT"].array() for p in (builtin_root, again, other))
    assert ak.all(ak.flatten(first) == ak.flatten(second))
    assert len(ak.flatten(first)) != len(ak.flatten(third)) or not ak.all(ak.flatten(first) == ak.flatten(third))


def test_parton_mode_without_smearing_reproduces_the_lhe_truth(tmp_path, wh_fixtures) -> None:
    card = tmp_path / "perfect.yml"
    perfect = ('efficiency: [{eta_max: 10.0, pt_min: 0.0, value: 1.0}], '
               'isolation: {delta_r: 0.5, pt_ratio_max: 1.0}')
    card.write_text(f"electron: {{{perfect}, energy_resolution: {{}}}}\n"
                    f"photon: {{{perfect}, energy_resolution: {{}}}}\n"
                    f"muon: {{{perfect}, pt_resolution: {{}}}}\n")
    output = tmp_path / "parton.root"
    result = _delphes("--backend", "parton", "--lhe", str(wh_fixtures / "events_sm.lhe.gz"), "--card", str(card),
                      "--output", str(output))
    assert result.exit_code == 0, result.output
    tree = uproot.open(output)["Delphes"]
    lepton_pt = ak.to_numpy(ak.flatten(ak.concatenate([tree["Electron.PT"].array(), tree["Muon.PT"].array()], axis=1)))
    _, lhe = next(iter_lhe_events(wh_fixtures / "events_sm.lhe.gz", chunk_events=5000))
    leptons = lhe.particles[(abs(lhe.particles.pid) == 11) | (abs(lhe.particles.pid) == 13)]
    truth = ak.to_numpy(ak.flatten(np.hypot(leptons.px, leptons.py)))
    np.testing.assert_allclose(lepton_pt, truth, rtol=1e-6)
    neutrinos = lhe.particles[(abs(lhe.particles.pid) == 12) | (abs(lhe.particles.pid) == 14)]
    np.testing.assert_allclose(ak.flatten(tree["MissingET.MET"].array()),
                               ak.flatten(np.hypot(neutrinos.px, neutrinos.py)), rtol=1e-6)


def test_bad_detector_card_is_named(tmp_path, wh_fixtures) -> None:
    card = tmp_path / "bad.yml"
    card.write_text("jet: {radius: 0.4, pt_min: 20, eta_max: 5, calorimeter_eta_max: 5, energy_resolution: {sigma: 1}}\n")
    result = _delphes("--hepmc", str(wh_fixtures / HEPMC), "--card", str(card), "--output", str(tmp_path / "x.root"))
    assert result.exit_code == 2 and "jet.energy_resolution.sigma: unknown key" in result.output
    assert not (tmp_path / "x.root").exists()
    card.write_text("jet: {radius: 0.4, pt_min: 20, eta_max: 5, calorimeter_eta_max: 5, energy_resolution: {},"
                    " inputs: {track_pt: 1}}\n")
    result = _delphes("--hepmc", str(wh_fixtures / HEPMC), "--card", str(card), "--output", str(tmp_path / "x.root"))
    assert result.exit_code == 2 and "jet.inputs.track_pt: unknown key" in result.output
    card.write_text("btag: {delta_r: 0.4, eta_max: 2.5, radius: 1, efficiency: {b: 0.7, c: 0.2, light: 0.01}}\n")
    result = _delphes("--hepmc", str(wh_fixtures / HEPMC), "--card", str(card), "--output", str(tmp_path / "x.root"))
    assert result.exit_code == 2 and "btag.radius: unknown key" in result.output
    assert not (tmp_path / "x.root").exists()
    for efficiency, problem in [("{b: '0.002*pt', c: 0.2, light: 0.01}", "btag.efficiency.b: '0.002*pt' leaves [0, 1]"),
                                ("{b: 'erf(pt)', c: 0.2, light: 0.01}", "btag.efficiency.b: "),
                                ("{b: 0.7, c: 0.2}", "btag.efficiency: expected probabilities")]:
        card.write_text(f"btag: {{delta_r: 0.4, eta_max: 2.5, efficiency: {efficiency}}}\n")
        result = _delphes("--hepmc", str(wh_fixtures / HEPMC), "--card", str(card), "--output", str(tmp_path / "x.root"))
        assert result.exit_code == 2 and problem in result.output, result.output
        assert not (tmp_path / "x.root").exists()


def test_jets_are_clustered_from_what_the_particle_flow_keeps() -> None:
    """Tracks inside the tracker above 0.1 GeV of pT; elsewhere, and for neutral particles,
    deposits above the ECal's (e, γ: 0.5 GeV) or the HCal's (hadrons: 1 GeV) energy
    threshold; muons beyond the tracker leave nothing."""
    from goldmine.detector.card import JetInputs, load_card
    from goldmine.detector.fast import _particle_flow
    from goldmine.detector.objects import Momenta

    #            pid,  pT,   η,   kept
    particles = [(211, 0.05, 0.0, False), (211, 0.2, 0.0, True), (-11, 0.2, 2.0, True),
                 (22, 0.3, 0.0, False), (22, 0.6, 0.0, True), (2112, 0.8, 0.0, False), (130, 1.5, 0.0, True),
                 (211, 0.08, 3.0, False), (211, 0.15, 3.0, True), (13, 5.0, 3.0, False), (11, 0.06, 3.0, True)]
    pid, pt, eta, kept = (np.array(column) for column in zip(*particles))
    n = len(pid)
    momenta = Momenta(1, np.zeros(n, np.int64), pt, np.zeros(n), pt * np.sinh(eta), pt * np.cosh(eta), pid,
                      np.arange(n))  # massless, along x: E = pT cosh η
    np.testing.assert_array_equal(_particle_flow(momenta, load_card().jet.inputs), kept)
    assert _particle_flow(momenta, JetInputs()).all()  # a card without inputs keeps every particle


def _fake_delphes(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "DelphesHepMC2"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_real_delphes_runner_streams_gzip_and_renames_on_success(tmp_path, wh_fixtures) -> None:
    # A stand-in for DelphesHepMC2 that checks its arguments, reads the HepMC from
    # stdin as the real one does with "-", and writes the real fixture's output.
    source = wh_fixtures / "delphes_sm_60.root"
    script = _fake_delphes(tmp_path / "bin", f"""
[ "$3" = "-" ] || {{ echo "expected stdin, got $3"; exit 3; }}
grep -c "^E " > "$2.events"
cp "{source}" "$2"
echo "** Delphes finished"
""")
    card = tmp_path / "delphes_card_CMS.tcl"
    card.write_text("# card\n")
    output = tmp_path / "delphes.root"
    result = _delphes("--backend", "delphes", "--hepmc", str(wh_fixtures / HEPMC), "--card", str(card),
                      "--output", str(output), "--delphes", str(script.parent))
    assert result.exit_code == 0, result.output
    assert uproot.open(output)["Delphes"].num_entries == 60
    assert list(tmp_path.glob(".delphes.root.partial.root.events"))[0].read_text().strip() == "60"
    assert not list(tmp_path.glob(".delphes.root.partial.root"))


def test_real_delphes_runner_reports_missing_and_failing_delphes(tmp_path, wh_fixtures, monkeypatch) -> None:
    card = tmp_path / "card.tcl"
    card.write_text("# card\n")
    monkeypatch.delenv("DELPHES_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    missing = _delphes("--backend", "delphes", "--hepmc", str(wh_fixtures / HEPMC), "--card", str(card),
                       "--output", str(tmp_path / "a.root"))
    assert missing.exit_code == 1 and "DelphesHepMC2 not found" in missing.output

    _fake_delphes(tmp_path / "home" / "bin", 'cat > /dev/null\necho "ERROR: cannot read card $1"\nexit 1\n')
    monkeypatch.setenv("DELPHES_HOME", str(tmp_path / "home"))
    failed = _delphes("--backend", "delphes", "--hepmc", str(wh_fixtures / HEPMC), "--card", str(card),
                      "--output", str(tmp_path / "b.root"))
    assert failed.exit_code == 1
    assert "DelphesHepMC2 failed (exit code 1)" in failed.output and "ERROR: cannot read card" in failed.output
    assert not (tmp_path / "b.root").exists() and (tmp_path / "b.root.delphes.log").exists()


def test_delphes_found_in_a_cmake_build_tree_with_the_source_trees_cards(tmp_path, monkeypatch) -> None:
    """A CMake build keeps the readers in build/readers/ and the cards in the source tree,
    which its CMakeCache.txt names."""
    from goldmine.detector.delphes import default_card, find_delphes

    monkeypatch.delenv("DELPHES_HOME", raising=False)
    source, build = tmp_path / "delphes-3.5.1", tmp_path / "build"
    (source / "cards").mkdir(parents=True)
    (source / "cards" / "delphes_card_CMS.tcl").write_text("# card\n")
    _fake_delphes(build / "readers", "exit 0\n")
    (build / "CMakeCache.txt").write_text(f"# cache\nCMAKE_HOME_DIRECTORY:INTERNAL={source}\n")
    executable = find_delphes(2, build)
    assert executable == (build / "readers" / "DelphesHepMC2").resolve()
    assert default_card(executable) == source / "cards" / "delphes_card_CMS.tcl"

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(DelphesError) as missing:
        find_delphes(3, build)
    for tried in ("build", "build/DelphesHepMC3", "build/bin/DelphesHepMC3", "build/readers/DelphesHepMC3"):
        assert str(tmp_path / tried) in str(missing.value)
    (source / "cards" / "delphes_card_CMS.tcl").unlink()
    with pytest.raises(DelphesError, match=f"tried .*{source / 'cards' / 'delphes_card_CMS.tcl'}"):
        default_card(executable)


@pytest.mark.parametrize(("source", "compressed"), [("hepmc3", False), ("hepmc3", True), ("hepmc2", False),
                                                    ("hepmc2", True)])
def test_a_truncated_hepmc_file_is_an_error_naming_its_last_complete_event(tmp_path, wh_fixtures, source,
                                                                           compressed) -> None:
    """pyhepmc drops a cut event with a message and ends as if the file were complete;
    the missing END_EVENT_LISTING footer tells."""
    import gzip
    import re

    original = {"hepmc3": wh_fixtures.parent / "builtin-wh-delphes-300" / "events.hepmc.gz",
                "hepmc2": wh_fixtures / HEPMC}[source]
    text = gzip.open(original).read()
    cut = text[: len(text) // 2]
    complete_events = cut.count(b"\nE ") - 1  # the last E line begins the cut event
    path = tmp_path / ("cut.hepmc.gz" if compressed else "cut.hepmc")
    path.write_bytes(gzip.compress(cut) if compressed else cut)
    output = tmp_path / "delphes.root"
    result = _delphes("--backend", "builtin", "--hepmc", str(path), "--output", str(output))
    assert result.exit_code == 1
    match = re.search(r"truncated after event (\d+): the file ends without HepMC's END_EVENT_LISTING footer",
                      result.output)
    assert match and int(match.group(1)) == complete_events - 1, result.output
    assert str(path) in result.output
    assert not output.exists() and not list(tmp_path.glob(".delphes.root*"))


@pytest.mark.parametrize(("backend", "option"), [("builtin", "--hepmc"), ("parton", "--lhe"), ("none", "--lhe")])
def test_the_backends_file_must_exist_the_other_may_not(tmp_path, backend, option) -> None:
    """The workflow passes both files; a job without shower has no HepMC, which only the
    backends that read it may not miss (named, nothing written)."""
    missing = tmp_path / "missing.gz"
    other = "--lhe" if option == "--hepmc" else "--hepmc"
    result = _delphes("--backend", backend, option, str(missing), other, str(tmp_path / "also-missing.gz"),
                      "--output", str(tmp_path / "out.root"))
    assert result.exit_code != 0
    assert f"{missing} does not exist (the {backend} backend reads it)" in result.output
    assert not (tmp_path / "out.root").exists()
