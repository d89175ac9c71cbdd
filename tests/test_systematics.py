"""Shape nuisances: the nuisance morphing, MadMiner's file layout, and the Fisher
information with them profiled, against analytic values and madminer 0.9.6."""

from __future__ import annotations

import dataclasses
import json
import shutil

import h5py
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from scipy import integrate

import toys
from goldmine.cli import cli
from goldmine.errors import InputFileError
from goldmine.evaluate import fisher
from goldmine.io.samples import SampleWriter, write_sample_summary
from goldmine.io.setup_file import read_setup, write_setup_sections
from goldmine.physics.nuisance import NuisanceColumns, nuisance_factors, nuisance_log_ratios
from goldmine.setup import Benchmark, NuisanceParameter, Systematic

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
    config = toys.line_config(luminosity_fb=LUMINOSITY / 1000, theta_true=A_TRUE, edges=EDGES.tolist())
    (directory / "line.yml").write_text(yaml.safe_dump(config))
    result = invoke("configure", directory / "line.yml", "--output", directory / "setup.h5", "--plan",
                    directory / "plan.yml")
    assert result.exit_code == 0, result.output
    setup = read_setup(directory / "setup.h5")
    z, quadrature = toys.gauss_legendre(EDGES, NODES)
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


@pytest.fixture(scope="module")
def shape_results(shape_toy):
    """results.h5 of the shape toy, every event evaluated (the tests below read it)."""
    result = invoke("evaluate", "--setup", shape_toy / "setup.h5", "--data", shape_toy / "events.h5", "--config",
                    shape_toy / "line.yml", "--output", shape_toy / "results.h5", "--events", "all")
    assert result.exit_code == 0, result.output
    return shape_toy / "results.h5"


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


def test_profiled_information_is_the_analytic_schur_complement(shape_toy, shape_results) -> None:
    """Truth (every node its own observation), rate and histogram information in (a, ν) equal
    L ∫ ∇w ∇wᵀ / w, L ∇σ ∇σᵀ / σ and its sum over bins (exact: the integrands are
    polynomials the quadrature integrates exactly, relative 1e-9), plus the unit constraint;
    profiled is the Schur complement I_aa − I_aν² / I_νν, projected I_aa."""
    truth = LUMINOSITY * np.array([
        [_integral(lambda z: 4 * z**2), _integral(lambda z: 2 * z * (1 + A_TRUE * z) * g(z))],
        [0.0, _integral(lambda z: s(z, A_TRUE) * g(z) ** 2)]])
    truth[1, 0] = truth[0, 1]
    expected = {"truth": truth, "rate": _analytic(-1.0, 1.0),
                "histo:z": sum(_analytic(low, high) for low, high in zip(EDGES[:-1], EDGES[1:]))}
    with h5py.File(shape_results) as file:
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


def test_a_systematic_without_weights_in_the_file_is_said_to_be_left_out(shape_toy, tmp_path) -> None:
    """A setup (madminer's, say) with a PDF member systematic that no nuisance of the event
    file varies: evaluate profiles what the file has and warns about the rest."""
    setup = read_setup(shape_toy / "setup.h5")
    with h5py.File(tmp_path / "setup.h5", "w") as file:
        write_setup_sections(file, dataclasses.replace(setup, systematics=(Systematic("pdf_set", "pdf", "CT10"),)))
    result = invoke("evaluate", "--setup", tmp_path / "setup.h5", "--data", shape_toy / "events.h5", "--config",
                    shape_toy / "line.yml", "--output", tmp_path / "results.h5", "--events", "all")
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


def test_madminer_reads_the_shape_nuisance_and_profiles_as_goldmine(shape_toy, shape_results, madminer) -> None:
    """madminer 0.9.6 on the same event file: its truth information in (a, ν), constraint
    added, and its profile equal goldmine's (relative 1e-6).

    Its rate information differs by design: madminer morphs the summed cross sections, with
    a_σ = ½ log(σ₊/σ₋) of the totals at the reference θ, while goldmine's rate (and histogram)
    information counts the same per-event morphing as its truth information, ∂σ/∂ν = Σ w(θ) a
    (the analytic value above). The test pins madminer's number to that cross-section-level
    form, so that a change on either side shows."""
    theirs = madminer.run(MADMINER_TRUTH, path=str(shape_toy / "events.h5"), theta=[A_TRUE], luminosity=LUMINOSITY)
    with h5py.File(shape_results) as file:
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


# --- the built-in generator's scale weights through observables, combine and evaluate --------

SCALE = {"name": "scale", "type": "scale", "scale": "mu", "factors": [0.5, 2.0]}


@pytest.fixture(scope="module")
def scale_chain(tmp_path_factory, examples):
    """The W h example at parton level with a scale systematic: one signal job at sm and
    one w_jets background job (hard process only), their observables, combined."""
    directory = tmp_path_factory.mktemp("scale_chain")
    raw = yaml.safe_load((examples / "wh-builtin.yml").read_text())
    raw["generation"]["builtin"]["shower"] = False
    raw["detector"] = {"backend": "parton"}
    raw["observables"] = [{"name": "pt_l", "expression": "l[0].pt", "required": True},
                          {"name": "pt_w", "expression": "(l[0] + met).pt"}]
    raw["cuts"] = []
    raw["systematics"] = [{"name": "lumi", "type": "norm", "factor": 1.02}, SCALE]
    raw["backgrounds"] = [{"name": "w_jets", "process": "w_jets", "pt_hat_min": 100.0}]
    raw["evaluation"] = {"luminosity_fb": 300.0, "theta_true": [0.0, 0.0], "modes": ["rate", "histo"],
                         "grid": {"CWL2": [-4.0, 4.0, 9], "CPWL2": [-4.0, 4.0, 9]},
                         "histograms": [{"observables": ["pt_w"], "bins": 6}], "information_observable": "pt_w",
                         "information_bins": 6}
    config = directory / "analysis.yml"
    config.write_text(yaml.safe_dump(raw))
    setup = directory / "setup.h5"
    assert invoke("configure", config, "--output", setup, "--plan", directory / "plan.yml").exit_code == 0
    files = []
    for name, source in (("signal", ("--benchmark", "sm")), ("w_jets", ("--background", "w_jets"))):
        result = invoke("generate", "--setup", setup, "--config", config, *source, "--seed", 5, "--events", 400,
                        "--output", directory / name)
        assert result.exit_code == 0, result.output
        role = ("--sampling-benchmark", "sm") if name == "signal" else ("--background", "w_jets")
        result = invoke("observables", "--setup", setup, "--config", config, "--input",
                        directory / name / "events.lhe.gz", *role, "--output", directory / f"{name}.h5")
        assert result.exit_code == 0, result.output
        files.append(directory / f"{name}.h5")
    result = invoke("combine", "--output", directory / "combined.h5", "--seed", 1, *files)
    assert result.exit_code == 0, result.output
    return directory, config, setup


@pytest.fixture(scope="module")
def scale_results(scale_chain):
    """results.h5 of the chain's combined file, every event evaluated."""
    directory, config, setup_path = scale_chain
    result = invoke("evaluate", "--setup", setup_path, "--data", directory / "combined.h5", "--config", config,
                    "--output", directory / "results.h5", "--events", "all")
    assert result.exit_code == 0, result.output
    return directory / "results.h5"


def test_configure_declares_the_scale_nuisance_as_madminer_names_it(scale_chain) -> None:
    _, _, setup_path = scale_chain
    setup = read_setup(setup_path)
    assert setup.nuisance_parameters == (NuisanceParameter("scale_nuisance_param_0", "scale",
                                                           "scale_nuisance_param_0_benchmark_0",
                                                           "scale_nuisance_param_0_benchmark_1"),)
    assert setup.benchmarks[0].is_reference and setup.benchmarks[0].name == "sm"
    assert [b.name for b in setup.benchmarks if b.is_nuisance] == ["scale_nuisance_param_0_benchmark_0",
                                                                   "scale_nuisance_param_0_benchmark_1"]
    assert all(b.values == setup.benchmarks[0].values for b in setup.benchmarks if b.is_nuisance)


def test_scale_weights_ride_through_the_chain_into_the_profiled_information(scale_chain, scale_results) -> None:
    """The ν = ±1 columns are the reference weight times the ratios at μ × 2 and μ / 2 (W h,
    through the PDFs and α_EM: σ up at μ × 2 by a few per cent; W + jet, through α_s: down),
    in the combined file too, and evaluate profiles the scale nuisance in the truth, rate
    and histogram information."""
    directory, _, setup_path = scale_chain
    setup = read_setup(setup_path)
    up, down = (setup.benchmark_index(f"scale_nuisance_param_0_benchmark_{k}") for k in (0, 1))
    with h5py.File(directory / "combined.h5") as file:
        weights, sampling = file["samples/weights"][()], file["samples/sampling_benchmarks"][()]
    for label, events, sign in (("signal", sampling >= 0, 1), ("w_jets", sampling < 0, -1)):
        ratio_up = weights[events, up].sum() / weights[events, 0].sum()
        ratio_down = weights[events, down].sum() / weights[events, 0].sum()
        assert 0.005 < sign * (ratio_up - 1) < 0.3 and 0.005 < sign * (1 - ratio_down) < 0.3, (label, ratio_up,
                                                                                                  ratio_down)
        assert np.ptp(weights[events, up] / weights[events, 0]) > 0.01  # a shape, not a norm
    with h5py.File(scale_results) as file:
        for name in ("truth", "rate", "histo:pt_w"):
            group = file[f"fisher/{name}"]
            assert json.loads(group.attrs["nuisances"]) == ["scale_nuisance_param_0", "lumi"]
            full, profiled, projected = group["full"][()], group["profiled"][()], group["projected"][()]
            assert full.shape == (4, 4) and full[2, 2] > 1.0 and full[3, 3] > 1.0
            assert np.all(np.linalg.eigvalsh(projected - profiled) > -1e-9 * np.abs(projected).max())
    warnings = json.loads((directory / "results.json").read_text())["warnings"]
    assert not [w for w in warnings if "left out" in w], warnings


@pytest.mark.parametrize(("factors", "message"), [
    ([0.0, 2.0], "systematics[1].factors"),
    ([-0.5, 2.0], "systematics[1].factors"),
    ([1.0], "must differ from the nominal scale"),
    ([2.0, 2.0], "must differ from the nominal scale"),
    ([0.5, 0.8, 2.0], "give the factor of the +1 sigma variation"),
])
def test_bad_scale_factors_are_refused_naming_the_key(tmp_path, examples, factors, message) -> None:
    raw = yaml.safe_load((examples / "wh-builtin.yml").read_text())
    raw["systematics"] = [{"name": "lumi", "type": "norm", "factor": 1.02}, {**SCALE, "factors": factors}]
    (tmp_path / "analysis.yml").write_text(yaml.safe_dump(raw))
    result = invoke("configure", tmp_path / "analysis.yml", "--output", tmp_path / "setup.h5", "--plan",
                    tmp_path / "plan.yml")
    assert result.exit_code != 0
    assert message in result.output and "systematics[1]" in result.output, result.output
    assert not (tmp_path / "setup.h5").exists()


def test_madgraph_takes_scale_but_refuses_pdf_set_systematics_naming_the_backend(tmp_path) -> None:
    """MadGraph's systematics module gives the scale variations (goldmine.generate.
    madgraph_systematics); a PDF-set variation it is not asked for."""
    from example_configs import madgraph_example

    raw = madgraph_example()
    raw["systematics"] = [SCALE]
    (tmp_path / "analysis.yml").write_text(yaml.safe_dump(raw))
    result = invoke("configure", tmp_path / "analysis.yml", "--output", tmp_path / "setup.h5", "--plan",
                    tmp_path / "plan.yml")
    assert result.exit_code == 0, result.output
    (tmp_path / "setup.h5").unlink()
    raw["systematics"] = [SCALE, {"name": "pdfs", "type": "pdf_set", "pdf": "NNPDF31_lo_as_0130"}]
    (tmp_path / "analysis.yml").write_text(yaml.safe_dump(raw))
    result = invoke("configure", tmp_path / "analysis.yml", "--output", tmp_path / "setup.h5", "--plan",
                    tmp_path / "plan.yml")
    assert result.exit_code != 0
    assert "systematics[1]" in result.output and "generation uses the madgraph backend" in result.output
    assert not (tmp_path / "setup.h5").exists()


def _without_validation_benchmarks(source, target, keep: list[int]) -> None:
    """``source`` with only the benchmarks ``keep`` (madminer's information code fails on
    physics benchmarks outside the morphing basis, its own files included)."""
    shutil.copy(source, target)
    with h5py.File(target, "r+") as file:
        for key in ("benchmarks/names", "benchmarks/values", "benchmarks/is_nuisance", "benchmarks/is_reference",
                    "sample_summary/signal_events"):
            data = file[key][()]
            del file[key]
            file.create_dataset(key, data=data[[k for k in keep if k < len(data)]])
        weights = file["samples/weights"][()][:, keep]
        del file["samples/weights"]
        file.create_dataset("samples/weights", data=weights)


MADMINER_SCALE = """
import numpy as np
from madminer.fisherinformation import FisherInformation
information = FisherInformation(ARGS["path"], include_nuisance_parameters=True)
full, _ = information.truth_information(np.array(ARGS["theta"]), luminosity=ARGS["luminosity"],
                                        include_nuisance_parameters=True)
print(json.dumps({"full": (full + information.nuisance_constraint_information()).tolist(),
                  "nuisances": list(information.nuisance_parameters)}))
"""


def test_madminer_reads_goldmines_scale_systematic_and_gives_its_truth_information(scale_chain, scale_results,
                                                                                   madminer) -> None:
    """madminer 0.9.6 on the combined file (signal and background, the val_* benchmarks left
    out of a copy for its einsum, the scale nuisance kept): its truth information in (θ, ν_scale)
    with the constraint equals goldmine's block of the same parameters (relative 1e-6), and
    so do the profiles over ν_scale. madminer cannot read the ``lumi`` normalisation
    systematic (its loader fails on a norm systematic: goldmine/systematics holds it)."""
    directory, _, setup_path = scale_chain
    setup = read_setup(setup_path)
    keep = [i for i, b in enumerate(setup.benchmarks) if not b.name.startswith("val_")]
    _without_validation_benchmarks(directory / "combined.h5", directory / "for_madminer.h5", keep)
    theirs = madminer.run(MADMINER_SCALE, path=str(directory / "for_madminer.h5"), theta=[0.0, 0.0],
                          luminosity=300_000.0)
    assert theirs["nuisances"] == ["scale_nuisance_param_0"]
    with h5py.File(scale_results) as file:
        ours = file["fisher/truth/full"][()][:3, :3]  # (CWL2, CPWL2, ν_scale); lumi is the fourth
    np.testing.assert_allclose(ours, theirs["full"], rtol=1e-6)
    np.testing.assert_allclose(fisher.profile_information(ours, 2),
                               fisher.profile_information(np.array(theirs["full"]), 2), rtol=1e-6)


def test_histogram_limits_profile_the_shape_nuisance_as_a_brute_force_scan(shape_results) -> None:
    """Asimov data at a = 0.3; per bin the expectation L ∫_b s(z|a) dz, expanded in ν to
    second order with the slope ∫_b s g / ∫_b s and curvature ∫_b s g² / ∫_b s − slope² (exact
    for w(z|a, ν) = s(z|a) exp(ν g(z)) where g is constant in the bin). At every a of the grid,
    the profiled histogram log likelihood equals a brute-force maximum over ν (bounded scalar
    search), and profiling lowers q away from the best fit."""
    from scipy import optimize

    grid = np.linspace(-1.0, 1.0, 41)
    bins = list(zip(EDGES[:-1], EDGES[1:]))

    def expansion(a: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mu = np.array([_integral(lambda z: s(z, a), lo, hi) for lo, hi in bins])
        slope = np.array([_integral(lambda z: s(z, a) * g(z), lo, hi) for lo, hi in bins]) / mu
        second = np.array([_integral(lambda z: s(z, a) * g(z) ** 2, lo, hi) for lo, hi in bins]) / mu
        return LUMINOSITY * mu, slope, second - slope**2

    observed = expansion(A_TRUE)[0]

    def profiled(a: float) -> float:
        mu, slope, curvature = expansion(a)

        def minus(nu: float) -> float:
            log_mu = np.log(mu) + slope * nu + 0.5 * curvature * nu**2
            return -float(np.sum(observed * log_mu - np.exp(log_mu)) - nu**2 / 2)

        return -optimize.minimize_scalar(minus, bounds=(-30, 30), method="bounded", options={"xatol": 1e-10}).fun

    brute = np.array([profiled(a) for a in grid])
    fixed = np.array([np.sum(observed * np.log(expansion(a)[0]) - expansion(a)[0]) for a in grid])
    with h5py.File(shape_results) as file:
        ours = file["limits/expected/histo:z/log_likelihood"][()]
    np.testing.assert_allclose(ours - ours[26], brute - brute[26], atol=1e-7 * np.abs(brute).max())
    q_profiled, q_fixed = 2 * (brute.max() - brute), 2 * (fixed.max() - fixed)
    far = np.abs(grid - A_TRUE) > 0.2
    assert np.all(q_profiled[far] < q_fixed[far])


def test_limits_and_plots_with_and_without_systematics(scale_chain, scale_results) -> None:
    """Expected limits of the counting modes come twice, nuisances profiled and fixed; the
    profiled 68% region is the larger, and summary.md and the plots show both."""
    directory = scale_chain[0]
    summary = json.loads((directory / "results.json").read_text())
    assert set(summary["limits"]["no_systematics"]) == {"rate", "histo:pt_w"}
    ratios = summary["systematics_area_ratios_68"]
    assert set(ratios) == {"rate", "histo:pt_w"} and all(r >= 1.0 for r in ratios.values()), ratios
    with h5py.File(scale_results) as file:
        profiled, fixed = (file[f"limits/{kind}/histo:pt_w/q"][()] for kind in ("expected", "no_systematics"))
    assert np.all(profiled <= fixed + 1e-9) and np.any(profiled < 0.9 * fixed)

    result = invoke("plot", "--results", scale_results, "--output", directory / "plots")
    assert result.exit_code == 0, result.output
    assert (directory / "plots" / "contours_systematics.png").stat().st_size > 0
    text = (directory / "plots" / "summary.md").read_text()
    assert "### Systematics" in text and "scale_nuisance_param_0, lumi" in text
    assert "### No_systematics limits" in text
    assert f"histo:pt_w {ratios['histo:pt_w']:.3g}" in text


def test_a_histogram_without_shape_nuisances_expands_to_nothing() -> None:
    """No shape nuisance: empty slopes and curvatures, to which the normalisation nuisances are
    appended (the rate mode of every analysis with a norm systematic)."""
    from goldmine.evaluate.histograms import Histogram

    histogram = Histogram.fill((), np.zeros(4, dtype=np.intp), 1, np.ones((4, 3)))
    slopes, curvatures = histogram.nuisance_expansion(np.zeros((5, 2)), np.array([[0, 0], [1, 0], [0, 1]]))
    assert slopes.shape == (5, 1, 0) and curvatures.shape == (5, 1, 0, 0)


def test_an_event_file_without_the_declared_variations_is_refused(scale_chain, wh_fixtures, tmp_path) -> None:
    """MadGraph's fixture LHE carries no scale variations: observables names the missing
    nuisance benchmarks and writes nothing."""
    directory, config, setup_path = scale_chain
    result = invoke("observables", "--setup", setup_path, "--config", config, "--input",
                    wh_fixtures / "events_sm.lhe.gz", "--sampling-benchmark", "sm", "--output", tmp_path / "x.h5")
    assert result.exit_code != 0
    assert "no weights for the benchmarks ['scale_nuisance_param_0_benchmark_0', " in result.output
    assert not (tmp_path / "x.h5").exists()


def test_a_nan_variation_weight_is_refused_naming_the_event(scale_chain, tmp_path) -> None:
    import gzip
    import re

    directory, config, setup_path = scale_chain
    text = gzip.open(directory / "signal" / "events.lhe.gz", "rt").read()
    edited = re.sub(r"(<event>.*?<event>.*?<wgt id='scale_nuisance_param_0_benchmark_1'> )\S+", r"\g<1>nan", text,
                    count=1, flags=re.S)
    assert edited != text
    broken = tmp_path / "broken.lhe.gz"
    with gzip.open(broken, "wt") as stream:
        stream.write(edited)
    result = invoke("observables", "--setup", setup_path, "--config", config, "--input", broken,
                    "--sampling-benchmark", "sm", "--output", tmp_path / "x.h5")
    assert result.exit_code != 0
    assert "broken.lhe.gz: event 1 has a non-finite weight (nan)" in result.output, result.output
    assert not (tmp_path / "x.h5").exists()


def test_a_pdf_set_systematic_is_a_one_sided_nuisance_with_generated_weights(tmp_path, examples) -> None:
    raw = yaml.safe_load((examples / "wh-builtin.yml").read_text())
    raw["generation"]["builtin"]["shower"] = False
    raw["systematics"] = [{"name": "pdf", "type": "pdf_set", "pdf": "NNPDF31_lo_as_0130"}]
    config = tmp_path / "analysis.yml"
    config.write_text(yaml.safe_dump(raw))
    setup_path = tmp_path / "setup.h5"
    assert invoke("configure", config, "--output", setup_path, "--plan", tmp_path / "plan.yml").exit_code == 0
    setup = read_setup(setup_path)
    assert setup.nuisance_parameters == (NuisanceParameter("pdf_nuisance_param_0", "pdf",
                                                           "pdf_nuisance_param_0_benchmark_0", None),)
    result = invoke("generate", "--setup", setup_path, "--config", config, "--benchmark", "sm", "--seed", 3,
                    "--events", 200, "--output", tmp_path / "job")
    assert result.exit_code == 0, result.output
    from goldmine.io.lhe_events import iter_lhe_events

    (header, chunk), = iter_lhe_events(tmp_path / "job" / "events.lhe.gz")
    varied = header.weight_names.index("pdf_nuisance_param_0_benchmark_0")
    weighs = chunk.weights[:, 0] != 0  # CKM-off-diagonal flavours weigh 0 (MadGraph's diagonal CKM)
    ratio = chunk.weights[weighs, varied] / chunk.weights[weighs, 0]
    assert np.ptp(ratio) > 0.01 and 1.0 < ratio.mean() < 1.4


# --- SALLY learns the nuisances' score components ----------------------------------------


def test_the_joint_nuisance_score_is_the_derivative_of_log_p_xz() -> None:
    """t_ν(x,z|θ) = ∂_ν log[dσ(z|θ,ν)/σ(θ,ν)] at ν = 0, with dσ(z|θ,ν) = dσ(z|θ) exp(aν + bν²) and
    σ(θ,ν) the sum over the events: against a central finite difference."""
    from goldmine.physics.joint import joint_nuisance_score

    rng = np.random.default_rng(4)
    components = np.array([[0], [1], [2]])
    g = rng.uniform(0.5, 1.5, size=(200, 3)) * np.array([1.0, 0.3, 0.2])
    a, b = rng.normal(0, 0.2, size=(200, 2)), rng.normal(0, 0.05, size=(200, 2))
    theta = np.full((200, 1), 0.4)
    analytic = joint_nuisance_score(a, theta, components, g.sum(axis=0), g.T @ a)

    w = g @ np.array([1.0, 0.4, 0.16])
    def log_p(nu: np.ndarray) -> np.ndarray:
        varied = w * np.exp(a @ nu + b @ nu**2)
        return np.log(varied) - np.log(varied.sum())
    step = 1e-6
    numeric = np.column_stack([(log_p(step * e) - log_p(-step * e)) / (2 * step) for e in np.eye(2)])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_sally_learns_the_nuisance_scores_and_its_information_profiles_them(scale_chain) -> None:
    """The local sampler's t_xz has θ's components and the scale nuisance's; SALLY trained on it
    outputs both, and evaluate gives its Fisher information in (θ, ν_scale, lumi) with no
    "normalisation only" warning."""
    directory, config, setup_path = scale_chain
    raw = yaml.safe_load(config.read_text())
    raw["augmentation"] = {"n_samples": 4000, "validation_fraction": 0.0, "test_fraction": 0.0}
    raw["training"] = {"hidden": [16, 16], "epochs": 3, "batch_size": 256}
    raw["evaluation"]["modes"] = ["rate"]
    sally_config = directory / "sally.yml"
    sally_config.write_text(yaml.safe_dump(raw))
    result = invoke("augment", "--input", directory / "combined.h5", "--setup", setup_path, "--config", sally_config,
                    "--method", "sally", "--output", directory / "sally_data", "--seed", 1)
    assert result.exit_code == 0, result.output
    summary = json.loads((directory / "sally_data" / "augment.json").read_text())
    assert summary["nuisances"] == ["scale_nuisance_param_0"]
    t_xz = np.load(next((directory / "sally_data").glob("t_xz*train*.npy")))
    assert t_xz.shape == (4000, 3) and np.std(t_xz[:, 2]) > 0
    result = invoke("train", "--method", "sally", "--data", directory / "sally_data", "--config", sally_config,
                    "--output", directory / "sally_model", "--seed", 1, "--device", "cpu")
    assert result.exit_code == 0, result.output
    result = invoke("evaluate", "--setup", setup_path, "--data", directory / "combined.h5", "--models",
                    directory / "sally_model", "--config", sally_config, "--output", directory / "sally_results.h5",
                    "--events", "all")
    assert result.exit_code == 0, result.output
    with h5py.File(directory / "sally_results.h5") as file:
        group = file["fisher/sally"]
        assert json.loads(group.attrs["nuisances"]) == ["scale_nuisance_param_0", "lumi"]
        assert group["full"].shape == (4, 4)
    warnings = json.loads((directory / "sally_results.json").read_text())["warnings"]
    assert not [w for w in warnings if "normalisation nuisances only" in w], warnings
