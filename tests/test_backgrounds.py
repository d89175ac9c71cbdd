"""Backgrounds: the built-in Pythia 8 processes through generate and observables, their
cross sections against Pythia's own decay tables, and bad input."""

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
from goldmine.generate.backgrounds import PROCESSES, background_settings
from goldmine.generate.builtin import MB_TO_PB, run_pythia
from goldmine.io.hepmc import iter_hepmc
from goldmine.io.lhe_events import iter_lhe_events

BACKGROUNDS = [{"name": name, "process": name, "pt_hat_min": 20.0} for name in PROCESSES]


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def configured(tmp_path_factory, examples):
    """The W h example with every built-in background, hard process only."""
    directory = tmp_path_factory.mktemp("backgrounds")
    raw = yaml.safe_load((examples / "wh-builtin.yml").read_text())
    raw["generation"]["builtin"]["shower"] = False
    raw["backgrounds"] = BACKGROUNDS
    config = directory / "analysis.yml"
    config.write_text(yaml.safe_dump(raw))
    result = invoke("configure", config, "--output", directory / "setup.h5", "--plan", directory / "plan.yml")
    assert result.exit_code == 0, result.output
    return directory, config, directory / "setup.h5"


def _generate(configured, background: str, output: Path, *extra: object, events: int = 30):
    _, config, setup = configured
    return invoke("generate", "--setup", setup, "--config", config, "--background", background, "--seed", 11,
                  "--events", events, "--output", output, *extra)


@pytest.mark.parametrize("process", list(PROCESSES))
def test_background_weights_are_the_nominal_weight_at_every_benchmark(configured, tmp_path, process) -> None:
    result = _generate(configured, process, tmp_path / "job")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "job" / "generate.json").read_text())
    assert summary["background"] == process and summary["benchmark"] is None
    (header, chunk), = iter_lhe_events(tmp_path / "job" / "events.lhe.gz")
    assert len(chunk) == 30 and chunk.weights.shape[1] == 11
    # bit for bit: the same number at every physics benchmark, and the mean is Pythia's σ; the
    # last two, the scale systematic's nuisance benchmarks, hold the weights at μ × 2 and μ / 2
    assert (chunk.weights[:, :9] == chunk.nominal[:, None]).all()
    assert header.weight_names[9:] == ("scale_nuisance_param_0_benchmark_0", "scale_nuisance_param_0_benchmark_1")
    if PROCESSES[process].orders.alpha_s:
        assert (chunk.weights[:, 9] != chunk.nominal).all()
    assert chunk.nominal.mean() == pytest.approx(summary["cross_section_pb"]["value"], rel=1e-7)
    init = pylhe.LHEFile.fromfile(str(tmp_path / "job" / "events.lhe.gz")).init
    assert init.procInfo[0].xSection == pytest.approx(summary["cross_section_pb"]["value"], rel=1e-6)
    assert header.event_norm == "average"


def test_a_showered_background_carries_its_weights_into_the_hepmc_file(configured, tmp_path) -> None:
    directory, config, setup = configured
    raw = yaml.safe_load(config.read_text())
    raw["generation"]["builtin"]["shower"] = True
    showered = tmp_path / "showered.yml"
    showered.write_text(yaml.safe_dump(raw))
    result = invoke("generate", "--setup", setup, "--config", showered, "--background", "ttbar_semileptonic_lplus",
                    "--seed", 3, "--events", 20, "--output", tmp_path / "job")
    assert result.exit_code == 0, result.output
    (hepmc,) = iter_hepmc(tmp_path / "job" / "events.hepmc.gz")
    (_, chunk), = iter_lhe_events(tmp_path / "job" / "events.lhe.gz")
    weights = np.asarray(hepmc.weights)
    assert weights.shape == (20, 12) and hepmc.weight_names[0] == "Weight"
    assert (weights[:, :10] == weights[:, :1]).all()  # the nominal and the 9 physics benchmarks
    np.testing.assert_allclose(weights[:, 10:], chunk.weights[:, 9:], rtol=1e-7)  # the scale variations
    np.testing.assert_allclose(weights[:, 0], chunk.nominal, rtol=1e-7)


def test_semileptonic_ttbar_cross_sections_are_pythias_branching_fractions_of_ttbar() -> None:
    """σ(t t̄ → ℓ⁺ν b, q q̄' b̄) = σ(t t̄) · BR(W⁺ → e ν, μ ν) · BR(W⁻ → quarks), with the
    branching fractions from Pythia's own W decay table; the two charge assignments agree."""
    def sigma(settings: list[str], seed: int) -> tuple[float, float, object]:
        _, _, pythia = run_pythia(settings, 3000, seed=seed, shat_bias=0.0, hepmc=None, undecayed=(),
                                  process_name="test")
        info = pythia.infoPython()
        return info.sigmaGen() * MB_TO_PB, info.sigmaErr() * MB_TO_PB, pythia

    beams = background_settings("ttbar_semileptonic_lplus", 6500.0, 0.0, (), shower=False)[:5]
    inclusive, inclusive_error, pythia = sigma([*beams, "Top:gg2ttbar = on", "Top:qqbar2ttbar = on",
                                                "PartonLevel:all = off", "HadronLevel:all = off"], 1)
    w_boson = pythia.particleData.particleDataEntryPtr(24)
    leptonic = hadronic = 0.0
    for index in range(w_boson.sizeChannels()):
        channel = w_boson.channel(index)
        products = {abs(channel.product(k)) for k in range(channel.multiplicity())}
        if products & {11, 13}:
            leptonic += channel.bRatio()
        elif products <= {1, 2, 3, 4, 5}:
            hadronic += channel.bRatio()
    total = sum(w_boson.channel(index).bRatio() for index in range(w_boson.sizeChannels()))
    expected = inclusive * leptonic * hadronic / total**2
    for process, seed in (("ttbar_semileptonic_lplus", 2), ("ttbar_semileptonic_lminus", 3)):
        value, error, _ = sigma(background_settings(process, 6500.0, 0.0, (), shower=False), seed)
        combined_error = np.hypot(error, expected * inclusive_error / inclusive)
        assert abs(value - expected) < 4 * combined_error, (process, value, expected, combined_error)


def test_observables_mark_background_events_and_refuse_uneven_weights(configured, tmp_path) -> None:
    directory, config, setup = configured
    assert _generate(configured, "w_jets", tmp_path / "job", events=40).exit_code == 0
    lhe = tmp_path / "job" / "events.lhe.gz"
    result = invoke("observables", "--setup", setup, "--config", config, "--input", lhe, "--background", "w_jets",
                    "--output", tmp_path / "events.h5")
    assert result.exit_code == 0, result.output
    with h5py.File(tmp_path / "events.h5") as file:
        sampling = file["samples/sampling_benchmarks"][()]
        n_passed = len(sampling)
        assert (sampling == -1).all()
        assert file["sample_summary/background_events"][()] == n_passed
        assert file["sample_summary/signal_events"][()].sum() == 0
        assert file.attrs["goldmine_background"] == "w_jets"
        weights = file["samples/weights"][()]
        assert (weights == weights[:, :1]).all()

    # one event's val_2 weight edited: refused, naming the file, the event and the benchmark
    text = gzip.open(lhe, "rt").read()
    edited = re.sub(r"(<event>.*?<event>.*?<wgt id='val_2'> )\S+", r"\g<1>+1.0000000e+00", text, count=1, flags=re.S)
    assert edited != text
    broken = tmp_path / "broken.lhe.gz"
    with gzip.open(broken, "wt") as stream:
        stream.write(edited)
    result = invoke("observables", "--setup", setup, "--config", config, "--input", broken, "--background", "w_jets",
                    "--output", tmp_path / "broken.h5")
    assert result.exit_code != 0
    assert f"{broken}: event 1 of background w_jets has the weight 1 at val_2" in result.output
    assert not (tmp_path / "broken.h5").exists() and not list(tmp_path.glob(".broken.h5*"))


def test_bad_background_input_is_refused(configured, tmp_path, examples) -> None:
    directory, config, setup = configured
    both = _generate(configured, "w_jets", tmp_path / "both", "--benchmark", "sm")
    assert both.exit_code != 0 and "not both" in both.output and not (tmp_path / "both").exists()
    unknown = _generate(configured, "zz", tmp_path / "unknown")
    assert unknown.exit_code != 0 and "'zz' is not a background of" in unknown.output
    observables = invoke("observables", "--setup", setup, "--config", config, "--input", examples / "wh-builtin.yml",
                         "--background", "w_jets", "--sampling-benchmark", "sm", "--output", tmp_path / "e.h5")
    assert observables.exit_code != 0 and "not both" in observables.output

    raw = yaml.safe_load(config.read_text())
    raw["backgrounds"] = [{"name": "tt", "process": "ttbar_semileptonic"}]
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump(raw))
    result = invoke("configure", bad, "--output", tmp_path / "setup.h5", "--plan", tmp_path / "plan.yml")
    assert result.exit_code != 0
    assert "backgrounds[0].process" in result.output and "unknown process 'ttbar_semileptonic'" in result.output
    assert not (tmp_path / "setup.h5").exists()
