"""Event weights mean the same to goldmine and madminer 0.9.6, in files of both tools.

A file holds events sampled at several benchmarks; the events of one sampling benchmark
sum to σ, and a reader weighs them by n_b / N_signal (madminer's
``DataAnalyzer._calculate_sampling_factors``). Both directions are checked on the MadGraph
fixtures (sm and w_pos runs) at parton level: σ(θ), and the truth, rate and 1-D histogram
Fisher information, to 1e-6 relative.

madminer 0.9.6's information code fails (an einsum shape error) on any file holding
benchmarks outside the morphing basis, its own files included, so madminer reads a copy of
goldmine's file that keeps the six basis columns; goldmine reads the full file.
"""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from goldmine.cli import cli
from goldmine.evaluate.events import load_simulated
from goldmine.io.setup_file import read_event_setup, read_setup

pytestmark = [pytest.mark.madminer, pytest.mark.fixtures]

LUMINOSITY_FB = 300.0
THETA = [0.0, 0.0]
#: Inner edges of the pT(ℓ) histogram in GeV (the outer bins take everything beyond).
PT_EDGES = [20.0, 40.0, 60.0, 90.0, 140.0]
BASIS = ["sm", "w_pos", "w_neg", "pw_pos", "pw_neg", "mixed"]

MADMINER_NUMBERS = """
import numpy as np
from madminer.analysis import DataAnalyzer
from madminer.fisherinformation import FisherInformation
path, theta, luminosity = ARGS["path"], np.array(ARGS["theta"]), ARGS["luminosity"]
analyzer = DataAnalyzer(path)
xsecs, _ = analyzer.xsecs(thetas=[np.array(t) for t in ARGS["thetas"]])
fisher = FisherInformation(path)
truth, _ = fisher.truth_information(theta, luminosity=luminosity)
rate, _ = fisher.rate_information(theta, luminosity=luminosity)
histo, _ = fisher.histo_information(theta, luminosity, ARGS["observable"], bins=np.array(ARGS["edges"]))
print(json.dumps({"xsecs": xsecs.tolist(), "truth": truth.tolist(), "rate": rate.tolist(), "histo": histo.tolist()}))
"""

MADMINER_FILES = """
from madminer import MadMiner
from madminer.lhe import LHEReader
from madminer.sampling import combine_and_shuffle
miner = MadMiner()
for name, lha_id in (("CWL2", 2), ("CPWL2", 5)):
    miner.add_parameter(lha_block="dim6", lha_id=lha_id, parameter_name=name, morphing_max_power=2,
                        parameter_range=(-20.0, 20.0))
for name, (cwl2, cpwl2) in ARGS["benchmarks"].items():
    miner.add_benchmark({"CWL2": cwl2, "CPWL2": cpwl2}, name)
miner.set_morphing(max_overall_power=2, include_existing_benchmarks=True, n_trials=1)
miner.save(ARGS["setup"])
outputs = []
for name, lhe in ARGS["samples"].items():
    reader = LHEReader(ARGS["setup"])
    reader.add_sample(lhe, sampled_from_benchmark=name)
    reader.add_observable("pt_l", "l[0].pt", required=True)
    reader.add_observable("eta_l", "l[0].eta", required=True)
    reader.analyse_samples()
    reader.save(ARGS["directory"] + f"/events_{name}.h5")
    outputs.append(ARGS["directory"] + f"/events_{name}.h5")
combine_and_shuffle(outputs, ARGS["directory"] + "/combined.h5")
print(json.dumps(outputs))
"""


def _config(examples, path):
    """The example's physics at parton level: the lepton and the neutrinos, no systematics."""
    config = yaml.safe_load((examples / "wh-builtin.yml").read_text())
    config["observables"] = [{"name": "pt_l", "expression": "l[0].pt", "required": True},
                             {"name": "eta_l", "expression": "l[0].eta", "required": True}]
    config["cuts"] = ["len(l) >= 1"]
    config["systematics"] = []
    config["backgrounds"] = []
    config["evaluation"] = {
        "luminosity_fb": LUMINOSITY_FB, "theta_true": "sm", "modes": ["rate", "histo"],
        "grid": {"CWL2": [-1, 1, 3], "CPWL2": [-1, 1, 3]},
        "histograms": [{"observables": ["pt_l"], "bins": [[0.0, *PT_EDGES, 1000.0]]}],
        "information_observable": "pt_l",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _goldmine_numbers(directory, config, setup_path, data_path, thetas):
    """σ(θ) from goldmine's reader and the Fisher information of `goldmine evaluate --events all`."""
    output = directory / "results.h5"
    result = CliRunner().invoke(cli, ["evaluate", "--setup", str(setup_path), "--data", str(data_path),
                                      "--config", str(config), "--output", str(output), "--events", "all"])
    assert result.exit_code == 0, result.output
    fisher = json.loads(output.with_suffix(".json").read_text())["fisher_information"]
    setup = read_event_setup(data_path, read_setup(setup_path), setup_path)
    simulated = load_simulated(data_path, setup, setup_path, events="all", validation_fraction=0.0,
                               test_fraction=0.0)
    return {"xsecs": simulated.sigma(np.array(thetas)), "truth": fisher["truth"]["full"],
            "rate": fisher["rate"]["full"], "histo": fisher["histo:pt_l"]["full"]}


def _assert_same(ours, theirs) -> None:
    for key in ("xsecs", "truth", "rate", "histo"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-6, atol=0, err_msg=key)


def _madminer_numbers(madminer, path, thetas):
    return madminer.run(MADMINER_NUMBERS, path=str(path), theta=THETA, luminosity=LUMINOSITY_FB * 1000.0,
                        thetas=thetas, observable="pt_l", edges=PT_EDGES)


def _basis_copy(source, target) -> None:
    """``source`` with only the morphing basis' benchmarks (weight columns, names, summary)."""
    shutil.copy(source, target)
    with h5py.File(target, "r+") as file:
        names = [n.decode() if isinstance(n, bytes) else n for n in file["benchmarks/names"][()]]
        keep = [names.index(name) for name in BASIS]
        assert keep == list(range(len(BASIS))), "the basis comes first"
        for key in ("benchmarks/names", "benchmarks/values", "benchmarks/is_nuisance", "benchmarks/is_reference",
                    "sample_summary/signal_events"):
            data = file[key][()][: len(BASIS)]
            del file[key]
            file.create_dataset(key, data=data)
        weights = file["samples/weights"][()][:, : len(BASIS)]
        del file["samples/weights"]
        file.create_dataset("samples/weights", data=weights)


@pytest.fixture(scope="module")
def goldmine_files(tmp_path_factory, examples, wh_fixtures):
    """setup.h5, one parton-level event file per MadGraph run (3000 at sm, 1500 at w_pos), combined."""
    directory = tmp_path_factory.mktemp("goldmine_files")
    config = _config(examples, directory / "parton.yml")
    setup = directory / "setup.h5"
    runner = CliRunner()
    result = runner.invoke(cli, ["configure", str(config), "--output", str(setup), "--plan", str(directory / "p.yml")])
    assert result.exit_code == 0, result.output
    jobs = []
    for benchmark in ("sm", "w_pos"):
        jobs.append(directory / f"{benchmark}.h5")
        result = runner.invoke(cli, ["observables", "--setup", str(setup), "--config", str(config),
                                     "--input", str(wh_fixtures / f"events_{benchmark}.lhe.gz"),
                                     "--sampling-benchmark", benchmark, "--output", str(jobs[-1])])
        assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["combine", "--output", str(directory / "combined.h5"), "--seed", "3",
                                 *map(str, jobs)])
    assert result.exit_code == 0, result.output
    return directory, config, setup, directory / "combined.h5"


def test_madminer_reads_a_goldmine_combined_file_as_goldmine_does(goldmine_files, madminer) -> None:
    directory, config, setup_path, combined = goldmine_files
    setup = read_setup(setup_path)
    thetas = setup.benchmark_values.tolist()
    ours = _goldmine_numbers(directory, config, setup_path, combined, thetas)
    _basis_copy(combined, directory / "basis.h5")
    theirs = _madminer_numbers(madminer, directory / "basis.h5", thetas)
    _assert_same(ours, theirs)
    with h5py.File(combined) as file:
        assert file["sample_summary/signal_events"][:2].tolist() == [3000, 1500]


def test_combined_cross_sections_match_direct_generation(goldmine_files, wh_fixtures) -> None:
    """σ read from the two runs' mixture is MadGraph's direct σ at sm and w_pos, not twice it."""
    _, _, setup_path, combined = goldmine_files
    setup = read_setup(setup_path)
    simulated = load_simulated(combined, setup, setup_path, events="all", validation_fraction=0.0, test_fraction=0.0)
    direct = json.loads((wh_fixtures / "cross_sections.json").read_text())
    for name in ("sm", "w_pos", "val_1", "val_2", "val_3"):
        theta = np.array(direct[name]["theta"])
        weights = simulated.weights(theta)
        error = np.hypot(np.sqrt(np.sum(weights**2)), direct[name]["xsec_err_pb"])  # Monte Carlo errors
        assert abs(weights.sum() - direct[name]["xsec_pb"]) < 4 * error, name
        assert abs(weights.sum() / direct[name]["xsec_pb"] - 1) < 0.1, name


@pytest.fixture(scope="module")
def madminer_files(tmp_path_factory, madminer, wh_fixtures):
    """madminer's LHEReader on each MadGraph run, then its combine_and_shuffle."""
    directory = tmp_path_factory.mktemp("madminer_files")
    benchmarks = {"sm": [0.0, 0.0], "w_pos": [10.0, 0.0], "w_neg": [-10.0, 0.0], "pw_pos": [0.0, 10.0],
                  "pw_neg": [0.0, -10.0], "mixed": [10.0, 10.0]}
    samples = {name: str(wh_fixtures / f"events_{name}.lhe.gz") for name in ("sm", "w_pos")}
    outputs = madminer.run(MADMINER_FILES, setup=str(directory / "setup.h5"), benchmarks=benchmarks,
                           samples=samples, directory=str(directory))
    return directory, [directory / "setup.h5", *map(type(directory), outputs)]


def test_goldmine_reads_a_madminer_combined_file_as_madminer_does(madminer_files, madminer, examples) -> None:
    directory, (setup_path, *runs) = madminer_files
    combined = directory / "combined.h5"
    assert read_setup(setup_path).observables == (), "MadMiner.save writes no observables"
    config = _config(examples, directory / "parton.yml")
    thetas = read_setup(combined).benchmark_values.tolist() + [[5.0, -3.0], [-15.0, 8.0]]
    theirs = _madminer_numbers(madminer, combined, thetas)
    ours = _goldmine_numbers(directory, config, setup_path, combined, thetas)
    _assert_same(ours, theirs)
    # σ(SM) read as the fixture's MadGraph cross section (its runs' mixture), not twice it
    assert ours["xsecs"][0] == pytest.approx(0.1392, rel=0.02)

    # goldmine's combine of madminer's per-run files means the same as madminer's combination
    result = CliRunner().invoke(cli, ["combine", "--output", str(directory / "ours.h5"), *map(str, runs)])
    assert result.exit_code == 0, result.output
    _assert_same(_goldmine_numbers(directory, config, setup_path, directory / "ours.h5", thetas), theirs)


# --- with background: real MadGraph tt̄ (semi-leptonic) and W⁺ b b̄ events, no reweighting ------

BACKGROUNDS = {"tt": "tt_semilep_500.lhe.gz", "wbb": "wpbb_500.lhe.gz"}


def _config_with_backgrounds(config, path):
    raw = yaml.safe_load(config.read_text())
    # the names the background files are read under (their events come from MadGraph)
    raw["backgrounds"] = [{"name": "tt", "process": "ttbar_semileptonic_lplus"}, {"name": "wbb", "process": "w_jets"}]
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def goldmine_files_with_background(goldmine_files, shared_fixtures):
    """The signal runs' event files plus one file per MadGraph background, combined."""
    directory, config, setup, _ = goldmine_files
    config = _config_with_backgrounds(config, directory / "parton_backgrounds.yml")
    files = [directory / "sm.h5", directory / "w_pos.h5"]
    for name, lhe in BACKGROUNDS.items():
        files.append(directory / f"{name}.h5")
        result = CliRunner().invoke(cli, ["observables", "--setup", str(setup), "--config", str(config), "--input",
                                          str(shared_fixtures / "mg5-backgrounds" / lhe), "--background", name,
                                          "--output", str(files[-1])])
        assert result.exit_code == 0, result.output
    combined = directory / "combined_backgrounds.h5"
    result = CliRunner().invoke(cli, ["combine", "--output", str(combined), "--seed", "5", *map(str, files)])
    assert result.exit_code == 0, result.output
    return directory, config, setup, combined


def test_madminer_reads_a_goldmine_file_with_background_as_goldmine_does(goldmine_files_with_background,
                                                                         madminer) -> None:
    directory, config, setup_path, combined = goldmine_files_with_background
    thetas = read_setup(setup_path).benchmark_values.tolist()
    ours = _goldmine_numbers(directory, config, setup_path, combined, thetas)
    _basis_copy(combined, directory / "basis_backgrounds.h5")
    theirs = _madminer_numbers(madminer, directory / "basis_backgrounds.h5", thetas)
    _assert_same(ours, theirs)
    # σ = the signal's mixture plus both backgrounds' MadGraph cross sections, at every θ
    with h5py.File(combined) as file:
        assert file["sample_summary/background_events"][()] == 1000
    assert ours["xsecs"][0] == pytest.approx(0.1392 + 136.4 + 3.520, rel=0.01)


MADMINER_FILES_WITH_BACKGROUND = MADMINER_FILES.replace(
    'combine_and_shuffle(outputs, ARGS["directory"] + "/combined.h5")', '''
for name, lhe in ARGS["backgrounds"].items():
    reader = LHEReader(ARGS["setup"])
    reader.add_sample(lhe, sampled_from_benchmark="sm", is_background=True)
    reader.add_observable("pt_l", "l[0].pt", required=True)
    reader.add_observable("eta_l", "l[0].eta", required=True)
    reader.analyse_samples()
    reader.save(ARGS["directory"] + f"/background_{name}.h5")
    outputs.append(ARGS["directory"] + f"/background_{name}.h5")
combine_and_shuffle(outputs, ARGS["directory"] + "/combined.h5")''')


def test_goldmine_reads_a_madminer_file_with_background_as_madminer_does(tmp_path, madminer, wh_fixtures,
                                                                         shared_fixtures, examples) -> None:
    assert MADMINER_FILES_WITH_BACKGROUND != MADMINER_FILES
    benchmarks = {"sm": [0.0, 0.0], "w_pos": [10.0, 0.0], "w_neg": [-10.0, 0.0], "pw_pos": [0.0, 10.0],
                  "pw_neg": [0.0, -10.0], "mixed": [10.0, 10.0]}
    samples = {name: str(wh_fixtures / f"events_{name}.lhe.gz") for name in ("sm", "w_pos")}
    backgrounds = {name: str(shared_fixtures / "mg5-backgrounds" / lhe) for name, lhe in BACKGROUNDS.items()}
    madminer.run(MADMINER_FILES_WITH_BACKGROUND, setup=str(tmp_path / "setup.h5"), benchmarks=benchmarks,
                 samples=samples, backgrounds=backgrounds, directory=str(tmp_path))
    combined = tmp_path / "combined.h5"
    config = _config(examples, tmp_path / "parton.yml")
    thetas = read_setup(combined).benchmark_values.tolist() + [[5.0, -3.0], [-15.0, 8.0]]
    theirs = _madminer_numbers(madminer, combined, thetas)
    ours = _goldmine_numbers(tmp_path, config, tmp_path / "setup.h5", combined, thetas)
    _assert_same(ours, theirs)
    assert ours["xsecs"][0] == pytest.approx(0.1392 + 136.4 + 3.520, rel=0.01)
