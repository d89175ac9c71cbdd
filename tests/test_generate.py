"""The generate stage: the built-in Pythia 8 generator end to end, its physics against
MadGraph's fixture, determinism, MadGraph card writing, and bad input."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import h5py
import numpy as np
import pylhe
import pytest
import yaml
from click.testing import CliRunner

from goldmine.cli import cli
from goldmine.generate.builtin import generate_events
from goldmine.generate.wh_events import amplitudes_from_lhe
from goldmine.io.hepmc import iter_hepmc
from goldmine.io.lhe_events import iter_lhe_events

#: the example's benchmarks, then the two nuisance benchmarks of its scale systematic (at sm)
BENCHMARKS = ["sm", "w_pos", "w_neg", "pw_pos", "pw_neg", "mixed", "val_1", "val_2", "val_3",
              "scale_nuisance_param_0_benchmark_0", "scale_nuisance_param_0_benchmark_1"]


def _config(tmp_path: Path, examples: Path, *, shower: bool = True, cuts: list[str] | None = None,
            **builtin: object) -> Path:
    """The example's config with these built-in settings; without true weights unless asked
    (the tests here read the LHE's weight columns: the benchmarks only)."""
    raw = yaml.safe_load((examples / "wh-builtin.yml").read_text())
    raw["generation"]["builtin"].update({"shower": shower, "true_weights": False, **builtin})
    if cuts is not None:
        raw["cuts"] = cuts
    path = tmp_path / "analysis.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _configure(tmp_path: Path, config: Path) -> Path:
    setup = tmp_path / "setup.h5"
    result = CliRunner().invoke(cli, ["configure", str(config), "--output", str(setup),
                                      "--plan", str(tmp_path / "plan.yml")])
    assert result.exit_code == 0, result.output
    return setup


def _generate(setup: Path, config: Path, output: Path, *arguments: str, benchmark: str = "w_pos",
              seed: str = "7", events: str = "40") -> object:
    return CliRunner().invoke(cli, ["generate", "--setup", str(setup), "--config", str(config), "--benchmark", benchmark,
                                    "--seed", seed, "--events", events, "--output", str(output), *arguments])


def _lhe_text(path: Path) -> str:
    with gzip.open(path, "rt") as stream:
        return stream.read()


def test_builtin_job_writes_lhe_hepmc_and_summary(tmp_path, examples) -> None:
    config = _config(tmp_path, examples, cuts=["len(l) >= 1"])  # the example's own keep ~6 % of 40 events
    setup = _configure(tmp_path, config)
    result = _generate(setup, config, tmp_path / "job")
    assert result.exit_code == 0, result.output
    job = tmp_path / "job"
    assert sorted(p.name for p in job.iterdir()) == ["events.hepmc.gz", "events.lhe.gz", "generate.json"]

    (header, chunk), = iter_lhe_events(job / "events.lhe.gz")
    assert header.weight_names == tuple(BENCHMARKS) and header.event_norm == "average"
    assert len(chunk) == 40
    # nominal = the sampling benchmark's weight; every weight ratio is the exact amplitude ratio
    np.testing.assert_allclose(chunk.nominal, chunk.weights[:, 1], rtol=1e-7)
    # (an event of CKM-off-diagonal flavours weighs 0 everywhere under MadGraph's diagonal CKM)
    amplitudes = amplitudes_from_lhe(chunk, "job")
    thetas = {"sm": (0, 0), "w_pos": (10, 0), "pw_neg": (0, -10), "val_2": (-15, 8)}
    weighs = chunk.nominal != 0
    assert np.all(chunk.weights[~weighs] == 0)
    for name, theta in thetas.items():
        expected = amplitudes.ratio(np.array(theta), np.array(thetas["w_pos"]))
        np.testing.assert_allclose(chunk.weights[weighs, BENCHMARKS.index(name)] / chunk.nominal[weighs],
                                   expected[weighs], rtol=1e-6)

    # pylhe reads the same file the same way
    events = list(pylhe.LHEFile.fromfile(str(job / "events.lhe.gz")).events)
    np.testing.assert_allclose([e.eventinfo.weight for e in events], chunk.nominal, rtol=1e-7)
    np.testing.assert_allclose([[e.weights[name] for name in BENCHMARKS] for e in events], chunk.weights, rtol=1e-7)
    np.testing.assert_allclose([[p.e for p in e.particles] for e in events], ak_to_numpy(chunk.particles.e), rtol=1e-9)

    # the showered events carry every weight by name, equal to the LHE's
    hepmc = list(iter_hepmc(job / "events.hepmc.gz"))
    assert hepmc[0].weight_names == ("Weight", *BENCHMARKS)
    weights = np.concatenate([c.weights for c in hepmc])
    np.testing.assert_allclose(weights[:, 0], chunk.nominal, rtol=1e-7)
    np.testing.assert_allclose(weights[:, 1:], chunk.weights, rtol=1e-7)
    import awkward as ak

    assert all(ak.all(ak.any(np.abs(c.particles.pid) == 5, axis=1)) for c in hepmc)  # h -> b b~ forced
    # one Pythia run: showered event i grew from LHE event i (its incoming partons, after the two beams)
    showered_incoming = np.concatenate([ak_to_numpy(c.particles.pz[:, 2:4]) for c in hepmc])
    np.testing.assert_allclose(showered_incoming, ak_to_numpy(chunk.particles.pz[:, :2]), rtol=1e-8)
    assert (ak_to_numpy(chunk.particles.status[:, 2:]) == [1, 2, 1, 1]).all()  # h undecayed, W -> l nu

    # the next stages accept the job's files: built-in detector, then observables with the LHE weights
    detector = CliRunner().invoke(cli, ["delphes", "--hepmc", str(job / "events.hepmc.gz"),
                                        "--output", str(tmp_path / "delphes.root"), "--seed", "1"])
    assert detector.exit_code == 0, detector.output
    observed = CliRunner().invoke(cli, ["observables", "--setup", str(setup), "--config", str(config),
                                        "--input", str(tmp_path / "delphes.root"), "--lhe", str(job / "events.lhe.gz"),
                                        "--sampling-benchmark", "w_pos", "--output", str(tmp_path / "events.h5")])
    assert observed.exit_code == 0, observed.output
    with h5py.File(tmp_path / "events.h5") as events_file:
        assert 0 < events_file["samples/weights"].shape[0] <= 40

    summary = json.loads((job / "generate.json").read_text())
    assert summary["seed"] == 7 and summary["events"] == 40 and summary["showered_events"] == 40
    assert summary["cross_section_pb"]["value"] == pytest.approx(chunk.nominal.mean())
    assert set(summary["versions"]) >= {"goldmine", "pythia8mc", "numpy"}


def ak_to_numpy(array) -> np.ndarray:
    import awkward as ak

    return ak.to_numpy(array)


def test_same_seed_same_lhe_other_seed_other_events(tmp_path, examples) -> None:
    config = _config(tmp_path, examples, shower=False)
    setup = _configure(tmp_path, config)
    for name, seed in (("a", "11"), ("b", "11"), ("c", "12")):
        result = _generate(setup, config, tmp_path / name, seed=seed, events="300")
        assert result.exit_code == 0, result.output
        assert not (tmp_path / name / "events.hepmc.gz").exists()
    assert _lhe_text(tmp_path / "a" / "events.lhe.gz") == _lhe_text(tmp_path / "b" / "events.lhe.gz")
    first = next(iter_lhe_events(tmp_path / "a" / "events.lhe.gz"))[1].particles
    other = next(iter_lhe_events(tmp_path / "c" / "events.lhe.gz"))[1].particles
    assert not np.any(ak_to_numpy(first.pz[:, 0]) == ak_to_numpy(other.pz[:, 0]))


@pytest.mark.fixtures
def test_w_plus_h_sm_cross_section_agrees_with_madgraph(wh_fixtures) -> None:
    """σ(p p → W⁺ h, W⁺ → e⁺ν/μ⁺ν, h stable) at 13 TeV with MadGraph's electroweak inputs
    (the default) equals MG5_aMC's direct 0.13908 ± 0.00033 pb within errors; with Pythia's
    own it is 7 % higher (running α_EM, m_W, sin²θ_W, BR(W → ℓν), CKM, the W's line shape)."""
    direct = json.loads((wh_fixtures / "cross_sections.json").read_text())["sm"]
    hard = generate_events(20_000, beam_energy=6500.0, w_charge="plus", shat_bias=0.0, seed=3)
    error = np.hypot(hard.cross_section_error, direct["xsec_err_pb"])
    assert abs(hard.cross_section - direct["xsec_pb"]) < 3 * error
    assert hard.cross_section_error < 0.01 * hard.cross_section
    assert np.all(hard.events.pid[:, 2:] != -24)  # W+ only
    np.testing.assert_allclose(hard.events.nominal.mean(), hard.cross_section)
    pythias = generate_events(20_000, beam_energy=6500.0, w_charge="plus", shat_bias=0.0, seed=3, electroweak=None)
    assert pythias.cross_section / direct["xsec_pb"] == pytest.approx(1.07, abs=0.02)


def test_shat_bias_populates_the_tail_and_keeps_the_cross_section() -> None:
    plain = generate_events(20_000, beam_energy=6500.0, w_charge="plus", shat_bias=0.0, seed=5)
    biased = generate_events(20_000, beam_energy=6500.0, w_charge="plus", shat_bias=1.0, seed=5)

    def shat(events) -> np.ndarray:
        incoming = events.momenta[:, 0, :4] + events.momenta[:, 1, :4]
        return incoming[:, 3] ** 2 - (incoming[:, :3] ** 2).sum(axis=1)

    tail_plain, tail_biased = shat(plain.events) > 500.0**2, shat(biased.events) > 500.0**2
    assert tail_biased.mean() > 3 * tail_plain.mean()  # more events where the EFT matters
    assert biased.cross_section == pytest.approx(plain.cross_section, rel=0.02)
    weighted_tail = biased.events.nominal[tail_biased].sum() / biased.events.nominal.sum()
    assert weighted_tail == pytest.approx(tail_plain.mean(), rel=0.15)  # the weights undo the bias


def test_bad_inputs_fail_cleanly(tmp_path, examples) -> None:
    config = _config(tmp_path, examples, shower=False)
    setup = _configure(tmp_path, config)
    unknown_benchmark = _generate(setup, config, tmp_path / "j1", benchmark="nowhere")
    assert unknown_benchmark.exit_code == 2 and "'nowhere' is not a benchmark" in unknown_benchmark.output
    no_events = _generate(setup, config, tmp_path / "j2", events="0")
    assert no_events.exit_code == 2 and "--events" in no_events.output
    negative = _generate(setup, config, tmp_path / "j2", events="-5")
    assert negative.exit_code == 2
    unknown_backend = _generate(setup, config, tmp_path / "j3", "--backend", "herwig")
    assert unknown_backend.exit_code == 2 and "herwig" in unknown_backend.output
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    not_writable = _generate(setup, config, a_file / "job")
    assert not_writable.exit_code == 1 and "not writable" in not_writable.output
    for name in ("j1", "j2", "j3"):
        assert not (tmp_path / name).exists()
    assert not list(tmp_path.glob(".*partial"))


def test_unknown_model_parameter_is_refused_by_the_builtin_backend(tmp_path, examples) -> None:
    raw = yaml.safe_load((examples / "wh-builtin.yml").read_text())
    raw["parameters"][1]["lha_id"] = 3  # CBL2: not in the built-in amplitude
    config = tmp_path / "analysis.yml"
    config.write_text(yaml.safe_dump(raw))
    setup = _configure(tmp_path, config)
    result = _generate(setup, config, tmp_path / "job")
    assert result.exit_code == 2 and "DIM6 3 is not a coefficient" in result.output
    assert not (tmp_path / "job").exists()


def _cos_lepton_in_w_frame(lepton: np.ndarray, neutrino: np.ndarray) -> np.ndarray:
    """cos of the charged lepton's angle to the W flight direction, in the W rest frame; (E, px, py, pz)."""
    w = lepton + neutrino
    beta = w[:, 1:] / w[:, :1]
    beta2 = (beta**2).sum(axis=1)
    gamma = 1 / np.sqrt(1 - beta2)
    along = (beta * lepton[:, 1:]).sum(axis=1)
    rest = lepton[:, 1:] + (((gamma - 1) / beta2 * along)[:, None] - (gamma * lepton[:, 0])[:, None]) * beta
    return (rest * w[:, 1:]).sum(axis=1) / np.linalg.norm(rest, axis=1) / np.linalg.norm(w[:, 1:], axis=1)


def _chi2(counts: np.ndarray, other: np.ndarray) -> float:
    """χ² of two normalised histograms with their Poisson errors."""
    p, q = counts / counts.sum(), other / other.sum()
    return float((((p - q) ** 2) / (p / counts.sum() + q / other.sum())).sum())


def _pick(momenta: np.ndarray, pid: np.ndarray, ids: list[int]) -> np.ndarray:
    return momenta[np.arange(len(pid)), np.argmax(np.isin(pid, ids), axis=1)]


@pytest.mark.fixtures
def test_pythia_sm_distributions_agree_with_madgraph(wh_fixtures) -> None:
    """The reweighting trusts Pythia's SM W h kinematics, W decay correlations included:
    1-D histograms of the built-in SM hard process against MadGraph's SM fixture events."""

    hard = generate_events(20_000, beam_energy=6500.0, w_charge="plus", shat_bias=0.0, seed=9)
    ours, our_pid = hard.events.momenta[..., [3, 0, 1, 2]], hard.events.pid
    (_, chunk), = iter_lhe_events(wh_fixtures / "events_sm.lhe.gz")
    theirs = np.stack([ak_to_numpy(chunk.particles[f]).reshape(len(chunk), -1) for f in ("e", "px", "py", "pz")], -1)
    their_pid = ak_to_numpy(chunk.particles.pid).reshape(len(chunk), -1)

    leptons, neutrinos = [-11, -13], [12, 14]
    cos_ours = _cos_lepton_in_w_frame(_pick(ours, our_pid, leptons), _pick(ours, our_pid, neutrinos))
    cos_theirs = _cos_lepton_in_w_frame(_pick(theirs, their_pid, leptons), _pick(theirs, their_pid, neutrinos))
    cos_bins = np.linspace(-1, 1, 11)
    ours_hist, theirs_hist = np.histogram(cos_ours, cos_bins)[0], np.histogram(cos_theirs, cos_bins)[0]
    assert _chi2(ours_hist, theirs_hist) < 27.9  # 9 dof, p > 0.001
    assert _chi2(np.full(10, 2000), theirs_hist) > 100  # an uncorrelated (flat) decay would fail

    pt_bins = np.array([0, 20, 40, 60, 80, 100, 130, 170, 250, 2000.0])
    pt_ours = np.hypot(*_pick(ours, our_pid, [25])[:, 1:3].T)
    pt_theirs = np.hypot(*_pick(theirs, their_pid, [25])[:, 1:3].T)
    assert _chi2(np.histogram(pt_ours, pt_bins)[0], np.histogram(pt_theirs, pt_bins)[0]) < 26.1  # 8 dof


def test_shower_batches_shrink_toward_the_end_and_cover_every_event() -> None:
    from goldmine.generate.pythia import batch_size

    for n_events in (1, 7, 100, 1000, 12345):
        sizes, remaining = [], n_events
        while remaining:
            sizes.append(batch_size(remaining))
            remaining -= sizes[-1]
        assert sum(sizes) == n_events and max(sizes) <= 100
        assert sizes[-1] <= 5  # the writer's tail after Pythia's last event: at most five events of text
        assert len(sizes) <= n_events // 100 + 8


def test_batch_columns_from_the_layout_equal_awkwards_own_view() -> None:
    """The layout-level reader of a nextBatch result gives what high-level awkward gives."""
    import awkward as ak

    from goldmine.generate.pythia import configured_pythia, event_columns

    pythia = configured_pythia(["Beams:eCM = 13000", "HiggsSM:ffbar2HW = on", "24:onMode = off",
                                "24:onIfAny = 11 13", "25:onMode = off", "25:onIfAny = 5"], seed=3)
    assert pythia.init()
    pythia.nextBatch(2)  # the columns of a later batch start inside awkward's buffers or not: both are read
    batch = pythia.nextBatch(6)
    columns, weights = event_columns(batch)
    particles = batch.prt[:, 1:]
    np.testing.assert_array_equal(columns.counts, ak.to_numpy(ak.num(particles)))
    flat = lambda array: ak.to_numpy(ak.flatten(array))
    for name, expected in [("pid", particles.id), ("status", particles.status), ("px", particles.p.px),
                           ("py", particles.p.py), ("pz", particles.p.pz), ("e", particles.p.e), ("m", particles.m)]:
        np.testing.assert_array_equal(getattr(columns, name), flat(expected), err_msg=name)
    np.testing.assert_array_equal(weights, ak.to_numpy(batch.info.weights))
    assert columns.counts.sum() == len(columns.pid) > 6 * 100


def _synthetic_batch(weights: list[list[float]]) -> object:
    """A nextBatch-shaped awkward array: per event a system entry and two particles."""
    import awkward as ak

    particle = lambda pid: {"id": pid, "status": 1, "p": {"px": 1.0, "py": 2.0, "pz": 3.0, "e": 4.0}, "m": 0.5}
    return ak.Array([{"prt": [particle(90), particle(11), particle(-12)], "info": {"weights": w}} for w in weights])


def test_batch_columns_refuse_events_with_different_weight_counts() -> None:
    from goldmine.generate.pythia import event_columns

    columns, weights = event_columns(_synthetic_batch([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(columns.counts, [2, 2])
    np.testing.assert_array_equal(columns.pid, [11, -12, 11, -12])
    np.testing.assert_array_equal(weights, [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=r"events carrying \[1, 2\] weights; every event must carry the same"):
        event_columns(_synthetic_batch([[1.0, 2.0], [3.0]]))


def test_showering_an_lhe_whose_event_lacks_its_weights_names_the_file(tmp_path, wh_fixtures) -> None:
    from goldmine.errors import InputFileError
    from goldmine.generate.shower import shower_lhe

    with gzip.open(wh_fixtures / "events_sm.lhe.gz", "rt") as stream:
        events = stream.read().split("<event>")
    events[2] = re.sub(r"<rwgt>.*?</rwgt>\n", "", events[2], flags=re.DOTALL)  # the second event
    lhe = tmp_path / "missing.lhe.gz"
    with gzip.open(lhe, "wt") as stream:
        stream.write("<event>".join(events))
    with pytest.raises(InputFileError, match=rf"{re.escape(str(lhe))}: Pythia reads events carrying \[1, 9\] weights"):
        shower_lhe(lhe, tmp_path / "events.hepmc.gz", seed=1, n_events=4)


def test_showered_events_are_matched_to_the_hard_processes_they_grew_from() -> None:
    from goldmine.generate.builtin import match_showered_events

    recorded = np.array([[100.0, -5.0], [7.0, -300.0], [42.0, -1.0], [3.0, -9.0]])
    np.testing.assert_array_equal(match_showered_events(recorded * (1 + 1e-15), recorded), [0, 1, 2, 3])
    # the shower of the second hard process failed: Pythia went on with the third
    np.testing.assert_array_equal(match_showered_events(recorded[[0, 2, 3]], recorded), [0, 2, 3])
    with pytest.raises(RuntimeError, match="showered event 1 of a batch matches no recorded hard process"):
        match_showered_events(np.array([[100.0, -5.0], [8.0, -300.0]]), recorded)


def test_showered_and_hard_process_runs_give_one_cross_section(tmp_path) -> None:
    """With the shower Pythia decays h → b b̄ and its σ carries that branching fraction
    (0.58); the LHE's h is undecayed, so it is divided out."""
    from goldmine.generate.hepmc_process import HepMCWriterProcess

    common = dict(beam_energy=6500.0, w_charge="both", shat_bias=0.0)
    with HepMCWriterProcess(tmp_path / "events.hepmc.gz", ("Weight",)) as hepmc:
        showered = generate_events(300, seed=4, hepmc=hepmc, **common)
        hepmc.finish(showered.events.nominal[:, None])
    hard = generate_events(3000, seed=4, **common)
    error = np.hypot(showered.cross_section_error, hard.cross_section_error)
    assert abs(showered.cross_section - hard.cross_section) < 4 * error < 0.2 * hard.cross_section  # a factor 0.58 would fail
    assert sum(len(c.weights) for c in iter_hepmc(tmp_path / "events.hepmc.gz")) == 300
