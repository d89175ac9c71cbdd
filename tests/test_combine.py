"""combine: every event exactly once, shuffled, weights scaled by each file's share of its sampling benchmark."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import toys
from goldmine.cli import cli
from goldmine.errors import InputFileError
from goldmine.io.provenance import Provenance, file_sha256
from goldmine.io.samples import (
    BACKGROUND_ATTRIBUTE,
    SampleWriter,
    background_processes,
    iter_samples,
    mixture_factors,
    sampling_shares,
    write_sample_summary,
)
from goldmine.io.setup_file import read_setup, write_setup_sections


@pytest.fixture(scope="module")
def job_files(tmp_path_factory):
    """Three generation jobs' event files of the toy setup: 3000, 1000 and 2000 events,
    each with weights summing to its own estimate of σ, the third sampled at a_pos."""
    directory = tmp_path_factory.mktemp("jobs")
    config = toys.write_config(directory / "toy.yml")
    assert CliRunner().invoke(cli, ["configure", str(config), "--output", str(directory / "setup.h5"),
                                    "--plan", str(directory / "plan.yml")]).exit_code == 0
    setup = read_setup(directory / "setup.h5")
    rng = np.random.default_rng(3)
    paths, first_index = [], 0
    for job, (n_events, sampled_at) in enumerate(((3000, 0), (1000, 0), (2000, 1))):
        z = rng.uniform(-1, 1, size=(n_events, 2))
        weights = (1.0 + z @ setup.benchmark_values.T) ** 2 * 4.0 / n_events
        observations = np.column_stack([z, first_index + np.arange(n_events)])  # a global event id
        path = directory / f"job{job}.h5"
        with h5py.File(path, "w") as file:
            write_setup_sections(file, setup)
            SampleWriter(file, 3, len(setup.benchmarks)).append(observations, weights, np.full(n_events, sampled_at))
            write_sample_summary(file, np.eye(len(setup.benchmarks), dtype=int)[sampled_at] * n_events, 0)
        paths.append(path)
        first_index += n_events
    return directory, paths


def _read(path):
    chunks = list(iter_samples(path))
    return (np.concatenate([c.observations for c in chunks]), np.concatenate([c.weights for c in chunks]),
            np.concatenate([c.sampling_benchmarks for c in chunks]))


def test_every_event_once_in_a_shuffled_order(job_files, tmp_path) -> None:
    directory, paths = job_files
    result = CliRunner().invoke(cli, ["combine", "--output", str(tmp_path / "combined.h5"), "--seed", "4",
                                      "--bucket-events", "700", *map(str, paths)])
    assert result.exit_code == 0, result.output
    observations, weights, sampling = _read(tmp_path / "combined.h5")
    ids = observations[:, 2].astype(int)
    assert sorted(ids.tolist()) == list(range(6000))
    assert not np.array_equal(ids, np.arange(6000)), "events must be shuffled"
    # events of each job are spread over the whole file, not in blocks
    assert abs(np.mean(np.flatnonzero(ids < 3000)) - 3000) < 150
    # weights scaled by the job's share of the events sampled at its benchmark (MadMiner's
    # convention: the events of one sampling benchmark sum to σ); sampling benchmarks kept
    originals = np.concatenate([_read(p)[1] for p in paths])
    shares = np.repeat([3000 / 4000, 1000 / 4000, 2000 / 2000], [3000, 1000, 2000])
    np.testing.assert_allclose(weights, (originals * shares[:, None])[ids])
    np.testing.assert_array_equal(sampling, (ids >= 4000).astype(int))
    setup = read_setup(directory / "setup.h5")
    with h5py.File(tmp_path / "combined.h5") as file:
        assert file["sample_summary/signal_events"][()].tolist() == [4000, 2000] + [0] * (len(setup.benchmarks) - 2)
        assert file["sample_summary/background_events"][()] == 0
        np.testing.assert_allclose(file["goldmine/k_factors"][:, :2], [[0.75, 0], [0.25, 0], [0, 1]])
        provenance = Provenance.from_h5(file)
    assert provenance.inputs == {str(p): file_sha256(p) for p in paths}
    assert read_setup(tmp_path / "combined.h5").first_mismatch(read_setup(directory / "setup.h5")) is None
    # each sampling benchmark's events estimate σ, and so does the file read as a mixture
    for sampled_at in (0, 1):
        np.testing.assert_allclose(weights[sampling == sampled_at].sum(axis=0), toys.sigma(setup.benchmark_values),
                                   rtol=0.06)
    mixture = mixture_factors(sampling, sampling_shares(tmp_path / "combined.h5", len(setup.benchmarks)))
    np.testing.assert_allclose(mixture[sampling == 0], 4000 / 6000)
    np.testing.assert_allclose(mixture[sampling == 1], 2000 / 6000)
    np.testing.assert_allclose((weights * mixture[:, None]).sum(axis=0), toys.sigma(setup.benchmark_values), rtol=0.05)


def test_background_events_share_one_background_sum(job_files, tmp_path) -> None:
    """Background events (sampling benchmark -1) of several inputs are scaled by their share
    of all background events, signal events by their share at their benchmark."""
    directory, paths = job_files
    setup = read_setup(directory / "setup.h5")
    inputs = []
    for name, (n_signal, n_background) in {"a": (10, 30), "b": (30, 10)}.items():
        ids = np.array([0] * n_signal + [-1] * n_background)
        path = tmp_path / f"{name}.h5"
        with h5py.File(path, "w") as file:
            write_setup_sections(file, setup)
            SampleWriter(file, 3, len(setup.benchmarks)).append(np.zeros((len(ids), 3)), np.ones((len(ids), 6)), ids)
            write_sample_summary(file, np.eye(6, dtype=int)[0] * n_signal, n_background)
        inputs.append(path)
    result = CliRunner().invoke(cli, ["combine", "--output", str(tmp_path / "c.h5"), *map(str, inputs)])
    assert result.exit_code == 0, result.output
    _, weights, sampling = _read(tmp_path / "c.h5")
    # a: 10 of 40 signal, 30 of 40 background events; b: the reverse
    assert sorted(np.unique(weights[sampling == 0, 0]).tolist()) == [0.25, 0.75]
    assert sorted(np.unique(weights[sampling == -1, 0]).tolist()) == [0.25, 0.75]
    np.testing.assert_allclose(weights[sampling == 0].sum(axis=0), 10 * 0.25 + 30 * 0.75)
    with h5py.File(tmp_path / "c.h5") as file:
        assert file["sample_summary/signal_events"][0] == 40 and file["sample_summary/background_events"][()] == 40


def _background_file(path, setup, process: str | None, n_events: int, sigma: float):
    """A file of ``n_events`` background events (sampling benchmark -1) whose weights sum to
    ``sigma`` in every column, marked as ``process`` as `observables --background` marks
    them (None: unmarked, as another tool's)."""
    with h5py.File(path, "w") as file:
        write_setup_sections(file, setup)
        weights = np.full((n_events, len(setup.benchmarks)), sigma / n_events)
        SampleWriter(file, 3, len(setup.benchmarks)).append(np.zeros((n_events, 3)), weights, np.full(n_events, -1))
        write_sample_summary(file, np.zeros(len(setup.benchmarks), dtype=int), n_events)
        if process:
            file.attrs[BACKGROUND_ATTRIBUTE] = process
    return path


def test_files_of_one_background_are_averaged_and_backgrounds_add(job_files, tmp_path) -> None:
    """Two files of background tt (σ estimates 2 and 4 pb over 100 and 300 events) and one
    of wjets (5 pb): the combined background sums to (100·2 + 300·4)/400 + 5 pb, in every
    benchmark column."""
    directory, _ = job_files
    setup = read_setup(directory / "setup.h5")
    inputs = [_background_file(tmp_path / f"{name}.h5", setup, *sample)
              for name, *sample in (("tt1", "tt", 100, 2.0), ("tt2", "tt", 300, 4.0), ("w", "wjets", 50, 5.0))]
    result = CliRunner().invoke(cli, ["combine", "--output", str(tmp_path / "c.h5"), *map(str, inputs)])
    assert result.exit_code == 0, result.output
    _, weights, sampling = _read(tmp_path / "c.h5")
    assert (sampling == -1).all()
    np.testing.assert_allclose(weights.sum(axis=0), (100 * 2.0 + 300 * 4.0) / 400 + 5.0, rtol=1e-12)
    with h5py.File(tmp_path / "c.h5") as file:
        # (F, B + P): per background process (tt, wjets) each file's share of its events
        np.testing.assert_allclose(file["goldmine/k_factors"][:, -2:], [[0.25, 0.0], [0.75, 0.0], [0.0, 1.0]])


def test_background_events_keep_their_process(job_files, tmp_path) -> None:
    """Combined, every background event still names its process (tt, wjets, or the one
    background of a file that names none, as madminer's): per process the weights sum to
    that process's σ, signal events name none, and a combined file combines again."""
    directory, signal_files = job_files
    setup = read_setup(directory / "setup.h5")
    inputs = [_background_file(tmp_path / f"{name}.h5", setup, *sample)
              for name, *sample in (("tt", "tt", 100, 2.0), ("w", "wjets", 50, 5.0), ("other", None, 30, 7.0))]
    assert background_processes(inputs[0]) == ("tt",) and background_processes(inputs[2]) == ("background",)
    first = tmp_path / "first.h5"
    assert CliRunner().invoke(cli, ["combine", "--output", str(first), str(signal_files[0]), *map(str, inputs[:2])]
                              ).exit_code == 0
    again = tmp_path / "again.h5"
    result = CliRunner().invoke(cli, ["combine", "--output", str(again), str(inputs[2]), str(first), str(signal_files[2])])
    assert result.exit_code == 0, result.output
    assert background_processes(again) == ("background", "tt", "wjets")
    chunks = list(iter_samples(again))
    weights = np.concatenate([c.weights for c in chunks])
    sampling = np.concatenate([c.sampling_benchmarks for c in chunks])
    processes = np.concatenate([c.background_processes for c in chunks])
    assert ((processes >= 0) == (sampling < 0)).all()
    assert np.bincount(processes[processes >= 0]).tolist() == [30, 100, 50]
    np.testing.assert_allclose([weights[processes == k, 0].sum() for k in range(3)], [7.0, 2.0, 5.0], rtol=1e-12)

    with h5py.File(again, "r+") as file:  # a background event said to be signal
        labels = file["samples/background_processes"]
        labels[int(np.argmax(labels[()] >= 0))] = -1
    with pytest.raises(InputFileError, match="background process index -1"):
        list(iter_samples(again))


def test_same_seed_same_file_other_seed_other_order(job_files, tmp_path) -> None:
    _, paths = job_files
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        args = ["combine", "--output", str(tmp_path / f"{name}.h5"), "--seed", seed, *map(str, paths)]
        assert CliRunner().invoke(cli, args).exit_code == 0
    a, b, c = (_read(tmp_path / f"{n}.h5")[0] for n in "abc")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_a_file_of_another_setup_is_named(job_files, tmp_path) -> None:
    directory, paths = job_files
    config = yaml.safe_load((directory / "toy.yml").read_text())
    config["benchmarks"]["mixed"] = {"a": 0.5, "b": 0.5}
    (tmp_path / "other.yml").write_text(yaml.safe_dump(config))
    assert CliRunner().invoke(cli, ["configure", str(tmp_path / "other.yml"), "--output", str(tmp_path / "o.h5"),
                                    "--plan", str(tmp_path / "p.yml")]).exit_code == 0
    other = tmp_path / "other_job.h5"
    with h5py.File(other, "w") as file:
        write_setup_sections(file, read_setup(tmp_path / "o.h5"))
        SampleWriter(file, 3, 6).append(np.zeros((5, 3)), np.ones((5, 6)), np.zeros(5))
    result = CliRunner().invoke(cli, ["combine", "--output", str(tmp_path / "combined.h5"), str(paths[0]), str(other)])
    assert result.exit_code == 1
    assert f"{other} does not share the setup of {paths[0]}: benchmark values differ" in result.output
    assert not (tmp_path / "combined.h5").exists()
    assert not list(tmp_path.glob(".combined.h5*")), "no scratch file may remain"


def test_nan_weight_is_named(job_files, tmp_path) -> None:
    import shutil

    _, paths = job_files
    broken = tmp_path / "broken.h5"
    shutil.copy(paths[1], broken)
    with h5py.File(broken, "r+") as file:
        file["samples/weights"][17, 2] = np.inf
    result = CliRunner().invoke(cli, ["combine", "--output", str(tmp_path / "c.h5"), str(paths[0]), str(broken)])
    assert result.exit_code == 1 and f"{broken}: event 17 has a non-finite weight (inf) for benchmark 2" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.h5"]


@pytest.mark.parametrize("case", ["output_is_an_input", "same_path_twice", "copy_of_an_input"])
def test_inputs_are_distinct_and_never_overwritten(job_files, tmp_path, case) -> None:
    import shutil

    _, paths = job_files
    first = tmp_path / "first.h5"
    shutil.copy(paths[0], first)
    before = file_sha256(first)
    second = {"output_is_an_input": paths[1], "same_path_twice": first,
              "copy_of_an_input": shutil.copy(first, tmp_path / "copy.h5")}[case]
    output = first if case == "output_is_an_input" else tmp_path / "combined.h5"
    result = CliRunner().invoke(cli, ["combine", "--output", str(output), str(first), str(second)])
    assert result.exit_code == 1
    message = {"output_is_an_input": f"{first}: the output is also an input; goldmine never overwrites its inputs",
               "same_path_twice": f"{first} is given twice",
               "copy_of_an_input": f"{second} holds the same events as {first} (identical SHA-256)"}[case]
    assert message in result.output, result.output
    assert file_sha256(first) == before
    assert not (tmp_path / "combined.h5").exists() and not list(tmp_path.glob(".*"))


def test_true_weights_are_carried_only_where_every_input_has_them(job_files, tmp_path, caplog) -> None:
    """A file's true weights (samples/true_weights) follow its events through the shuffle,
    scaled as the weights are; where an input lacks them, the combined file has none and
    the log says which input lacked them."""
    directory, paths = job_files
    setup = read_setup(directory / "setup.h5")
    with_truth = []
    for index, path in enumerate(paths[:2]):
        observations, weights, sampling = _read(path)
        copy = tmp_path / f"truth{index}.h5"
        with h5py.File(copy, "w") as file:
            write_setup_sections(file, setup)
            writer = SampleWriter(file, 3, len(setup.benchmarks), true_weights=True)
            writer.append(observations, weights, sampling, true_weights=2.0 * weights)  # marked: twice
            write_sample_summary(file, np.bincount(sampling, minlength=len(setup.benchmarks)), 0)
        with_truth.append(copy)
    result = CliRunner().invoke(cli, ["combine", "--output", str(tmp_path / "both.h5"), "--seed", "4",
                                      "--bucket-events", "700", *map(str, with_truth)])
    assert result.exit_code == 0, result.output
    with h5py.File(tmp_path / "both.h5") as file:
        np.testing.assert_allclose(file["samples/true_weights"][()], 2.0 * file["samples/weights"][()])
    with caplog.at_level("WARNING", logger="goldmine"):
        result = CliRunner().invoke(cli, ["combine", "--output", str(tmp_path / "mixed.h5"), "--seed", "4",
                                          str(with_truth[0]), str(paths[2])])
    assert result.exit_code == 0, result.output
    with h5py.File(tmp_path / "mixed.h5") as file:
        assert "samples/true_weights" not in file
    assert f"true weights left out of the combined file: {paths[2]} have none" in caplog.text


def test_a_background_file_needs_no_true_weights(job_files, tmp_path) -> None:
    """A background's weights are the same at every θ, so with a signal file that has true
    weights the combined file has them too: the background events' are their weights."""
    directory, paths = job_files
    setup = read_setup(directory / "setup.h5")
    observations, weights, sampling = _read(paths[0])
    signal = tmp_path / "signal.h5"
    with h5py.File(signal, "w") as file:
        write_setup_sections(file, setup)
        writer = SampleWriter(file, 3, len(setup.benchmarks), true_weights=True)
        writer.append(observations, weights, sampling, true_weights=2.0 * weights)
        write_sample_summary(file, np.bincount(sampling, minlength=len(setup.benchmarks)), 0)
    background = _background_file(tmp_path / "tt.h5", setup, "tt", 500, 3.0)
    result = CliRunner().invoke(cli, ["combine", "--output", str(tmp_path / "c.h5"), "--seed", "4",
                                      "--bucket-events", "700", str(signal), str(background)])
    assert result.exit_code == 0, result.output
    with h5py.File(tmp_path / "c.h5") as file:
        is_background = file["samples/sampling_benchmarks"][()] < 0
        true_weights, combined = file["samples/true_weights"][()], file["samples/weights"][()]
    assert is_background.sum() == 500
    np.testing.assert_allclose(true_weights[is_background], combined[is_background])
    np.testing.assert_allclose(true_weights[~is_background], 2.0 * combined[~is_background])
    np.testing.assert_allclose(true_weights[is_background].sum(axis=0), 3.0)
    only_background = tmp_path / "only.h5"
    assert CliRunner().invoke(cli, ["combine", "--output", str(only_background), str(background)]).exit_code == 0
    with h5py.File(only_background) as file:
        assert "samples/true_weights" not in file  # no input had any: nothing to carry
