"""HDF5 files: round trips, chunked samples, provenance, atomic writes."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from goldmine.config.loader import load_config
from goldmine.config.setup_builder import build_setup
from goldmine.errors import InputFileError
from goldmine.io.atomic import atomic_path
from goldmine.io.provenance import Provenance, digest, file_sha256
from goldmine.io.samples import SampleWriter, count_samples, iter_samples, write_sample_summary
from goldmine.io.setup_file import read_setup, write_setup, write_setup_sections
from goldmine.setup import Systematic


@pytest.fixture()
def setup(examples):
    config = load_config(examples / "wh-builtin.yml")
    built = build_setup(config, rng=np.random.default_rng(0))
    systematics = (
        Systematic("lumi", "norm", "1.02"),
        Systematic("scales", "scale", "0.5,2.0", "mu"),
        Systematic("pdf", "pdf", "CT10"),
    )
    return type(built)(built.parameters, built.benchmarks, built.morpher, systematics, built.observables, built.config_json)


def test_setup_round_trip(tmp_path, setup) -> None:
    path = tmp_path / "setup.h5"
    write_setup(path, setup, Provenance.capture(config_hash="abc", seeds={"master_seed": 3}, argv=["goldmine", "x"]))
    back = read_setup(path)
    assert back.parameters == setup.parameters
    assert back.benchmarks == setup.benchmarks
    assert back.systematics == setup.systematics
    assert back.observables == setup.observables
    assert back.config_json == setup.config_json
    np.testing.assert_array_equal(back.morpher.components, setup.morpher.components)
    np.testing.assert_array_equal(back.morpher.matrix, setup.morpher.matrix)
    np.testing.assert_array_equal(back.morpher.basis, setup.benchmark_values[:6])
    with h5py.File(path) as file:
        # fixed-length byte strings as MadMiner writes them, as long as the longest name
        assert file["parameters/names"].dtype == np.dtype("S5")
        assert file["parameters/names"][()].tolist() == [b"CWL2", b"CPWL2"]
        assert file["benchmarks/values"].shape == (11, 2)  # 9 physics, 2 of the example's scale systematic
        assert file["morphing/morphing_matrix"].shape == (6, 6)
        # MadMiner 0.9.6 can only read scale systematics; the full list is goldmine's
        assert file["systematics/names"][()].tolist() == [b"scales"]
        assert file["goldmine/systematics/names"][()].tolist() == [b"lumi", b"scales", b"pdf"]
        provenance = Provenance.from_h5(file)
    assert provenance.seeds == {"master_seed": 3}
    assert provenance.command_line == "goldmine x"


def test_benchmark_weights_pad_non_basis_benchmarks(setup) -> None:
    weights = setup.benchmark_weights(np.array([[5.0, -3.0], [0.0, 0.0]]))
    assert weights.shape == (2, 11)
    assert np.all(weights[:, 6:] == 0)
    np.testing.assert_allclose(weights[1], np.eye(11)[0], atol=1e-12)


def test_samples_append_and_stream_in_chunks(tmp_path, setup) -> None:
    rng = np.random.default_rng(2)
    path = tmp_path / "events.h5"
    observations = rng.normal(size=(25_000, 3))
    weights = rng.exponential(size=(25_000, 9))
    sampling = rng.integers(0, 2, size=25_000)
    with h5py.File(path, "w") as file:
        write_setup_sections(file, setup)
        writer = SampleWriter(file, n_observables=3, n_benchmarks=9, chunk_rows=4096)
        for start in range(0, 25_000, 7_000):
            writer.append(observations[start : start + 7_000], weights[start : start + 7_000], sampling[start : start + 7_000])
        write_sample_summary(file, np.bincount(sampling, minlength=9), 0)
        dataset = file["samples/weights"]
        assert dataset.chunks == (4096, 9) and dataset.compression == "gzip" and dataset.maxshape == (None, 9)

    assert count_samples(path) == 25_000
    chunks = list(iter_samples(path, chunk_size=10_000))
    assert [c.start for c in chunks] == [0, 10_000, 20_000]
    np.testing.assert_array_equal(np.concatenate([c.observations for c in chunks]), observations)
    np.testing.assert_array_equal(np.concatenate([c.weights for c in chunks]), weights)
    np.testing.assert_array_equal(np.concatenate([c.sampling_benchmarks for c in chunks]), sampling)
    no_observations = next(iter_samples(path, chunk_size=100, read_observations=False))
    assert no_observations.observations.shape == (100, 0)
    np.testing.assert_array_equal(no_observations.weights, weights[:100])
    window = list(iter_samples(path, chunk_size=3, start=10, stop=15))
    assert [len(c) for c in window] == [3, 2]
    np.testing.assert_array_equal(window[1].weights, weights[13:15])


def test_sample_shapes_are_checked(tmp_path) -> None:
    with h5py.File(tmp_path / "x.h5", "w") as file:
        writer = SampleWriter(file, n_observables=2, n_benchmarks=3)
        with pytest.raises(ValueError, match=r"weights must have shape \(4, 3\), got \(4, 2\)"):
            writer.append(np.zeros((4, 2)), np.zeros((4, 2)), np.zeros(4))


def test_reading_a_file_that_is_not_a_setup(tmp_path) -> None:
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as file:
        file["something"] = 1
    with pytest.raises(InputFileError, match=r"other.h5: not a setup file, or a damaged one: cannot read"):
        read_setup(path)
    with pytest.raises(InputFileError, match="no event sample"):
        count_samples(path)
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(InputFileError, match="cannot open as HDF5"):
        read_setup(tmp_path / "text.h5")


def test_atomic_path_leaves_nothing_on_failure(tmp_path) -> None:
    target = tmp_path / "out.h5"
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as temporary:
        assert temporary.name.startswith(".out.h5.") and temporary.suffix == ".partial"
        temporary.write_text("whole")
    assert target.read_text() == "whole"
    assert list(tmp_path.iterdir()) == [target]


def test_digest_and_checksums(tmp_path) -> None:
    assert digest({"a": 1, "b": [1, 2]}) == digest({"b": [1, 2], "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
