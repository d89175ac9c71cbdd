"""augment: unweighting and augmented data against a toy with a known density."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

import toys
from goldmine.augment import run as augment_run
from goldmine.augment import unweighting
from goldmine.cli import cli
from goldmine.errors import GoldmineError
from goldmine.events.partitions import split_events
from goldmine.io.setup_file import read_setup
from goldmine.methods import METHODS

BLOCKS = (70_000, 10_000, 20_000)  # train, validation, test: fractions 0.1 and 0.2 of 100k
RATIO = {"theta0": {"random": {"n": 40, "prior": {"a": {"flat": [-0.9, 0.9]}, "b": {"gaussian": [0.0, 0.4]}}}},
         "theta1": {"benchmark": "sm"}}
AUGMENTATION = {
    "n_samples": 40_000,
    "n_test_samples": 5_000,
    "local": {"theta": {"point": [0.6, -0.4]}},
    "ratio": RATIO,
    "more_ratios": {"theta0": {"random": {"n": 30}}, "theta1": {"random": {"n": 30}}},
    "density": {"theta": {"grid": {"a": [-0.8, 0.8, 5], "b": [-0.8, 0.8, 4]}}},
    "test": {"theta": {"benchmarks": ["a_pos", "mixed"]}},
}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    directory = tmp_path_factory.mktemp("toy")
    config = toys.write_config(directory / "toy.yml", **AUGMENTATION)
    result = CliRunner().invoke(
        cli, ["configure", str(config), "--output", str(directory / "setup.h5"), "--plan", str(directory / "plan.yml")]
    )
    assert result.exit_code == 0, result.output
    setup = read_setup(directory / "setup.h5")
    ids = np.tile([0, 1], sum(BLOCKS) // 2)  # half the events "sampled at" sm, half at a_pos
    toys.write_events(directory / "events.h5", setup, BLOCKS, np.random.default_rng(1), sampling_ids=ids)
    return directory


def run_augment(toy, method, output, *extra, config=None):
    args = ["augment", "--input", str(toy / "events.h5"), "--setup", str(toy / "setup.h5"),
            "--config", str(config or toy / "toy.yml"), "--method", method, "--output", str(output), *extra]
    return CliRunner().invoke(cli, args)


@pytest.fixture(scope="module")
def outputs(toy, tmp_path_factory):
    directory = tmp_path_factory.mktemp("augmented")
    for method in ("sally", "alices", "rascal2", "nde", "test"):
        result = run_augment(toy, method, directory / method, "--seed", "5", "--chunk-size", "7000")
        assert result.exit_code == 0, result.output
    return directory


def resampled_ks(samples: np.ndarray, cdf, n_effective_pool: float) -> float:
    """KS p-value for draws (with replacement) from a finite weighted pool of events:
    the statistic fluctuates with 1/n = 1/n_draws + 1/n_eff(pool)."""
    statistic = stats.kstest(samples, cdf).statistic
    n = 1.0 / (1.0 / len(samples) + 1.0 / n_effective_pool)
    return float(stats.kstwo.sf(statistic, int(n)))


def n_effective(outputs, method, partition="train"):
    return json.loads((outputs / method / "augment.json").read_text())["partitions"][partition]["n_effective"]


def load(outputs, method, partition="train"):
    return {path.name.removesuffix(f"_{partition}.npy"): np.load(path)
            for path in (outputs / method).glob(f"*_{partition}.npy")}


def test_local_samples_follow_the_density(outputs) -> None:
    data = load(outputs, "sally")
    theta = np.array([0.6, -0.4])
    assert set(data) == {"x", "theta", "t_xz"}
    assert data["x"].shape == (40_000, 3) and data["t_xz"].shape == (40_000, 2)
    np.testing.assert_array_equal(data["theta"], np.tile(theta, (40_000, 1)))
    pool = n_effective(outputs, "sally")[0]
    assert resampled_ks(data["x"][:, 0], lambda z1: toys.marginal_cdf(z1, theta), pool) > 1e-3
    # and not the density at another point
    assert stats.kstest(data["x"][:, 0], lambda z1: toys.marginal_cdf(z1, np.array([-0.6, 0.0]))).pvalue < 1e-6


def test_joint_score_is_exact_and_has_zero_mean(outputs) -> None:
    data = load(outputs, "sally")
    z, theta, t_xz = data["x"][:, :2], data["theta"], data["t_xz"]
    np.testing.assert_allclose(t_xz, toys.score(z, theta), rtol=1e-6, atol=1e-9)
    error = t_xz.std(axis=0) / np.sqrt(len(t_xz))
    assert np.all(np.abs(t_xz.mean(axis=0)) < 4 * error)


def test_ratio_data_is_exact(outputs) -> None:
    data = load(outputs, "alices")
    assert set(data) == {"x", "theta0", "theta1", "y", "r_xz", "t_xz0", "t_xz1"}
    z = data["x"][:, :2]
    truth = np.exp(toys.log_p(z, data["theta0"]) - toys.log_p(z, data["theta1"]))
    np.testing.assert_allclose(data["r_xz"], truth, rtol=1e-6)
    np.testing.assert_allclose(data["t_xz0"], toys.score(z, data["theta0"]), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(data["t_xz1"], toys.score(z, data["theta1"]), rtol=1e-6, atol=1e-9)
    assert np.sum(data["y"] == 0) == np.sum(data["y"] == 1) == 20_000
    np.testing.assert_array_equal(data["theta1"], 0.0)
    assert len(np.unique(data["theta0"], axis=0)) == 40
    assert np.all(np.abs(data["theta0"][:, 0]) <= 0.9)


def test_joint_ratio_has_unit_mean_under_the_denominator(outputs) -> None:
    data = load(outputs, "alices")
    r_denominator = data["r_xz"][data["y"] == 1]
    assert abs(r_denominator.mean() - 1.0) < 4 * r_denominator.std() / np.sqrt(len(r_denominator))
    # and 1/r has unit mean under the numerator
    inverse = 1.0 / data["r_xz"][data["y"] == 0]
    assert abs(inverse.mean() - 1.0) < 4 * inverse.std() / np.sqrt(len(inverse))


def test_y_labels_match_where_events_were_drawn(outputs) -> None:
    data = load(outputs, "alices")
    z, y = data["x"][:, :2], data["y"]
    theta1 = np.zeros(2)
    # under θ1 = SM, z1 is symmetric; draws at θ0 are skewed by their mean a
    numerator = y == 0
    mean_a = data["theta0"][numerator, 0].mean()
    expected = 2.0 * mean_a / 9.0  # E[z1|a, b] ≈ (2a/3)/(1 + ...) / 3 for small b
    assert abs(z[~numerator, 0].mean()) < 4 * z[~numerator, 0].std() / np.sqrt(np.sum(~numerator))
    assert np.sign(z[numerator, 0].mean()) == np.sign(expected) or abs(mean_a) < 0.02
    np.testing.assert_array_equal(data["theta1"], np.tile(theta1, (len(y), 1)))


def test_doubly_parameterized_and_density_samplers(outputs) -> None:
    data = load(outputs, "rascal2")
    z = data["x"][:, :2]
    assert len(np.unique(data["theta1"], axis=0)) == 30 and len(np.unique(data["theta0"], axis=0)) == 30
    truth = np.exp(toys.log_p(z, data["theta0"]) - toys.log_p(z, data["theta1"]))
    np.testing.assert_allclose(data["r_xz"], truth, rtol=1e-6)
    density = load(outputs, "nde")
    assert len(np.unique(density["theta"], axis=0)) == 20  # the 5 x 4 grid
    np.testing.assert_allclose(density["t_xz"], toys.score(density["x"][:, :2], density["theta"]), rtol=1e-6, atol=1e-9)


def test_partitions_never_share_events(outputs) -> None:
    index = {
        ("sally", "train"): load(outputs, "sally")["x"][:, 2],
        ("sally", "validation"): load(outputs, "sally", "validation")["x"][:, 2],
        ("test", "test"): load(outputs, "test", "test")["x"][:, 2],
    }
    assert index["sally", "train"].min() >= 0 and index["sally", "train"].max() < 70_000
    assert 70_000 <= index["sally", "validation"].min() and index["sally", "validation"].max() < 80_000
    assert index["test", "test"].min() >= 80_000
    assert not (outputs / "test" / "x_train.npy").exists()
    assert not (outputs / "sally" / "x_test.npy").exists()
    assert len(index["sally", "validation"]) == round(40_000 * 10_000 / 70_000)


def test_summary_describes_the_outputs(outputs, toy) -> None:
    summary = json.loads((outputs / "alices" / "augment.json").read_text())
    assert summary["method"] == "alices" and summary["sampler"] == "ratio"
    train = summary["partitions"]["train"]
    assert train["events"] == [0, 70_000] and train["n_rows"] == 40_000 and train["n_thetas"] == 41
    assert train["files"]["r_xz_train.npy"] == [40_000]
    thetas = np.array(train["thetas"])
    np.testing.assert_allclose(train["sigma_pb"], toys.sigma(thetas), rtol=1e-12)
    assert min(train["n_effective"]) > 10_000
    assert train["distinct_events"] == len(np.unique(load(outputs, "alices")["x"][:, 2]))  # x[:, 2]: event index
    assert 10_000 < train["distinct_events"] < 40_000
    assert summary["provenance"]["seeds"] == {"seed": 5}
    assert str(toy / "events.h5") in summary["provenance"]["inputs"]


def test_same_seed_same_bytes_other_seed_other_data(toy, tmp_path) -> None:
    for name, seed in (("a", "9"), ("b", "9"), ("c", "10")):
        assert run_augment(toy, "alices", tmp_path / name, "--seed", seed).exit_code == 0
    for path in (tmp_path / "a").glob("*.npy"):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    assert not np.array_equal(np.load(tmp_path / "a" / "x_train.npy"), np.load(tmp_path / "c" / "x_train.npy"))


def test_methods_of_one_sampler_draw_the_same_rows_from_one_seed(toy, tmp_path) -> None:
    """What lets the workflow compare ALICES, RASCAL and CARL on equal data (one augment seed
    per sampler, goldmine.workflow.plan.augment_seed): the rows depend on the sampler, not
    the method."""
    for method in ("alices", "carl"):
        assert run_augment(toy, method, tmp_path / method, "--seed", "9").exit_code == 0
    arrays = sorted(path.name for path in (tmp_path / "alices").glob("*.npy"))
    assert arrays == sorted(path.name for path in (tmp_path / "carl").glob("*.npy")) and "r_xz_train.npy" in arrays
    for name in arrays:
        assert (tmp_path / "alices" / name).read_bytes() == (tmp_path / "carl" / name).read_bytes(), name


def test_many_chunks_and_theta_blocks(toy, tmp_path, monkeypatch) -> None:
    """Tiny chunks and θ blocks exercise the streaming paths; the physics must not change."""
    monkeypatch.setattr(unweighting, "BLOCK_ELEMENTS", 3_000)
    assert run_augment(toy, "alices", tmp_path / "small", "--chunk-size", "997").exit_code == 0
    data = load(tmp_path, "small")
    z = data["x"][:, :2]
    truth = np.exp(toys.log_p(z, data["theta0"]) - toys.log_p(z, data["theta1"]))
    np.testing.assert_allclose(data["r_xz"], truth, rtol=1e-6)
    sm_rows = data["y"] == 1
    pool = n_effective(tmp_path, "small")[-1]  # the last θ drawn at is θ1 = SM
    assert resampled_ks(z[sm_rows, 0], lambda z1: toys.marginal_cdf(z1, np.array([1e-9, 0.0])), pool) > 1e-3


def test_sample_only_from_closest_benchmark(toy, tmp_path) -> None:
    config = toys.write_config(tmp_path / "closest.yml", **{**AUGMENTATION, "sample_only_from_closest_benchmark": True,
                                                            "local": {"theta": {"point": [0.9, 0.1]}}})
    assert run_augment(toy, "sally", tmp_path / "out", config=config).exit_code == 0
    index = np.load(tmp_path / "out" / "x_train.npy")[:, 2].astype(int)
    assert np.all(index % 2 == 1), "only events sampled at a_pos (odd indices) may be drawn near it"
    z = np.load(tmp_path / "out" / "x_train.npy")[:, :2]
    pool = n_effective(tmp_path, "out")[0]
    assert pool < 35_000, "n_eff counts only the eligible half of the events"
    assert resampled_ks(z[:, 0], lambda z1: toys.marginal_cdf(z1, np.array([0.9, 0.1])), pool) > 1e-3


@pytest.fixture(scope="module")
def weighted(toy, tmp_path_factory):
    directory = tmp_path_factory.mktemp("weighted")
    config = toys.write_config(directory / "weighted.yml", **{**AUGMENTATION, "score_rows": "weighted"})
    result = run_augment(toy, "sally", directory / "out", "--chunk-size", "7000", config=config)
    assert result.exit_code == 0, result.output
    return directory


def test_weighted_rows_hold_every_event_once_with_its_weight(weighted) -> None:
    summary = json.loads((weighted / "out" / "augment.json").read_text())
    assert summary["columns"] == ["x", "theta", "t_xz", "weight"]
    for partition, (start, stop) in summary["all_partitions"].items():
        if partition == "test":
            assert not (weighted / "out" / "x_test.npy").exists()
            continue
        data = load(weighted, "out", partition)
        np.testing.assert_array_equal(np.sort(data["x"][:, 2]), np.arange(start, stop))
        assert summary["partitions"][partition]["n_rows"] == stop - start
        np.testing.assert_allclose(data["weight"].mean(), 1.0, rtol=1e-12)
        np.testing.assert_allclose(data["t_xz"], toys.score(data["x"][:, :2], data["theta"]), rtol=1e-6, atol=1e-9)


def test_weighted_rows_follow_the_density(weighted) -> None:
    """Under p(x|θ) the CDF value u = F(z1) is uniform: its weighted mean is 1/2 and the
    weighted mean of the joint score is 0, within the errors of n_eff events."""
    data = load(weighted, "out")
    weight, n_eff = data["weight"], n_effective(weighted, "out")[0]
    u = toys.marginal_cdf(data["x"][:, 0], np.array([0.6, -0.4]))
    assert abs(np.average(u, weights=weight) - 0.5) < 4 * np.sqrt(1 / 12 / n_eff)
    other = toys.marginal_cdf(data["x"][:, 0], np.array([-0.6, 0.0]))
    assert abs(np.average(other, weights=weight) - 0.5) > 20 * np.sqrt(1 / 12 / n_eff)
    error = np.sqrt(np.average(data["t_xz"] ** 2, axis=0, weights=weight) / n_eff)
    assert np.all(np.abs(np.average(data["t_xz"], axis=0, weights=weight)) < 4 * error)


def test_weighted_rows_are_for_the_local_sampler_alone(toy, weighted, tmp_path) -> None:
    config = weighted / "weighted.yml"
    assert run_augment(toy, "alices", tmp_path / "alices", config=config).exit_code == 0
    assert not (tmp_path / "alices" / "weight_train.npy").exists(), "the ratio samplers still draw"
    closest = toys.write_config(tmp_path / "closest.yml", **{**AUGMENTATION, "score_rows": "weighted",
                                                             "sample_only_from_closest_benchmark": True})
    result = run_augment(toy, "sally", tmp_path / "closest", config=closest)
    assert result.exit_code != 0 and "sample_only_from_closest_benchmark" in result.output
    assert not (tmp_path / "closest").exists()


def test_weight_cap_changes_only_the_drawing(toy, tmp_path) -> None:
    config = toys.write_config(tmp_path / "cap.yml", **{**AUGMENTATION, "max_weight_ratio": 1.5})
    assert run_augment(toy, "sally", tmp_path / "out", config=config).exit_code == 0
    data = load(tmp_path, "out")
    np.testing.assert_allclose(data["t_xz"], toys.score(data["x"][:, :2], data["theta"]), rtol=1e-6, atol=1e-9)
    # capped at 1.5x the mean weight, the drawn density is flatter than p(x|θ)
    assert stats.kstest(data["x"][:, 0], lambda z1: toys.marginal_cdf(z1, np.array([0.6, -0.4]))).pvalue < 1e-3


def test_every_method_has_a_sampler() -> None:
    for name in ("sally", "sallino", "carl", "rolr", "alice", "alices", "cascal", "rascal", "nde", "scandal",
                 "alices2", "rascal2", "test", "plain"):
        assert name in METHODS and METHODS[name].sampler


# Bad input


def test_unknown_method(toy, tmp_path) -> None:
    result = run_augment(toy, "sallyy", tmp_path / "out")
    assert result.exit_code == 2 and "'sallyy' is not one of" in result.output
    assert not (tmp_path / "out").exists()


def test_theta_outside_the_range_warns_with_the_distance(toy, tmp_path, caplog) -> None:
    config = toys.write_config(tmp_path / "far.yml", **{**AUGMENTATION, "local": {"theta": {"point": [1.5, 0.0]}}})
    with caplog.at_level(logging.WARNING, logger="goldmine.thetas"):
        result = run_augment(toy, "sally", tmp_path / "out", config=config)
    assert result.exit_code == 0, result.output
    assert "1 of 1 points have a outside its range [-1, 1]; the farthest, a = 1.5, is 0.5 above it" in caplog.text


def test_rows_that_repeat_few_events_are_warned_about(toy, tmp_path, caplog, monkeypatch) -> None:
    """40,000 rows drawn (with replacement, by weight) from 70,000 events repeat about
    30,000: with the threshold at one row per event the warning names the counts."""
    monkeypatch.setattr(augment_run, "REPEATS_WARNED", 1.0)
    with caplog.at_level(logging.WARNING, logger="goldmine.augment.run"):
        assert run_augment(toy, "sally", tmp_path / "out").exit_code == 0
    summary = json.loads((tmp_path / "out" / "augment.json").read_text())["partitions"]["train"]
    assert f"40000 rows repeat {summary['distinct_events']} distinct events" in caplog.text
    caplog.clear()
    monkeypatch.setattr(augment_run, "REPEATS_WARNED", 10.0)
    with caplog.at_level(logging.WARNING, logger="goldmine.augment.run"):
        assert run_augment(toy, "sally", tmp_path / "again").exit_code == 0
    assert "distinct events" not in caplog.text


def test_partition_without_events(toy, tmp_path) -> None:
    config = toys.write_config(tmp_path / "tiny.yml", **{**AUGMENTATION, "validation_fraction": 1e-6})
    result = run_augment(toy, "sally", tmp_path / "out", config=config)
    assert result.exit_code == 1
    assert "the validation partition has no events (1e-06 of 100000 events)" in result.output
    assert list(tmp_path.iterdir()) == [config]
    with pytest.raises(GoldmineError, match="test partition has no events"):
        split_events(10, 0.1, 0.01)


def test_nan_weight_is_named(toy, tmp_path) -> None:
    import shutil

    import h5py

    events = tmp_path / "events.h5"
    shutil.copy(toy / "events.h5", events)
    with h5py.File(events, "r+") as file:
        file["samples/weights"][1234, 3] = np.nan
    args = ["augment", "--input", str(events), "--setup", str(toy / "setup.h5"), "--config", str(toy / "toy.yml"),
            "--method", "sally", "--output", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert f"{events}: event 1234 has a non-finite weight (nan) for benchmark 3" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.h5"]


def test_existing_output_is_not_overwritten(toy, tmp_path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    result = run_augment(toy, "sally", tmp_path / "out")
    assert result.exit_code == 1 and "output directory exists and is not empty" in result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_events_from_another_setup(toy, tmp_path) -> None:
    config = toys.toy_config()
    config["parameters"][1]["range"] = [-2.0, 2.0]
    path = tmp_path / "other.yml"
    import yaml

    path.write_text(yaml.safe_dump(config))
    assert CliRunner().invoke(cli, ["configure", str(path), "--output", str(tmp_path / "other.h5"),
                                    "--plan", str(tmp_path / "p.yml")]).exit_code == 0
    args = ["augment", "--input", str(toy / "events.h5"), "--setup", str(tmp_path / "other.h5"),
            "--config", str(path), "--method", "sally", "--output", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "was not made with the setup" in result.output
    assert "parameter ranges differ" in result.output


def test_mismatched_theta_counts(toy, tmp_path) -> None:
    config = toys.write_config(tmp_path / "pairs.yml", **{**AUGMENTATION, "more_ratios": {
        "theta0": {"random": {"n": 3}}, "theta1": {"random": {"n": 4}}}})
    result = run_augment(toy, "alices2", tmp_path / "out", config=config)
    assert result.exit_code == 1 and "theta0 has 3 points and theta1 4" in result.output
    assert not (tmp_path / "out").exists()


SIGMA_BACKGROUND = 2.0  # pb, the same at every benchmark


@pytest.fixture(scope="module")
def with_background(toy, tmp_path_factory):
    """The toy's signal and background events (sampling benchmark -1, σ_b = 2 pb at every
    benchmark, marked by z1 = 5): per partition (train, validation, test: 0.7, 0.1, 0.2 of
    60k) a moment-exact signal block and half as many background events, shuffled within
    the partition: each partition's σ(θ) and ∇σ(θ) are the exact ones."""
    import h5py

    from goldmine.io.samples import SampleWriter, write_sample_summary
    from goldmine.io.setup_file import write_setup_sections

    setup = read_setup(toy / "setup.h5")
    rng = np.random.default_rng(6)
    rows, weights, ids = [], [], []
    for n_signal in (28_000, 4_000, 8_000):
        n_background = n_signal // 2
        z, v = toys._block(n_signal, rng)
        background_z = np.column_stack([np.full(n_background, 5.0), rng.uniform(-1, 1, n_background)])
        order = rng.permutation(n_signal + n_background)
        rows.append(np.concatenate([z, background_z])[order])
        weights.append(np.concatenate([v[:, None] * (1.0 + z @ setup.benchmark_values.T) ** 2 * 4.0 / 40_000,
                                       np.full((n_background, len(setup.benchmarks)), SIGMA_BACKGROUND / 20_000)])[order])
        ids.append(np.concatenate([np.zeros(n_signal, dtype=int), np.full(n_background, -1)])[order])
    observations = np.concatenate(rows)
    observations = np.column_stack([observations, np.arange(len(observations))])
    path = tmp_path_factory.mktemp("with_background") / "events.h5"
    with h5py.File(path, "w") as file:
        write_setup_sections(file, setup)
        SampleWriter(file, 3, len(setup.benchmarks)).append(observations, np.concatenate(weights), np.concatenate(ids))
        write_sample_summary(file, np.eye(len(setup.benchmarks), dtype=int)[0] * 40_000, 20_000)
    return path


def test_background_events_carry_flat_joint_terms_into_every_draw(toy, with_background, tmp_path) -> None:
    """p(x,z|θ) = dσ_b / σ(θ) for background events, σ = σ_s + σ_b: their joint score is
    −∇σ/σ and their joint ratio r(x,z|θ0,θ1) = σ(θ1)/σ(θ0), the mixture's normalisation
    alone; and they make up σ_b / σ(θ) of the rows drawn at θ (they belong to every draw)."""
    sigma_background = SIGMA_BACKGROUND
    config = toy / "toy.yml"
    for method in ("sally", "alices"):
        result = CliRunner().invoke(cli, ["augment", "--input", str(with_background), "--setup",
                                          str(toy / "setup.h5"), "--config", str(config), "--method", method,
                                          "--output", str(tmp_path / method), "--seed", "3"])
        assert result.exit_code == 0, result.output

    def sigma(theta):  # the toy's σ_s = 4 (1 + |θ|²/3) plus the background's
        return toys.sigma(theta) + sigma_background

    x = np.load(tmp_path / "sally" / "x_train.npy")
    is_background = x[:, 0] == 5.0
    theta = np.array(AUGMENTATION["local"]["theta"]["point"])
    np.testing.assert_allclose(np.load(tmp_path / "sally" / "t_xz_train.npy")[is_background],
                               np.broadcast_to(-8 * theta / 3 / sigma(theta), (is_background.sum(), 2)), rtol=1e-9)
    share = sigma_background / sigma(theta)
    assert abs(is_background.mean() - share) < 4 * np.sqrt(share * (1 - share) / len(x))

    x = np.load(tmp_path / "alices" / "x_train.npy")
    is_background = x[:, 0] == 5.0
    theta0, y = np.load(tmp_path / "alices" / "theta0_train.npy"), np.load(tmp_path / "alices" / "y_train.npy")
    theta1 = np.load(tmp_path / "alices" / "theta1_train.npy")
    np.testing.assert_allclose(np.load(tmp_path / "alices" / "r_xz_train.npy")[is_background],
                               sigma(theta1[is_background]) / sigma(theta0[is_background]), rtol=1e-9)
    np.testing.assert_allclose(np.load(tmp_path / "alices" / "t_xz0_train.npy")[is_background],
                               -8 * theta0[is_background] / 3 / sigma(theta0[is_background])[:, None], rtol=1e-9,
                               atol=1e-12)
    drawn_at_theta0 = y == 0
    expected = sigma_background / sigma(theta0[drawn_at_theta0])
    observed = is_background[drawn_at_theta0]
    assert abs(observed.mean() - expected.mean()) < 4 * np.sqrt(np.mean(expected * (1 - expected)) / observed.size)


def test_signal_alone_draws_no_background_and_learns_the_signal_density(toy, with_background, tmp_path) -> None:
    """With augmentation.processes: signal, the rows come from the signal's events alone and
    carry the signal's own joint terms (σ_s, not σ_s + σ_b, normalises them): SALLY's rows
    follow p_s(x|θ) with the toy's exact score, ALICES' ratios are the toy's."""
    config = toys.write_config(tmp_path / "signal.yml", **AUGMENTATION, processes="signal")
    # on events without background, the signal alone is all there is: the same rows
    for name, chosen in (("signal", config), ("all", None)):
        result = run_augment(toy, "sally", tmp_path / f"sally_{name}", "--seed", "3", config=chosen)
        assert result.exit_code == 0, result.output
    for column in ("x", "t_xz"):
        np.testing.assert_array_equal(np.load(tmp_path / "sally_signal" / f"{column}_train.npy"),
                                      np.load(tmp_path / "sally_all" / f"{column}_train.npy"))
    for method in ("sally", "alices"):
        result = CliRunner().invoke(cli, ["augment", "--input", str(with_background), "--setup", str(toy / "setup.h5"),
                                          "--config", str(config), "--method", method, "--output",
                                          str(tmp_path / f"{method}_bg"), "--seed", "3"])
        assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "sally_bg" / "augment.json").read_text())
    assert summary["processes"] == "signal"
    sally = {name: np.load(tmp_path / "sally_bg" / f"{name}_train.npy") for name in ("x", "theta", "t_xz")}
    assert not np.any(sally["x"][:, 0] == 5.0)
    z, theta = sally["x"][:, :2], sally["theta"]
    np.testing.assert_allclose(sally["t_xz"], toys.score(z, theta), rtol=1e-6, atol=1e-9)
    n_eff = summary["partitions"]["train"]["n_effective"][0]
    assert resampled_ks(z[:, 0], lambda z1: toys.marginal_cdf(z1, theta[0]), n_eff) > 1e-3
    np.testing.assert_allclose(summary["partitions"]["train"]["sigma_pb"][0], toys.sigma(theta[0]), rtol=1e-9)
    alices = {name: np.load(tmp_path / "alices_bg" / f"{name}_train.npy") for name in ("x", "theta0", "theta1", "r_xz")}
    assert not np.any(alices["x"][:, 0] == 5.0)
    truth = np.exp(toys.log_p(alices["x"][:, :2], alices["theta0"]) - toys.log_p(alices["x"][:, :2], alices["theta1"]))
    np.testing.assert_allclose(alices["r_xz"], truth, rtol=1e-6)
    # weighted rows: every signal event of the partition once, none of the background's
    config = toys.write_config(tmp_path / "weighted.yml", **AUGMENTATION, processes="signal", score_rows="weighted")
    result = CliRunner().invoke(cli, ["augment", "--input", str(with_background), "--setup", str(toy / "setup.h5"),
                                      "--config", str(config), "--method", "sally", "--output",
                                      str(tmp_path / "weighted"), "--seed", "3"])
    assert result.exit_code == 0, result.output
    x, weight = (np.load(tmp_path / "weighted" / f"{name}_train.npy") for name in ("x", "weight"))
    assert len(x) == 28_000 and not np.any(x[:, 0] == 5.0)
    assert len(np.unique(x[:, 2])) == 28_000  # the index column: each event once
    assert weight.mean() == pytest.approx(1.0)
