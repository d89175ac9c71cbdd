"""Shape nuisances: the nuisance morphing, MadMiner's file layout, and the Fisher
information with them profiled, against analytic values and madminer 0.9.6."""

from __future__ import annotations

import dataclasses
import json

import h5py
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from scipy import integrate

from goldmine.cli import cli
from goldmine.errors import InputFileError
from goldmine.evaluate import fisher
from goldmine.io.samples import SampleWriter, write_sample_summary
from goldmine.io.setup_file import read_setup, write_setup_sections
from goldmine.physics.nuisance import NuisanceColumns, nuisance_factors, nuisance_log_ratios
from goldmine.setup import Benchmark, NuisanceParameter

EDGES = np.linspace(-1.0, 1.0, 9)
NODES = 8
LUMINOSITY = 50.0  # pb⁻¹
A_TRUE = 0.3
NUISANCE = NuisanceParameter("scale_nuisance_param_0", "scale", "scale_nuisance_param_0_benchmark_0",
                             "scale_nuisance_param_0_benchmark_1")


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def g(z: np.ndarray) -> np.ndarray:
    """The shape nuisance's ∂ log w/∂ν: w(z|a, ν) = s(z|a) exp(ν g(z))."""
    return 0.1 + 0.2 * z


def s(z: np.ndarray, a: float) -> np.ndarray:
    return (1 + a * z) ** 2


def test_nuisance_morphing_is_madminers_form() -> None:
    """Through w₊ and w₋: exact at ν = ±1 and 0; with w₊ alone log-linear; zero weights are no variation."""
    weights = np.array([[2.0, 3.0, 1.5, 2.5], [1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    columns = NuisanceColumns(("two", "one"), 0, np.array([1, 3]), np.array([2, -1]))
    a, b = nuisance_log_ratios(weights, columns)
    np.testing.assert_allclose(a[0], [0.5 * np.log(3.0 / 1.5), np.log(2.5 / 2.0)])
    np.testing.assert_allclose(b[0], [0.5 * np.log(3.0 * 1.5 / 4.0), 0.0])
    np.testing.assert_allclose(nuisance_factors(a[:1], b[:1], [1.0, 0.0]) * 2.0, [3.0])
    np.testing.assert_allclose(nuisance_factors(a[:1], b[:1], [-1.0, 0.0]) * 2.0, [1.5])
    np.testing.assert_allclose(nuisance_factors(a[:1], b[:1], [0.0, 1.0]) * 2.0, [2.5])
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    assert a[1, 0] == 0.0 and b[1, 0] == 0.0 and not a[2].any()  # log 0: no variation, as madminer sanitises


@pytest.fixture(scope="module")
def shape_toy(tmp_path_factory):
    """s(z|a) = (1 + a z)² at Gauss-Legendre nodes (8 per bin of EDGES), one parameter a
    (benchmarks sm, a_pos, a_neg), and a shape nuisance of a ``scale`` systematic whose
    ν = ±1 benchmarks hold s(z|0) exp(±g(z)), as madminer's readers store them (at the
    reference θ, after the physics benchmarks)."""
    directory = tmp_path_factory.mktemp("shape")
    config = {
        "name": "line",
        "parameters": [{"name": "a", "lha_block": "toy", "lha_id": 1, "range": [-1.0, 1.0]}],
        "benchmarks": {"sm": {"a": 0.0}, "a_pos": {"a": 1.0}, "a_neg": {"a": -1.0}},
        "morphing": {"max_overall_power": 2, "basis": ["sm", "a_pos", "a_neg"]},
        "generation": {"backend": "builtin", "events_per_job": 10, "sampling_benchmarks": ["sm"]},
        "observables": [{"name": "z", "expression": "p_truth[0].px"}],
        "evaluation": {"luminosity_fb": LUMINOSITY / 1000, "theta_true": [A_TRUE], "grid": {"a": [-1.0, 1.0, 41]},
                       "modes": ["histo"], "histograms": [{"observables": ["z"], "bins": [EDGES.tolist()]}],
                       "information_bins": [EDGES.tolist()]},
    }
    (directory / "line.yml").write_text(yaml.safe_dump(config))
    result = invoke("configure", directory / "line.yml", "--output", directory / "setup.h5", "--plan",
                    directory / "plan.yml")
    assert result.exit_code == 0, result.output
    setup = read_setup(directory / "setup.h5")
    nodes, node_weights = np.polynomial.legendre.leggauss(NODES)
    z = np.concatenate([(h - lo) / 2 * nodes + (h + lo) / 2 for lo, h in zip(EDGES[:-1], EDGES[1:])])
    quadrature = np.concatenate([(h - lo) / 2 * node_weights for lo, h in zip(EDGES[:-1], EDGES[1:])])
    physics = quadrature[:, None] * s(z[:, None], setup.benchmark_values[:, 0])
    reference = physics[:, setup.reference_index]
    weights = np.column_stack([physics, reference * np.exp(g(z)), reference * np.exp(-g(z))])
    sm = setup.benchmarks[setup.reference_index].values
    physics_benchmarks = tuple(dataclasses.replace(b, is_reference=b.name == "sm") for b in setup.benchmarks)
    event_setup = type(setup)(setup.parameters, physics_benchmarks + (
        Benchmark(NUISANCE.positive, sm, is_nuisance=True), Benchmark(NUISANCE.negative, sm, is_nuisance=True)),
        setup.morpher, setup.systematics, setup.observables, setup.config_json, (NUISANCE,))
    with h5py.File(directory / "events.h5", "w") as file:
        write_setup_sections(file, event_setup)
        SampleWriter(file, 1, 5).append(z[:, None], weights, np.zeros(len(z), dtype=int))
        write_sample_summary(file, np.array([len(z), 0, 0, 0, 0]), 0)
    return directory


def _integral(f, low: float = -1.0, high: float = 1.0) -> float:
    return integrate.quad(f, low, high, epsabs=0, epsrel=1e-13)[0]


def _analytic(low: float, high: float) -> np.ndarray:
    """L × the (a, ν) information of counting events in [low, high]: ∇σ ∇σᵀ / σ."""
    sigma = _integral(lambda z: s(z, A_TRUE), low, high)
    gradient = np.array([_integral(lambda z: 2 * z * (1 + A_TRUE * z), low, high),
                         _integral(lambda z: s(z, A_TRUE) * g(z), low, high)])
    return LUMINOSITY * np.outer(gradient, gradient) / sigma


def test_the_setup_file_keeps_madminers_nuisance_layout(shape_toy) -> None:
    setup = read_setup(shape_toy / "events.h5")
    assert setup.nuisance_parameters == (NUISANCE,)
    assert [b.is_nuisance for b in setup.benchmarks] == [False, False, False, True, True]
    with h5py.File(shape_toy / "events.h5") as file:
        assert [v.decode() for v in file["nuisance_parameters/benchmark_negative"][()]] == [NUISANCE.negative]
        assert file["nuisance_parameters/systematics"][()].tolist() == [b"scale"]


def test_a_nuisance_naming_a_missing_benchmark_or_without_a_reference_is_refused(shape_toy, tmp_path) -> None:
    path = tmp_path / "broken.h5"
    path.write_bytes((shape_toy / "events.h5").read_bytes())
    with h5py.File(path, "a") as file:
        del file["nuisance_parameters/benchmark_positive"]
        file["nuisance_parameters/benchmark_positive"] = np.array([b"scale_up"])
    with pytest.raises(InputFileError, match=r"broken.h5: .*benchmark 'scale_up' of nuisance parameter"):
        read_setup(path)
    path.write_bytes((shape_toy / "events.h5").read_bytes())
    with h5py.File(path, "a") as file:
        file["benchmarks/is_reference"][...] = 0
    with pytest.raises(InputFileError, match=r"broken.h5: .*benchmarks/is_reference: .*none is flagged"):
        read_setup(path)


def test_profiled_information_is_the_analytic_schur_complement(shape_toy) -> None:
    """Truth (every node its own observation), rate and histogram information in (a, ν) equal
    L ∫ ∇w ∇wᵀ / w, L ∇σ ∇σᵀ / σ and its sum over bins (exact: the integrands are
    polynomials the quadrature integrates exactly, relative 1e-9), plus the unit constraint;
    profiled is the Schur complement I_aa − I_aν² / I_νν, projected I_aa."""
    result = invoke("evaluate", "--setup", shape_toy / "setup.h5", "--data", shape_toy / "events.h5", "--config",
                    shape_toy / "line.yml", "--output", shape_toy / "results.h5", "--events", "all")
    assert result.exit_code == 0, result.output
    truth = LUMINOSITY * np.array([
        [_integral(lambda z: 4 * z**2), _integral(lambda z: 2 * z * (1 + A_TRUE * z) * g(z))],
        [0.0, _integral(lambda z: s(z, A_TRUE) * g(z) ** 2)]])
    truth[1, 0] = truth[0, 1]
    expected = {"truth": truth, "rate": _analytic(-1.0, 1.0),
                "histo:z": sum(_analytic(low, high) for low, high in zip(EDGES[:-1], EDGES[1:]))}
    with h5py.File(shape_toy / "results.h5") as file:
        for name, matrix in expected.items():
            constrained = matrix + np.diag([0.0, 1.0])
            group = file[f"fisher/{name}"]
            assert json.loads(group.attrs["nuisances"]) == [NUISANCE.name]
            np.testing.assert_allclose(group["full"][()], constrained, rtol=1e-9, err_msg=name)
            schur = constrained[0, 0] - constrained[0, 1] ** 2 / constrained[1, 1]
            np.testing.assert_allclose(group["profiled"][()], [[schur]], rtol=1e-9, err_msg=name)
            np.testing.assert_allclose(group["projected"][()], [[constrained[0, 0]]], rtol=1e-9, err_msg=name)
            assert schur < constrained[0, 0]
    assert json.loads((shape_toy / "results.json").read_text())["nuisances"] == [NUISANCE.name]


def test_a_scale_systematic_without_weights_in_the_file_is_said_to_be_left_out(shape_toy, tmp_path) -> None:
    config = yaml.safe_load((shape_toy / "line.yml").read_text())
    config["systematics"] = [{"name": "pdf_set", "type": "pdf", "pdf": "NNPDF23_lo_as_0130_qed"}]
    (tmp_path / "line.yml").write_text(yaml.safe_dump(config))
    result = invoke("configure", tmp_path / "line.yml", "--output", tmp_path / "setup.h5", "--plan",
                    tmp_path / "plan.yml")
    assert result.exit_code == 0, result.output
    result = invoke("evaluate", "--setup", tmp_path / "setup.h5", "--data", shape_toy / "events.h5", "--config",
                    tmp_path / "line.yml", "--output", tmp_path / "results.h5", "--events", "all")
    assert result.exit_code == 0, result.output
    with h5py.File(tmp_path / "results.h5") as file:
        assert json.loads(file["fisher/truth"].attrs["nuisances"]) == [NUISANCE.name]
    warnings = json.loads((tmp_path / "results.json").read_text())["warnings"]
    assert [w for w in warnings if "pdf_set" in w and "left out" in w], warnings


MADMINER_TRUTH = """
import numpy as np
from madminer.fisherinformation import FisherInformation, profile_information
information = FisherInformation(ARGS["path"], include_nuisance_parameters=True)
theta = np.array(ARGS["theta"])
full, _ = information.truth_information(theta, luminosity=ARGS["luminosity"], include_nuisance_parameters=True)
rate, _ = information.rate_information(theta, luminosity=ARGS["luminosity"], include_nuisance_parameters=True)
constraint = information.nuisance_constraint_information()
out = {}
for name, matrix in (("truth", full), ("rate", rate)):
    constrained = matrix + constraint
    out[name] = {"full": constrained.tolist(), "profiled": profile_information(constrained, [0]).tolist()}
print(json.dumps(out))
"""


def test_madminer_reads_the_shape_nuisance_and_profiles_as_goldmine(shape_toy, madminer) -> None:
    """madminer 0.9.6 on the same event file: its truth information in (a, ν), constraint
    added, and its profile equal goldmine's (relative 1e-6).

    Its rate information differs by design: madminer morphs the summed cross sections, with
    a_σ = ½ log(σ₊/σ₋) of the totals at the reference θ, while goldmine's rate (and histogram)
    information counts the same per-event morphing as its truth information, ∂σ/∂ν = Σ w(θ) a
    (the analytic value above). The test pins madminer's number to that cross-section-level
    form, so that a change on either side shows."""
    result = invoke("evaluate", "--setup", shape_toy / "setup.h5", "--data", shape_toy / "events.h5", "--config",
                    shape_toy / "line.yml", "--output", shape_toy / "results_mm.h5", "--events", "all")
    assert result.exit_code == 0, result.output
    theirs = madminer.run(MADMINER_TRUTH, path=str(shape_toy / "events.h5"), theta=[A_TRUE], luminosity=LUMINOSITY)
    with h5py.File(shape_toy / "results_mm.h5") as file:
        np.testing.assert_allclose(file["fisher/truth/full"][()], theirs["truth"]["full"], rtol=1e-6)
        np.testing.assert_allclose(file["fisher/truth/profiled"][()], theirs["truth"]["profiled"], rtol=1e-6)
        ours_rate = file["fisher/rate/full"][()]
    with h5py.File(shape_toy / "events.h5") as file:
        totals = file["samples/weights"][()].sum(axis=0)
    sigma = _integral(lambda z: s(z, A_TRUE))
    gradient = np.array([_integral(lambda z: 2 * z * (1 + A_TRUE * z)), sigma * 0.5 * np.log(totals[3] / totals[4])])
    cross_section_level = LUMINOSITY * np.outer(gradient, gradient) / sigma + np.diag([0.0, 1.0])
    np.testing.assert_allclose(theirs["rate"]["full"], cross_section_level, rtol=1e-6)
    assert abs(ours_rate[0, 1] / cross_section_level[0, 1] - 1) > 0.1


def test_profiling_in_fisher_is_the_schur_complement() -> None:
    information = np.array([[4.0, 1.0, 0.5], [1.0, 2.0, 0.2], [0.5, 0.2, 3.0]])
    profiled = fisher.profile_information(fisher.with_constraints(information, 2), 1)
    constrained = information + np.diag([0.0, 1.0, 1.0])
    by_hand = constrained[0, 0] - constrained[0, 1:] @ np.linalg.inv(constrained[1:, 1:]) @ constrained[1:, 0]
    np.testing.assert_allclose(profiled, [[by_hand]], rtol=1e-12)
