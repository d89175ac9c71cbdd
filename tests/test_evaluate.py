"""evaluate: Fisher information and limits against analytic truth and brute force."""

from __future__ import annotations

import json
import logging
import types

import h5py
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from scipy import integrate, optimize, special, stats

import toys
from goldmine.cli import cli
from goldmine.errors import GoldmineError
from goldmine.evaluate import fisher
from goldmine.evaluate import information as evaluate_info
from goldmine.evaluate import models as evaluate_models
from goldmine.evaluate import run as evaluate_run
from goldmine.evaluate.events import load_simulated
from goldmine.evaluate.information import rate_matrix, truth_matrix
from goldmine.evaluate.likelihood import poisson_log_likelihood, profiled_poisson_log_likelihood, wilks
from goldmine.io.samples import SampleWriter, write_sample_summary
from goldmine.io.setup_file import read_setup, write_setup_sections

BLOCKS = (60_000, 20_000)  # train, test (test_fraction 0.25, no validation partition)
LUMINOSITY_FB = 1.0
GRID = {"a": [-0.8, 0.8, 17], "b": [-0.8, 0.8, 17]}


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The 2-parameter toy dσ/dz = (1 + a z1 + b z2)², x = z (parton level), exactly normalised blocks."""
    directory = tmp_path_factory.mktemp("evaluate")
    evaluation = {"luminosity_fb": LUMINOSITY_FB, "grid": GRID, "theta_true": "sm", "calibrate_ratios": True,
                  "histograms": [{"observables": ["z1"], "bins": 8}, {"observables": ["z1", "z2"], "bins": 4}]}
    config = toys.write_config(directory / "toy.yml", index_column=False, evaluation=evaluation,
                               validation_fraction=0.0, test_fraction=0.25, n_samples=30_000,
                               local={"theta": {"benchmark": "sm"}},
                               ratio={"theta0": {"random": {"n": 200, "prior": {"a": {"flat": [-0.8, 0.8]},
                                                                                 "b": {"flat": [-0.8, 0.8]}}}},
                                      "theta1": {"benchmark": "sm"}})
    result = invoke("configure", config, "--output", directory / "setup.h5", "--plan", directory / "plan.yml")
    assert result.exit_code == 0, result.output
    setup = read_setup(directory / "setup.h5")
    toys.write_events(directory / "events.h5", setup, BLOCKS, np.random.default_rng(3), index_column=False)
    return directory


def simulated(toy, events="test"):
    setup = read_setup(toy / "setup.h5")
    return load_simulated(toy / "events.h5", setup, toy / "setup.h5", events=events, validation_fraction=0.0,
                          test_fraction=0.25)


@pytest.mark.parametrize("theta", [(0.0, 0.0), (0.5, -0.3), (-0.7, 0.6)])
def test_truth_information_equals_the_analytic_information(toy, theta) -> None:
    """I(θ) = L ∫ ∂_i dσ ∂_j dσ / dσ = L ∫ 4 z_i z_j dz = (16/3) L δ_ij for every θ;
    the rate term alone is L ∇σ ∇σᵀ/σ with σ = 4 (1 + |θ|²/3)."""
    luminosity = LUMINOSITY_FB * 1000
    events = simulated(toy)
    theta = np.array(theta)
    np.testing.assert_allclose(truth_matrix(events, theta, luminosity), 16 / 3 * luminosity * np.eye(2), rtol=1e-6,
                               atol=1e-9 * luminosity)
    grad_sigma = 8 * theta / 3
    expected_rate = luminosity * np.outer(grad_sigma, grad_sigma) / toys.sigma(theta)
    np.testing.assert_allclose(rate_matrix(events, theta, luminosity), expected_rate, rtol=1e-6,
                               atol=1e-9 * luminosity)


def test_nuisances_profiled_and_projected() -> None:
    """A normalisation nuisance is blind to shapes: profiling it removes exactly the rate
    information's share, computed by hand for one parameter."""
    luminosity, sigma, grad, log_f = 1000.0, 2.0, np.array([0.4]), np.log([1.1])
    kinematic = np.array([[3.0]])
    full = fisher.rate_information(sigma, grad, luminosity) + kinematic
    extended = fisher.with_constraints(fisher.with_norm_nuisances(full, sigma, grad, log_f, luminosity), 1)
    assert extended.shape == (2, 2)
    np.testing.assert_allclose(fisher.project_information(extended, 1), full)
    i_tn, i_nn = luminosity * grad[0] * log_f[0], luminosity * sigma * log_f[0] ** 2 + 1
    np.testing.assert_allclose(fisher.profile_information(extended, 1), full - i_tn**2 / i_nn)
    # With an unconstrained (infinitely loose) nuisance only the kinematics would remain; the
    # constraint keeps the profiled value between the two.
    assert kinematic[0, 0] < fisher.profile_information(extended, 1)[0, 0] < full[0, 0]


def test_profiled_poisson_likelihood_is_the_brute_force_maximum() -> None:
    """Newton's solution equals a brute-force maximum over two nuisances: two normalisation
    ones on one count, and two shape ones (slopes and curvatures per cell) on three cells."""
    grid = np.linspace(-4, 4, 801)
    nu1, nu2 = np.meshgrid(grid, grid, indexing="ij")
    log_factors, n_observed = np.log([1.05, 1.2]), 120.0
    expected = np.array([80.0, 120.0, 160.0])
    s = nu1 * log_factors[0] + nu2 * log_factors[1]
    brute = [np.max(n_observed * s - (np.exp(s) - 1) * e - (nu1**2 + nu2**2) / 2) for e in expected]
    slopes = np.broadcast_to(log_factors, (3, 1, 2))
    profiled = profiled_poisson_log_likelihood([n_observed], expected[:, None], slopes, np.zeros((3, 1, 2, 2)))
    np.testing.assert_allclose(profiled - poisson_log_likelihood([n_observed], expected[:, None]), brute, atol=2e-4)
    assert profiled_poisson_log_likelihood([n_observed], expected[:, None], np.zeros((3, 1, 0)),
                                           np.zeros((3, 1, 0, 0))).tolist() == poisson_log_likelihood(
        [n_observed], expected[:, None]).tolist()

    observed = np.array([40.0, 95.0, 30.0])
    cells = np.array([[50.0, 80.0, 25.0], [35.0, 100.0, 40.0]])  # two θ
    shape_slopes = np.array([[0.10, -0.05], [0.02, 0.04], [-0.12, 0.08]])
    shape_curvatures = np.array([[[0.02, 0.0], [0.0, 0.01]], [[0.0, 0.005], [0.005, 0.0]], [[0.03, -0.01], [-0.01, 0.02]]])
    nus = np.stack([nu1, nu2], axis=-1)
    brute = []
    for mu in cells:
        log_mu = (np.log(mu) + nus @ shape_slopes.T
                  + 0.5 * np.einsum("abk,ckl,abl->abc", nus, shape_curvatures, nus))
        brute.append(np.max((observed * log_mu - np.exp(log_mu)).sum(axis=-1) - (nus**2).sum(axis=-1) / 2))
    profiled = profiled_poisson_log_likelihood(observed, cells, np.broadcast_to(shape_slopes, (2, 3, 2)),
                                               np.broadcast_to(shape_curvatures, (2, 3, 2, 2)))
    np.testing.assert_allclose(profiled, brute, atol=2e-3)


def test_wilks_p_values_are_scipys() -> None:
    log_likelihood = np.array([-3.0, -1.2, 0.5, -0.1])
    q, p = wilks(log_likelihood, 2)
    np.testing.assert_allclose(q, -2 * (log_likelihood - 0.5))
    np.testing.assert_allclose(p, stats.chi2.sf(q, 2))
    assert poisson_log_likelihood([3.0, 0.0], np.array([[0.0, 1.0]]))[0] == -np.inf


# --- a 1-D toy: histogram limits against a brute-force Poisson computation -----------------------

EDGES = [-1.0, -0.5, -0.1, 0.3, 0.6, 1.0]
NODES = 3  # Gauss-Legendre nodes per bin: exact for the quadratic density


def _bin_integrals(a: np.ndarray) -> np.ndarray:
    """∫_bin (1 + a z)² dz for each bin, a (G,) → (G, bins), in closed form."""
    low, high = np.array(EDGES[:-1]), np.array(EDGES[1:])
    a = np.asarray(a)[:, None]
    return (high - low) + a * (high**2 - low**2) + a**2 * (high**3 - low**3) / 3


@pytest.fixture(scope="module")
def line_toy(tmp_path_factory):
    directory = tmp_path_factory.mktemp("line")
    config = toys.line_config(luminosity_fb=0.05, theta_true=0.3, edges=EDGES)
    (directory / "line.yml").write_text(yaml.safe_dump(config))
    result = invoke("configure", directory / "line.yml", "--output", directory / "setup.h5", "--plan",
                    directory / "plan.yml")
    assert result.exit_code == 0, result.output
    setup = read_setup(directory / "setup.h5")
    z, quadrature = toys.gauss_legendre(EDGES, NODES)
    weights = quadrature[:, None] * (1 + np.outer(z, setup.benchmark_values[:, 0])) ** 2
    with h5py.File(directory / "events.h5", "w") as file:
        write_setup_sections(file, setup)
        SampleWriter(file, 1, 3).append(z[:, None], weights, np.zeros(len(z), dtype=int))
        write_sample_summary(file, np.array([len(z), 0, 0]), 0)
    return directory


def test_histogram_limits_equal_a_brute_force_poisson_likelihood(line_toy) -> None:
    result = invoke("evaluate", "--setup", line_toy / "setup.h5", "--data", line_toy / "events.h5", "--config",
                    line_toy / "line.yml", "--output", line_toy / "results.h5", "--events", "all")
    assert result.exit_code == 0, result.output
    luminosity = 50.0  # pb⁻¹
    grid = np.linspace(-1, 1, 41)
    asimov = luminosity * _bin_integrals(np.array([0.3]))[0]
    expected = luminosity * _bin_integrals(grid)
    log_likelihood = (asimov * np.log(expected) - expected - special.gammaln(asimov + 1)).sum(axis=1)
    q = -2 * (log_likelihood - log_likelihood.max())
    with h5py.File(line_toy / "results.h5") as file:
        limit = file["limits/expected/histo:z"]
        np.testing.assert_allclose(limit["q"][()], q, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(limit["p_values"][()], stats.chi2.sf(q, df=1), rtol=1e-8, atol=1e-12)
        best_fit = limit["best_fit"][()]
        # the brute-force Fisher information of the histogram at a = 0.3
        d_nu = luminosity * np.array(
            [(h**2 - lo**2) + 2 * 0.3 * (h**3 - lo**3) / 3 for lo, h in zip(EDGES[:-1], EDGES[1:])])
        np.testing.assert_allclose(file["fisher/histo:z/full"][()], [[np.sum(d_nu**2 / asimov)]], rtol=1e-9)
    np.testing.assert_allclose(best_fit, [0.3], atol=1e-3)  # Asimov data: the fit returns θ_true
    summary = json.loads((line_toy / "results.json").read_text())
    low, high = summary["limits"]["expected"]["histo:z"]["intervals"]["68"]["a"]
    sigma_a = 1 / np.sqrt(np.sum(d_nu**2 / asimov))
    assert low == pytest.approx(0.3 - sigma_a, abs=0.1 * sigma_a)
    assert high == pytest.approx(0.3 + sigma_a, abs=0.1 * sigma_a)


def test_each_limit_mode_builds_alone(line_toy) -> None:
    """The registry's builders, called without the rest of an evaluation, on Asimov data at
    a = 0.3: the rate mode is the Poisson likelihood of the total count, the histogram mode
    the brute-force one over the bins."""
    from goldmine.config.loader import load_config
    from goldmine.evaluate.run import MODES, Analysis, data_sets

    setup = read_setup(line_toy / "setup.h5")
    events = load_simulated(line_toy / "events.h5", setup, line_toy / "setup.h5", events="all",
                            validation_fraction=0.0, test_fraction=0.0)
    analysis = Analysis.of(setup, load_config(line_toy / "line.yml").evaluation, events, [])
    (asimov,) = data_sets(analysis, None)
    grid = np.linspace(-1, 1, 41)[:, None]
    luminosity = 50.0  # pb⁻¹
    expected_bins, asimov_bins = luminosity * _bin_integrals(grid[:, 0]), luminosity * _bin_integrals([0.3])[0]
    expected_total, asimov_total = expected_bins.sum(axis=1), asimov_bins.sum()

    (rate,) = MODES["rate"](analysis, asimov).values()
    brute_rate = asimov_total * np.log(expected_total) - expected_total  # up to the θ-independent log n!
    np.testing.assert_allclose(rate(grid), brute_rate, rtol=1e-9)
    (histogram,) = MODES["histo"](analysis, asimov).values()
    brute_histogram = (asimov_bins * np.log(expected_bins) - expected_bins).sum(axis=1)
    np.testing.assert_allclose(histogram(grid), brute_histogram, rtol=1e-9)
    assert MODES["sally"](analysis, asimov) == {} and MODES["ml"](analysis, asimov) == {}  # no models


BACKGROUND_DENSITY = 0.8  # b(z): flat, pb per unit z
#: the background's processes and their shares of it (the same nodes, as a combined file holds them)
BACKGROUND_SHARES = {"flat_a": 0.25, "flat_b": 0.75}


@pytest.fixture(scope="module")
def line_toy_with_background(line_toy, tmp_path_factory):
    """The line toy's signal s(z|a) = (1 + a z)² plus a flat background b(z) of two
    processes (BACKGROUND_SHARES), its events at the same quadrature nodes, with sampling
    benchmark -1 and one weight at every benchmark, each naming its process (as `combine`
    writes them)."""
    directory = tmp_path_factory.mktemp("line_background")
    setup = read_setup(line_toy / "setup.h5")
    z, quadrature = toys.gauss_legendre(EDGES, NODES)
    signal = quadrature[:, None] * (1 + np.outer(z, setup.benchmark_values[:, 0])) ** 2
    background = np.repeat((quadrature * BACKGROUND_DENSITY)[:, None], len(setup.benchmarks), axis=1)
    shares = list(BACKGROUND_SHARES.values())
    n = len(z)
    with h5py.File(directory / "events.h5", "w") as file:
        write_setup_sections(file, setup)
        SampleWriter(file, 1, 3, process_names=list(BACKGROUND_SHARES)).append(
            np.concatenate([z, z, z])[:, None], np.concatenate([signal, shares[0] * background, shares[1] * background]),
            np.concatenate([np.zeros(n, dtype=int), np.full(2 * n, -1)]), np.repeat([-1, 0, 1], n))
        write_sample_summary(file, np.array([n, 0, 0]), 2 * n)
    return directory


def _evaluate_rate_and_histogram(line_toy, directory) -> None:
    """evaluate the line toy's rate and histogram modes on ``directory/events.h5`` (all
    events) into ``directory/results.h5``."""
    config = yaml.safe_load((line_toy / "line.yml").read_text())
    config["evaluation"]["modes"] = ["rate", "histo"]
    (directory / "line.yml").write_text(yaml.safe_dump(config))
    result = invoke("evaluate", "--setup", line_toy / "setup.h5", "--data", directory / "events.h5", "--config",
                    directory / "line.yml", "--output", directory / "results.h5", "--events", "all")
    assert result.exit_code == 0, result.output


def test_background_widens_the_histogram_and_rate_limits_as_the_brute_force_likelihood_says(
        line_toy, line_toy_with_background) -> None:
    """Expected counts per bin ν(a) = L [∫_bin s(z|a) dz + b · width]: the histogram and rate
    likelihoods, the histogram information and the widths of the limits are the brute-force
    ones with the background in, and so is the truth-level information (signal and background
    events at the same node are one observation).
    """
    directory = line_toy_with_background
    _evaluate_rate_and_histogram(line_toy, directory)
    luminosity, a_true = 50.0, 0.3
    widths = np.diff(EDGES)
    grid = np.linspace(-1, 1, 41)
    expected = luminosity * (_bin_integrals(grid) + BACKGROUND_DENSITY * widths)
    asimov = luminosity * (_bin_integrals(np.array([a_true]))[0] + BACKGROUND_DENSITY * widths)
    q_histogram = -2 * ((asimov * np.log(expected) - expected).sum(axis=1)
                        - (asimov * np.log(expected) - expected).sum(axis=1).max())
    total, asimov_total = expected.sum(axis=1), asimov.sum()
    q_rate = -2 * (asimov_total * np.log(total) - total - (asimov_total * np.log(total) - total).max())
    d_nu = luminosity * np.array([(h**2 - lo**2) + 2 * a_true * (h**3 - lo**3) / 3
                                  for lo, h in zip(EDGES[:-1], EDGES[1:])])
    with h5py.File(directory / "results.h5") as file:
        np.testing.assert_allclose(file["limits/expected/histo:z/q"][()], q_histogram, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(file["limits/expected/rate/q"][()], q_rate, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(file["fisher/histo:z/full"][()], [[np.sum(d_nu**2 / asimov)]], rtol=1e-9)
        truth = file["fisher/truth/full"][()]
        signal_only = np.sum(d_nu**2 / (luminosity * _bin_integrals(np.array([a_true]))[0]))
    # the background dilutes the histogram information below the signal-only one
    assert np.sum(d_nu**2 / asimov) < 0.8 * signal_only
    # per observation, L Σ (∂w)²/w: the signal and both background processes at each node are
    # one observation, so the background dilutes the truth too
    z, quadrature = toys.gauss_legendre(EDGES, NODES)
    by_observation = np.sum((quadrature * 2 * z * (1 + a_true * z)) ** 2
                            / (quadrature * ((1 + a_true * z) ** 2 + BACKGROUND_DENSITY)))
    np.testing.assert_allclose(truth, [[luminosity * by_observation]], rtol=1e-12)
    signal_expected = luminosity * _bin_integrals(grid)
    signal_asimov = luminosity * _bin_integrals(np.array([a_true]))[0]
    signal_log_likelihood = (signal_asimov * np.log(signal_expected) - signal_expected).sum(axis=1)
    q_signal_only = -2 * (signal_log_likelihood - signal_log_likelihood.max())
    # and the limits widen: fewer grid points are excluded at 95 % CL with the background in
    assert (q_histogram > 3.84).sum() < (q_signal_only > 3.84).sum()
    # what the background costs, reported beside: σ_b, the signal-only information and limits
    with h5py.File(directory / "results.h5") as file:
        assert file.attrs["sigma_background_pb"] == pytest.approx(BACKGROUND_DENSITY * 2, rel=1e-12)
        np.testing.assert_allclose(file["fisher/signal_only:histo:z/full"][()], [[signal_only]], rtol=1e-9)
        np.testing.assert_allclose(file["limits/signal_only/histo:z/q"][()], q_signal_only, rtol=1e-9, atol=1e-9)
    summary = json.loads((directory / "results.json").read_text())
    ratios = summary["background_area_ratios_68"]
    assert set(ratios) == {"rate", "histo:z"} and ratios["histo:z"] > 1
    assert not [w for w in summary["warnings"] if "no background MC event" in w], summary["warnings"]

    # the plots stack signal and background, and summary.md states S and B
    result = invoke("plot", "--results", directory / "results.h5", "--output", directory / "plots")
    assert result.exit_code == 0, result.output
    assert (directory / "plots" / "signal_and_background.png").stat().st_size > 0
    text = (directory / "plots" / "summary.md").read_text()
    signal_events = luminosity * _bin_integrals(np.array([a_true]))[0].sum()
    assert f"S = {signal_events:.4g}, B = {luminosity * BACKGROUND_DENSITY * 2:.4g} expected events" in text
    assert f"rate {ratios['rate']:.3g}, histo:z {ratios['histo:z']:.3g}." in text
    # one parameter: the ratio of the 68% interval widths
    with h5py.File(directory / "results.h5") as file:
        widths = {kind: file[f"limits/{kind}/histo:z/profile_0"][()] for kind in ("expected", "signal_only")}
    assert ratios["histo:z"] == pytest.approx(
        np.diff(summary["limits"]["expected"]["histo:z"]["intervals"]["68"]["a"])[0]
        / np.diff(summary["limits"]["signal_only"]["histo:z"]["intervals"]["68"]["a"])[0], rel=1e-9)
    assert all(len(profile) == 41 for profile in widths.values())
    # per process: σ, the distributions (stacked in the plot) and the table in summary.md
    assert summary["sigma_backgrounds_pb"] == pytest.approx(
        {name: share * BACKGROUND_DENSITY * 2 for name, share in BACKGROUND_SHARES.items()}, rel=1e-12)
    with h5py.File(directory / "results.h5") as file:
        assert json.loads(file.attrs["background_processes"]) == list(BACKGROUND_SHARES)
        per_process = file["distributions/z/backgrounds"][()]
        edges = file["distributions/z/edges"][()]
    np.testing.assert_allclose(per_process.sum(axis=1), [s * BACKGROUND_DENSITY * 2 for s in BACKGROUND_SHARES.values()],
                               rtol=1e-12)
    by_hand = np.histogram(z, edges, weights=quadrature * BACKGROUND_DENSITY)[0]
    np.testing.assert_allclose(per_process[:, :-1], np.outer(list(BACKGROUND_SHARES.values()), by_hand), rtol=1e-12,
                               atol=1e-15)
    assert f"| flat_b | {0.75 * BACKGROUND_DENSITY * 2:.4g} | {luminosity * 0.75 * BACKGROUND_DENSITY * 2:.4g} |" in text


def test_histogram_cells_that_no_background_event_reaches_are_warned_about(line_toy, tmp_path) -> None:
    """The flat background carried by two MC events, in the first and the last bin: the
    three bins between see the signal without background, and evaluate says how much of it."""
    setup = read_setup(line_toy / "setup.h5")
    z, quadrature = toys.gauss_legendre(EDGES, NODES)
    signal = quadrature[:, None] * (1 + np.outer(z, setup.benchmark_values[:, 0])) ** 2
    background = np.full((2, len(setup.benchmarks)), BACKGROUND_DENSITY)  # each event one unit of z
    with h5py.File(tmp_path / "events.h5", "w") as file:
        write_setup_sections(file, setup)
        SampleWriter(file, 1, 3, process_names=["flat"]).append(
            np.concatenate([z, [-0.7, 0.8]])[:, None], np.concatenate([signal, background]),
            np.concatenate([np.zeros(len(z), dtype=int), [-1, -1]]), np.concatenate([np.full(len(z), -1), [0, 0]]))
        write_sample_summary(file, np.array([len(z), 0, 0]), 2)
    _evaluate_rate_and_histogram(line_toy, tmp_path)
    per_bin = _bin_integrals(np.array([0.3]))[0]
    share = per_bin[1:4].sum() / per_bin.sum()
    warnings = json.loads((tmp_path / "results.json").read_text())["warnings"]
    expected = f"histo:z: {share:.0%} of the signal's cross section lies in 3 of its 6 cells that hold no background"
    assert [w for w in warnings if expected in w], warnings


def test_truth_information_with_background_is_that_of_the_mixture(line_toy, tmp_path) -> None:
    """Signal s(z|a) = (1 + a z)² and the flat background at the same Gauss-Legendre nodes
    (40 panels of 8 on [-1, 1]): events with the same observation are one observation, so
    the truth-level information from the chain's weights is the mixture's analytic
    L ∫ (∂_a s)² / (s + b) dz (relative 1e-6), and that of the signal alone L ∫ (∂_a s)² / s."""
    setup = read_setup(line_toy / "setup.h5")
    panels = np.linspace(-1.0, 1.0, 41)
    z, quadrature = toys.gauss_legendre(panels, 8)
    signal = quadrature[:, None] * (1 + np.outer(z, setup.benchmark_values[:, 0])) ** 2
    background = np.repeat((quadrature * BACKGROUND_DENSITY)[:, None], len(setup.benchmarks), axis=1)
    with h5py.File(tmp_path / "events.h5", "w") as file:
        write_setup_sections(file, setup)
        SampleWriter(file, 1, 3).append(np.concatenate([z, z])[:, None], np.concatenate([signal, background]),
                                        np.concatenate([np.zeros(len(z), dtype=int), np.full(len(z), -1)]))
        write_sample_summary(file, np.array([len(z), 0, 0]), len(z))
    config = yaml.safe_load((line_toy / "line.yml").read_text())
    config["evaluation"]["modes"] = ["rate"]
    (tmp_path / "line.yml").write_text(yaml.safe_dump(config))
    result = invoke("evaluate", "--setup", line_toy / "setup.h5", "--data", tmp_path / "events.h5", "--config",
                    tmp_path / "line.yml", "--output", tmp_path / "results.h5", "--events", "all")
    assert result.exit_code == 0, result.output
    luminosity, a = 50.0, 0.3
    mixture = luminosity * integrate.quad(
        lambda x: (2 * x * (1 + a * x)) ** 2 / ((1 + a * x) ** 2 + BACKGROUND_DENSITY), -1, 1, epsabs=0, epsrel=1e-13)[0]
    signal_alone = luminosity * 4 * 2 / 3  # ∫ 4 z² dz
    with h5py.File(tmp_path / "results.h5") as file:
        truth, truth_signal_only = file["fisher/truth/full"][()], file["fisher/signal_only:truth/full"][()]
        distribution = file["information_distribution/z/truth"][()]
    np.testing.assert_allclose(truth, [[mixture]], rtol=1e-6)
    np.testing.assert_allclose(truth_signal_only, [[signal_alone]], rtol=1e-9)
    assert mixture < 0.8 * signal_alone
    np.testing.assert_allclose(distribution.sum(axis=0), truth, rtol=1e-12)  # per bin, the same observations


def test_evaluate_refuses_a_file_without_the_backgrounds_the_config_declares(line_toy, tmp_path) -> None:
    config = yaml.safe_load((line_toy / "line.yml").read_text())
    config["backgrounds"] = [{"name": "flat", "process": "w_jets"}]
    (tmp_path / "line.yml").write_text(yaml.safe_dump(config))
    result = invoke("evaluate", "--setup", line_toy / "setup.h5", "--data", line_toy / "events.h5", "--config",
                    tmp_path / "line.yml", "--output", tmp_path / "results.h5", "--events", "all")
    assert result.exit_code != 0
    assert f"{line_toy / 'events.h5'}: holds no background events" in result.output and "flat" in result.output
    assert list(tmp_path.iterdir()) == [tmp_path / "line.yml"]


# --- through the command, with a trained SALLY model -------------------------------------------


@pytest.fixture(scope="module")
def sally_model(toy):
    config = toy / "toy.yml"
    raw = yaml.safe_load(config.read_text())
    raw["training"] = {"hidden": [32, 32], "epochs": 15, "batch_size": 256}
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    result = invoke("augment", "--input", toy / "events.h5", "--setup", toy / "setup.h5", "--config", config,
                    "--method", "sally", "--output", toy / "sally_data", "--seed", "1")
    assert result.exit_code == 0, result.output
    models = []
    for seed in (1, 2):
        result = invoke("train", "--method", "sally", "--data", toy / "sally_data", "--config", config, "--output",
                        toy / f"sally_{seed}", "--seed", seed, "--device", "cpu")
        assert result.exit_code == 0, result.output
        models.append(toy / f"sally_{seed}")
    result = invoke("augment", "--input", toy / "events.h5", "--setup", toy / "setup.h5", "--config", config,
                    "--method", "alices", "--output", toy / "alices_data", "--seed", "2")
    assert result.exit_code == 0, result.output
    result = invoke("train", "--method", "alices", "--data", toy / "alices_data", "--config", config, "--output",
                    toy / "alices", "--seed", "3", "--device", "cpu")
    assert result.exit_code == 0, result.output
    return models + [toy / "alices"]


@pytest.fixture(scope="module")
def results(toy, sally_model):
    rng = np.random.default_rng(11)
    observed = rng.uniform(-1, 1, size=(4000, 2))  # z ~ p(z|θ = 0) at L σ = 4000 events
    setup = read_setup(toy / "setup.h5")
    with h5py.File(toy / "observed.h5", "w") as file:
        write_setup_sections(file, setup)
        SampleWriter(file, 2, len(setup.benchmarks)).append(observed, np.ones((4000, 6)), np.zeros(4000, dtype=int))
    result = invoke("evaluate", "--setup", toy / "setup.h5", "--data", toy / "events.h5", "--models", *sally_model,
                    "--config", toy / "toy.yml", "--output", toy / "results.h5", "--observed", toy / "observed.h5",
                    "--device", "cpu")
    assert result.exit_code == 0, result.output
    return toy / "results.h5"


def test_sally_full_information_is_within_five_percent_of_the_truth(results) -> None:
    summary = json.loads(results.with_suffix(".json").read_text())
    truth = np.array(summary["fisher_information"]["truth"]["profiled"])
    sally = np.array(summary["fisher_information"]["sally"]["profiled"])
    np.testing.assert_allclose(truth, 16 / 3 * LUMINOSITY_FB * 1000 * np.eye(2), rtol=1e-6, atol=1e-6)
    assert np.abs(sally - truth).max() <= 0.05 * truth.max()
    assert np.array(summary["fisher_information"]["sally"]["profiled_std"]).shape == (2, 2)  # two members
    # the histograms lose information, the rate alone has none at the SM
    for name in ("histo:z1", "histo:z1,z2"):
        histogram = np.array(summary["fisher_information"][name]["profiled"])
        assert np.all(np.linalg.eigvalsh(truth - histogram) > -1e-6 * truth.max())
    assert np.abs(summary["fisher_information"]["rate"]["profiled"]).max() < 1e-9


def test_every_mode_gives_expected_and_observed_limits(results) -> None:
    summary = json.loads(results.with_suffix(".json").read_text())
    modes = {"rate", "histo:z1", "histo:z1,z2", "sally:sally", "sallino:sally", "ml:alices"}
    assert set(summary["limits"]["expected"]) == modes
    assert set(summary["limits"]["observed"]) == modes
    for mode in modes - {"rate"}:
        expected = summary["limits"]["expected"][mode]
        assert expected["best_fit"]["a"] == pytest.approx(0.0, abs=0.05), mode
        assert expected["best_fit"]["b"] == pytest.approx(0.0, abs=0.05), mode
        # ±1/√I_aa: the SM information in a is about (16/3) L for every mode but the rate
        half_width = 1 / np.sqrt(16 / 3 * LUMINOSITY_FB * 1000)
        low, high = expected["intervals"]["68"]["a"]
        # ALICES learns log r over all of θ; calibrated and exactly 0 at its reference, it peaks at the SM
        tolerance = 0.15 if mode.startswith("ml") else 0.1
        assert low == pytest.approx(-half_width, rel=tolerance), mode
        assert high == pytest.approx(half_width, rel=tolerance), mode
        observed = summary["limits"]["observed"][mode]
        assert abs(observed["best_fit"]["a"]) < 0.25, mode  # the observed events are SM-distributed
    # the rate alone: σ(θ) is even in θ, so at the SM the Asimov likelihood is flat to first order
    rate = summary["limits"]["expected"]["rate"]["intervals"]["68"]["a"]
    assert rate[1] - rate[0] > summary["limits"]["expected"]["sally:sally"]["intervals"]["68"]["a"][1]
    with h5py.File(results) as file:
        assert file["limits/expected/sally:sally/p_values"].shape == (17 * 17,)
        assert file["validation/sally/estimated"].shape == file["validation/sally/joint"].shape
        # at parton level the joint log r is the true log r: the ratio model should track it
        estimated, joint = file["validation/alices/estimated"][()], file["validation/alices/joint"][()]
        assert np.corrcoef(estimated, joint)[0, 1] > 0.8  # 15 epochs; a mispairing gives ~0
        assert len(json.loads(file["histories/sally/sally_1"][()])) > 0


def test_ratio_calibration_removes_a_bias_of_the_ratios_normalisation(monkeypatch) -> None:
    """A toy whose estimate is known to be biased: p(z|θ) = (1 + θ z)/2 on [-1, 1], events
    at θ₁ = 0 (z symmetric about 0, so their r = 1 + θ z averages to exactly 1), and an
    estimate log r̂ = log r + 2θ (a θ-dependent normalisation error). The Asimov likelihood
    at θ_true = 0.3 peaks far off with the estimate, and calibrated (r̂ divided by its mean
    under θ₁, computed block by block) it equals the true likelihood."""
    z = np.concatenate([np.linspace(-0.99, 0.99, 199), -np.linspace(-0.99, 0.99, 199)])
    thetas = np.linspace(-0.9, 0.9, 181)[:, None]
    log_r = np.log1p(thetas * z)  # (G, n)
    estimate = log_r + 2.0 * thetas

    def blocks(group, x, thetas_in, reference, batch_size):  # noqa: ANN001, ANN202 - stands in for the network
        assert np.array_equal(thetas_in, thetas)
        for first in range(0, len(thetas), 50):
            for start in range(0, len(z), 64):
                yield slice(first, first + 50), slice(start, start + 64), estimate[first:first + 50, start:start + 64]

    monkeypatch.setattr(evaluate_models, "_ensemble_log_ratios", blocks)
    counts = 1000 * (1 + 0.3 * z) / len(z)  # Asimov data at θ_true = 0.3, N = 1000
    weights = np.full(len(z), 1 / len(z))  # the events weighted at θ₁
    biased = evaluate_models.kinematic_log_likelihood(None, z[:, None], counts, thetas, np.zeros(1), 64)
    log_c = evaluate_models.log_ratio_normalisation(None, z[:, None], weights, thetas, np.zeros(1), 64)
    np.testing.assert_allclose(log_c, 2.0 * thetas[:, 0], atol=1e-12)
    calibrated = biased - counts.sum() * log_c
    np.testing.assert_allclose(calibrated, log_r @ counts, rtol=1e-12, atol=1e-9)
    one_pass = evaluate_models.kinematic_log_likelihood(None, z[:, None], counts, thetas, np.zeros(1), 64,
                                                        calibration_weights=weights)  # Asimov: the same events
    np.testing.assert_allclose(one_pass, calibrated, rtol=1e-12, atol=1e-9)
    assert thetas[np.argmax(calibrated), 0] == pytest.approx(0.3, abs=0.01)
    assert thetas[np.argmax(biased), 0] > 0.8  # uncalibrated: pushed to the grid's edge


def test_calibrated_ml_limits_through_the_command(toy, sally_model, tmp_path) -> None:
    """evaluate with calibrate_ratios divides ALICES' r̂(x|θ, sm) by its mean over the
    simulated events weighted at sm, the θ₁ it was trained against (recorded by train);
    its calibrated Asimov limits stay at the SM."""
    alices = sally_model[-1]
    settings = json.loads((alices / "settings.json").read_text())
    assert settings["denominator_theta"] == settings["estimator"]["reference"] == [0.0, 0.0]
    config = yaml.safe_load((toy / "toy.yml").read_text())
    config["evaluation"]["calibrate_ratios"] = True
    (tmp_path / "toy.yml").write_text(yaml.safe_dump(config))
    result = invoke("evaluate", "--setup", toy / "setup.h5", "--data", toy / "events.h5", "--models", alices,
                    "--config", tmp_path / "toy.yml", "--output", tmp_path / "results.h5", "--device", "cpu")
    assert result.exit_code == 0, result.output
    expected = json.loads((tmp_path / "results.json").read_text())["limits"]["expected"]["ml:alices"]
    assert expected["best_fit"]["a"] == pytest.approx(0.0, abs=0.05)
    assert expected["best_fit"]["b"] == pytest.approx(0.0, abs=0.05)


def test_calibration_needs_one_denominator() -> None:
    group = types.SimpleNamespace(method="alices", log_likelihood_output="log_r_hat", denominator=lambda ref: None)
    with pytest.raises(GoldmineError, match="alices was trained against several theta1 points"):
        evaluate_run._calibration_weights(None, group, np.zeros(2))


def test_models_of_another_setup_are_refused(toy, sally_model, tmp_path) -> None:
    settings = json.loads((sally_model[0] / "settings.json").read_text())  # the first SALLY member
    other = tmp_path / "other_model"
    other.mkdir()
    for path in sally_model[0].iterdir():
        (other / path.name).write_bytes(path.read_bytes())
    settings["observables"] = ["pt_l", "eta_l"]
    (other / "settings.json").write_text(json.dumps(settings))
    result = invoke("evaluate", "--setup", toy / "setup.h5", "--data", toy / "events.h5", "--models", other,
                    "--config", toy / "toy.yml", "--output", tmp_path / "results.h5")
    assert result.exit_code != 0
    assert "trained on a different setup" in result.output and "pt_l" in result.output
    assert not (tmp_path / "results.h5").exists()


def test_a_grid_outside_the_morphing_range_warns(toy, tmp_path, caplog) -> None:
    raw = yaml.safe_load((toy / "toy.yml").read_text())
    raw["evaluation"]["grid"] = {"a": [-2.0, 2.0, 5], "b": [-0.5, 0.5, 3]}
    raw["evaluation"]["modes"] = ["rate"]
    (tmp_path / "wide.yml").write_text(yaml.safe_dump(raw, sort_keys=False))
    with caplog.at_level(logging.WARNING, logger="goldmine"):
        result = invoke("evaluate", "--setup", toy / "setup.h5", "--data", toy / "events.h5", "--config",
                        tmp_path / "wide.yml", "--output", tmp_path / "results.h5")
    assert result.exit_code == 0, result.output
    assert "theta grid of a [-2, 2] reaches outside its range [-1, 1]" in caplog.text
    assert "reaches outside" in json.loads((tmp_path / "results.json").read_text())["warnings"][0]


def test_an_empty_test_partition_is_an_error(toy, tmp_path) -> None:
    raw = yaml.safe_load((toy / "toy.yml").read_text())
    raw["augmentation"]["test_fraction"] = 0.0
    (tmp_path / "no_test.yml").write_text(yaml.safe_dump(raw, sort_keys=False))
    result = invoke("evaluate", "--setup", toy / "setup.h5", "--data", toy / "events.h5", "--config",
                    tmp_path / "no_test.yml", "--output", tmp_path / "results.h5")
    assert result.exit_code != 0
    assert "no test partition" in result.output and "--events all" in result.output
    assert not (tmp_path / "results.h5").exists()


# --- MadGraph's parton-level W h events: the CP-odd direction needs kinematics --------------------

PARTON_OBSERVABLES = [
    {"name": "pt_l", "expression": "p_truth[0].pt"},
    {"name": "pt_h", "expression": "p_truth[2].pt"},
    {"name": "m_wh", "expression": "(p_truth[0] + p_truth[1] + p_truth[2]).m"},
    {"name": "dphi_lh", "expression": "p_truth[0].deltaphi(p_truth[2])"},
]


@pytest.mark.fixtures
def test_rate_information_is_rank_one_and_kinematics_make_it_full_rank(wh_fixtures, examples, tmp_path) -> None:
    """At the SM the CP-odd CPWL2 changes σ only at second order (∂σ/∂CPWL2 = 0), so the
    rate information is rank one along CWL2; the event kinematics (the weights themselves,
    truth level) add the CPWL2 direction."""
    config = yaml.safe_load((examples / "wh-builtin.yml").read_text())
    config.update(observables=PARTON_OBSERVABLES, cuts=[], systematics=[], backgrounds=[],
                  evaluation={"modes": ["rate"], "histograms": [{"observables": ["m_wh"], "bins": 10}]})
    (tmp_path / "wh.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    assert invoke("configure", tmp_path / "wh.yml", "--output", tmp_path / "setup.h5", "--plan",
                  tmp_path / "plan.yml").exit_code == 0
    result = invoke("observables", "--setup", tmp_path / "setup.h5", "--config", tmp_path / "wh.yml", "--input",
                    wh_fixtures / "events_sm.lhe.gz", "--sampling-benchmark", "sm", "--output", tmp_path / "sm.h5")
    assert result.exit_code == 0, result.output
    result = invoke("evaluate", "--setup", tmp_path / "setup.h5", "--data", tmp_path / "sm.h5", "--config",
                    tmp_path / "wh.yml", "--output", tmp_path / "results.h5", "--events", "all")
    assert result.exit_code == 0, result.output
    information = json.loads((tmp_path / "results.json").read_text())["fisher_information"]
    rate, truth = np.array(information["rate"]["profiled"]), np.array(information["truth"]["profiled"])
    rate_eigenvalues, truth_eigenvalues = np.linalg.eigvalsh(rate), np.linalg.eigvalsh(truth)
    assert rate_eigenvalues[0] < 1e-9 * rate_eigenvalues[1]  # rank one
    # its direction is CWL2: the CPWL2 entry is zero up to the sample's statistical noise
    assert rate[1, 1] < 1e-3 * rate[0, 0]
    assert truth_eigenvalues[0] > 0.05 * truth_eigenvalues[1]  # full rank
    assert truth[1, 1] > 100 * rate[1, 1]
    # a histogram of the CP-even m_wh sees CWL2 beyond the rate, but hardly CPWL2
    histogram = np.array(information["histo:m_wh"]["profiled"])
    assert rate[0, 0] < histogram[0, 0] <= truth[0, 0]
    assert histogram[1, 1] < 0.1 * truth[1, 1]


def test_plot_writes_every_figure_and_a_summary(results, tmp_path) -> None:
    from matplotlib import image

    output = tmp_path / "plots"
    result = invoke("plot", "--results", results, "--output", output)
    assert result.exit_code == 0, result.output
    expected = {"fisher_information", "information_over_z1", "contours_expected", "contours_observed",
                "profiles_expected", "profiles_observed", "pvalues_expected_sally_sally", "pvalues_expected_ml_alices",
                "distributions", "validation_sally", "validation_alices", "training", "morphing_weights"}
    for name in expected:
        for suffix in (".png", ".pdf"):
            assert (output / f"{name}{suffix}").stat().st_size > 10_000, name
        pixels = image.imread(output / f"{name}.png")
        assert pixels.std() > 0.05, name  # not a blank canvas
    summary = (output / "summary.md").read_text()
    assert "| truth | 5333 |" in summary and "sally:sally" in summary and "(contours_expected.png)" in summary


def test_plot_refuses_a_file_that_is_not_a_results_file(toy, tmp_path) -> None:
    result = invoke("plot", "--results", toy / "setup.h5", "--output", tmp_path / "plots")
    assert result.exit_code != 0 and "not a goldmine results file" in result.output
    assert not (tmp_path / "plots").exists()


def test_information_plot_draws_coinciding_adaptive_edges_as_empty_bins(tmp_path) -> None:
    """Equal-weight edges of a count coincide; the plot draws those bins empty instead of
    dividing σ by a zero width."""
    import types
    import warnings

    from goldmine.plotting.fisher import plot_information_distribution

    entry = {"edges": np.array([0.0, 1.0, 1.0, 2.0]), "sigma": np.array([0.2, 0.3, 0.1]),
             "truth": np.stack([np.eye(2)] * 3)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = plot_information_distribution(types.SimpleNamespace(information_distribution={"n_jets": entry}),
                                              tmp_path)
    assert paths and all(path.stat().st_size > 0 for path in paths)


def test_a_score_model_above_the_truth_bound_is_flagged() -> None:
    """No estimate of x carries more information than the joint one: a SALLY above it (its
    t̂ partly noise, as with few distinct training events) gets a warning; one below, none.
    Where the events carry true weights the exact likelihood's information is the tighter
    bound, with or without a prefix (the signal-only entries)."""
    truth = np.diag([100.0, 30.0])

    def information(name, matrix):
        return evaluate_info.Information(name, matrix, matrix, matrix)

    def check(sally, exact=None, prefix=""):
        evaluation = evaluate_run.Evaluation(np.zeros((1, 2)), (), np.zeros(2), [], 1.0, 10)
        evaluation.information = [information(f"{prefix}truth", truth), information(f"{prefix}sally", sally)]
        if exact is not None:
            evaluation.information.append(information(f"{prefix}exact", exact))
        evaluate_run._check_below_truth(evaluation, [f"{prefix}sally"], prefix)
        return evaluation.warnings

    assert check(np.diag([95.0, 29.0])) == []
    warnings = check(np.diag([90.0, 80.0]))  # 50 above the bound along CPWL2
    assert len(warnings) == 1 and "exceeds the `truth` bound by 50" in warnings[0] and "(0.00, 1.00)" in warnings[0]
    assert "the joint information" in warnings[0]
    exact = np.diag([90.0, 10.0])
    assert check(np.diag([85.0, 15.0]), exact) == []  # within a tenth of the exact's largest eigenvalue
    for prefix in ("", "signal_only:"):
        warnings = check(np.diag([85.0, 29.0]), exact, prefix)  # below the joint bound, 19 above the exact one
        assert len(warnings) == 1, warnings
        assert f"exceeds the `{prefix}exact` bound by 19" in warnings[0] and "truth-level event" in warnings[0]


def test_validation_metrics_weigh_events_as_the_learned_distribution() -> None:
    """Events outside the distribution the model learned under (weight 0 there) do not spoil
    its correlation or error; with equal weights they do."""
    from goldmine.evaluate.results import validation_metrics

    rng = np.random.default_rng(1)
    true = rng.normal(size=200)
    estimated = true.copy()
    estimated[150:] = rng.normal(size=50) * 5  # off where the model never trained
    weights = np.r_[np.ones(150), np.zeros(50)]
    columns = {"estimated": estimated, "joint": true + 1.0, "true": true, "theta": np.zeros((200, 2))}
    weighted = validation_metrics({**columns, "weights": weights})
    assert weighted["against"] == "true"
    assert weighted["correlation"] == [pytest.approx(1.0)] and weighted["mean_squared_error"] == [pytest.approx(0.0)]
    plain = validation_metrics(columns)
    assert plain["correlation"][0] < 0.6 and plain["mean_squared_error"][0] > 1.0
    assert validation_metrics({k: v for k, v in columns.items() if k != "true"})["against"] == "joint"


def test_a_likelihood_model_is_validated_by_its_ratio(toy, tmp_path) -> None:
    """NDE's log p̂(x|θ) − log p̂(x|sm) against the joint log r (here x = z, so also the true
    one): a density estimate has no joint twin, its ratio has."""
    config = yaml.safe_load((toy / "toy.yml").read_text())
    config["evaluation"]["modes"] = ["rate"]
    config["training"] = {"hidden": [16, 16], "epochs": 3, "flow_transforms": 2}
    (tmp_path / "nde.yml").write_text(yaml.safe_dump(config))
    for args in (("augment", "--input", toy / "events.h5", "--setup", toy / "setup.h5", "--method", "nde",
                  "--output", tmp_path / "nde_data", "--seed", "1"),
                 ("train", "--data", tmp_path / "nde_data", "--output", tmp_path / "nde", "--seed", "1",
                  "--device", "cpu"),
                 ("evaluate", "--setup", toy / "setup.h5", "--data", toy / "events.h5", "--models", tmp_path / "nde",
                  "--output", tmp_path / "results.h5", "--device", "cpu")):
        result = invoke(*args, "--config", tmp_path / "nde.yml")
        assert result.exit_code == 0, result.output
    with h5py.File(tmp_path / "results.h5") as file:
        estimated, joint = file["validation/nde/estimated"][()], file["validation/nde/joint"][()]
    assert estimated.shape == joint.shape and estimated.ndim == 1
    metrics = json.loads((tmp_path / "results.json").read_text())["validation"]["nde"]
    assert metrics["against"] == "joint" and metrics["correlation"][0] > 0.7


# --- models of the signal alone, and the per-θ histograms of a ratio ---------------------------


def test_ratio_histogram_mode_is_calibrated_whatever_the_ratio_estimate(line_toy, monkeypatch) -> None:
    """carl's histogram calibration: the likelihood of the per-θ histograms of log r̂(x|θ, θ₁)
    takes its expectations from the simulated events, so it depends on log r̂ only through
    the order of the events. An estimate with a θ-dependent normalisation and three times the
    slope gives the exact ratio's likelihood, which on Asimov data is 0 (a deviance) at
    θ_true = 0.3 and below it elsewhere; Σ log r̂ (the ml mode's kinematic term) with that
    estimate peaks far from θ_true."""
    from goldmine.config.loader import load_config
    from goldmine.evaluate.run import MODES, Analysis, data_sets

    setup = read_setup(line_toy / "setup.h5")
    events = load_simulated(line_toy / "events.h5", setup, line_toy / "setup.h5", events="all",
                            validation_fraction=0.0, test_fraction=0.0)
    config = load_config(line_toy / "line.yml").evaluation
    group = types.SimpleNamespace(method="alices", log_likelihood_output="log_r_hat", score_output=None,
                                  signal_only=False, nuisances=[])
    analysis = Analysis.of(setup, config, events, [group])
    (asimov,) = data_sets(analysis, None)
    grid = np.linspace(-0.9, 0.9, 37)[:, None]

    def exact(a: np.ndarray, z: np.ndarray) -> np.ndarray:  # log r(z|a, 0) of s(z|a) = (1 + a z)², σ = 2 + 2a²/3
        return np.log((1 + a * z) ** 2) - np.log((2 + 2 * a**2 / 3) / 2)

    def likelihood(estimate) -> np.ndarray:  # noqa: ANN001
        monkeypatch.setattr(evaluate_run, "log_ratio_grid", lambda group, x, thetas, reference, batch_size:
                            estimate(thetas[:, :1], x[np.newaxis, :, 0]))
        (mode,) = MODES["ratio_histo"](analysis, asimov).values()
        return mode(grid)

    calibrated = likelihood(exact)
    biased = likelihood(lambda a, z: 3 * exact(a, z) + 2 * a)
    np.testing.assert_allclose(biased, calibrated, rtol=1e-12, atol=1e-9)
    at_true = int(np.argmin(np.abs(grid[:, 0] - 0.3)))
    assert calibrated[at_true] == pytest.approx(0.0, abs=1e-9)
    assert np.all(np.delete(calibrated, at_true) < -1e-3)
    counts = asimov.counts
    summed = np.array([(3 * exact(a, events.observations[:, 0]) + 2 * a) @ counts for a in grid[:, 0]])
    assert grid[np.argmax(summed), 0] > 0.6


def test_ml_mode_refuses_a_ratio_of_the_signal_alone_among_background(line_toy, line_toy_with_background) -> None:
    from goldmine.config.loader import load_config
    from goldmine.evaluate.run import MODES, Analysis, data_sets

    setup = read_setup(line_toy / "setup.h5")
    events = load_simulated(line_toy_with_background / "events.h5", setup, line_toy / "setup.h5", events="all",
                            validation_fraction=0.0, test_fraction=0.0)
    group = types.SimpleNamespace(method="alices", log_likelihood_output="log_r_hat", score_output=None,
                                  signal_only=True, nuisances=[])
    analysis = Analysis.of(setup, load_config(line_toy / "line.yml").evaluation, events, [group])
    (asimov,) = data_sets(analysis, None)
    with pytest.raises(GoldmineError, match="alices.*learned the signal alone.*ratio_histo"):
        MODES["ml"](analysis, asimov)


def test_sally_of_the_signal_alone_among_background(line_toy, tmp_path) -> None:
    """SALLY trained on the line toy's signal alone (augmentation.processes: signal) among a
    flat background at other points: its information is the signal's own, L ∫ 4z² = 8/3 L at
    every a, within 10 % (``signal_only:sally``); with the background, that of its histogram
    filled with every event (``sally:sally``), the analytic one of its cells; validated on
    the signal's events; summary.md shows both."""
    setup = read_setup(line_toy / "setup.h5")
    z, quadrature = toys.gauss_legendre(np.linspace(-1.0, 1.0, 201), 8)
    signal = quadrature[:, None] * (1 + np.outer(z, setup.benchmark_values[:, 0])) ** 2
    background_z = z[::-1] + 1e-4  # other observations: no signal event shares a background one
    background = np.repeat((quadrature * BACKGROUND_DENSITY)[:, None], len(setup.benchmarks), axis=1)
    order = np.random.default_rng(2).permutation(2 * len(z))
    with h5py.File(tmp_path / "events.h5", "w") as file:
        write_setup_sections(file, setup)
        SampleWriter(file, 1, 3, process_names=["flat"]).append(
            np.concatenate([z, background_z])[order, None], np.concatenate([signal, background])[order],
            np.concatenate([np.zeros(len(z), dtype=int), np.full(len(z), -1)])[order],
            np.concatenate([np.full(len(z), -1), np.zeros(len(z), dtype=int)])[order])
        write_sample_summary(file, np.array([len(z), 0, 0]), len(z))
    config = yaml.safe_load((line_toy / "line.yml").read_text())
    config["augmentation"] = {"processes": "signal", "n_samples": 20_000, "validation_fraction": 0.0,
                              "test_fraction": 0.0, "local": {"theta": {"point": [0.3]}}}
    config["training"] = {"hidden": [16, 16], "epochs": 10, "batch_size": 128}
    config["evaluation"].update(modes=["sally", "sallino"], score_bins=8, histograms=[])
    (tmp_path / "line.yml").write_text(yaml.safe_dump(config))
    common = ("--setup", line_toy / "setup.h5", "--config", tmp_path / "line.yml")
    result = invoke("augment", "--input", tmp_path / "events.h5", *common, "--method", "sally", "--output",
                    tmp_path / "data", "--seed", "4")
    assert result.exit_code == 0, result.output
    result = invoke("train", "--method", "sally", "--data", tmp_path / "data", "--config", tmp_path / "line.yml",
                    "--output", tmp_path / "sally", "--seed", "4", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "sally" / "settings.json").read_text())["processes"] == "signal"
    result = invoke("evaluate", "--data", tmp_path / "events.h5", *common, "--models", tmp_path / "sally",
                    "--output", tmp_path / "results.h5", "--events", "all", "--device", "cpu")
    assert result.exit_code == 0, result.output
    luminosity = 50.0
    with h5py.File(tmp_path / "results.h5") as file:
        alone = file["fisher/signal_only:sally/full"][()][0, 0]
        assert "sally" not in file["fisher"]  # its L σ E[t̂²] over signal and background would mean nothing
        with_background, truth = file["fisher/sally:sally/full"][()][0, 0], file["fisher/truth/full"][()][0, 0]
        estimated, joint = file["validation/sally/estimated"][()], file["validation/sally/joint"][()]
    assert alone == pytest.approx(8 / 3 * luminosity, rel=0.1)
    # t̂ rises with z: its 8 cells of equal expected events are those of z, whose information
    # is L Σ_cells (∫ ∂_a s)² / ∫ (s + b), below the mixture's L ∫ (∂_a s)² / (s + b)
    a, b = 0.3, BACKGROUND_DENSITY
    total = lambda z: (1 + a * z) ** 2 + b  # noqa: E731
    cumulative = lambda z: integrate.quad(total, -1, z)[0]  # noqa: E731
    edges = [-1.0, *(optimize.brentq(lambda z, k=k: cumulative(z) - k * cumulative(1) / 8, -1, 1)
                     for k in range(1, 8)), 1.0]
    slope = lambda z: 2 * z * (1 + a * z)  # noqa: E731
    histogram = luminosity * sum(integrate.quad(slope, low, high)[0] ** 2 / integrate.quad(total, low, high)[0]
                                 for low, high in zip(edges[:-1], edges[1:]))
    mixture = luminosity * integrate.quad(lambda z: slope(z) ** 2 / total(z), -1, 1)[0]
    assert with_background == pytest.approx(histogram, rel=0.01)
    assert histogram < mixture < 0.6 * alone  # the background costs information
    assert truth == pytest.approx(8 / 3 * luminosity)  # no background event shares a signal event's z
    assert len(estimated) == len(z) and np.corrcoef(estimated[:, 0], joint[:, 0])[0, 1] > 0.99
    # without the background, its limits are the signal's: narrower
    summary = json.loads((tmp_path / "results.json").read_text())
    assert set(summary["limits"]["signal_only"]) == {"sally:sally", "sallino:sally"}
    assert summary["background_area_ratios_68"]["sally:sally"] > 1.2
    result = invoke("plot", "--results", tmp_path / "results.h5", "--output", tmp_path / "plots")
    assert result.exit_code == 0, result.output
    summary = (tmp_path / "plots" / "summary.md").read_text()
    assert f"| sally | — | {alone:.4g} |" in summary and f"| sally:sally | {with_background:.4g} | — |" in summary


def test_summary_gives_each_estimate_as_a_share_of_its_own_bounds(tmp_path) -> None:
    """summary.md's share table: an estimate's profiled diagonal over the exact and the joint
    information of its own event set (signal-only entries over the signal-only bounds)."""
    from goldmine.plotting.summary import summary_markdown

    diagonals = {"exact": [100.0, 10.0], "truth": [120.0, 40.0], "sally": [50.0, 0.005],
                 "signal_only:exact": [100.0, 8.0], "signal_only:truth": [110.0, 32.0], "signal_only:sally": [80.0, 4.0]}
    fisher_entries = {name: {"profiled": np.diag(diagonal)} for name, diagonal in diagonals.items()}
    results = types.SimpleNamespace(parameter_names=["a", "b"], summary={}, fisher=fisher_entries,
                                    path=tmp_path / "results.h5")
    summary = summary_markdown(results, [], tmp_path)
    assert "| sally | 50%, 0.05% | 42%, 0.013% |" in summary
    assert "| signal_only:sally | 80%, 50% | 73%, 12% |" in summary
    assert "| exact |" not in summary.split("### Share")[1]  # a bound is no estimate of itself
    del fisher_entries["exact"]
    assert "| sally | — | 42%, 0.013% |" in summary_markdown(results, [], tmp_path)


def test_fisher_plot_draws_the_signal_alone_in_its_own_panel() -> None:
    """With signal-only entries the ellipses of the two event sets (orders of magnitude apart
    in size) go into two panels, each entry by its name without the prefix."""
    from goldmine.plotting.fisher import fisher_panels

    entry = {"profiled": np.eye(2)}
    assert fisher_panels({"truth": entry, "sally": entry}) == {"": {"truth": entry, "sally": entry}}
    panels = fisher_panels({"truth": entry, "sally:sally": entry, "signal_only:truth": entry, "signal_only:sally": entry})
    assert panels == {"with background": {"truth": entry, "sally:sally": entry},
                      "signal alone": {"truth": entry, "sally": entry}}
