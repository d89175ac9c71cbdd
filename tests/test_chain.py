"""The stages that exist, chained through their files as the workflow will run them:
configure → (two generation jobs' event files) → combine → augment → train → evaluate."""

from __future__ import annotations

import h5py
import numpy as np
import yaml
from click.testing import CliRunner

import toys
from goldmine.cli import cli
from goldmine.inference.evaluation import evaluate
from goldmine.inference.saving import load_model
from goldmine.io.samples import SampleWriter, write_sample_summary
from goldmine.io.setup_file import read_setup, write_setup_sections


def _invoke(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output


def test_configure_combine_augment_train(tmp_path) -> None:
    config = toys.toy_config(n_samples=6000, local={"theta": {"benchmark": "sm"}})
    config["training"] = {"hidden": [32, 32], "epochs": 8}
    config_path = tmp_path / "toy.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    _invoke("configure", str(config_path), "--output", str(tmp_path / "setup.h5"), "--plan", str(tmp_path / "plan.yml"))
    setup = read_setup(tmp_path / "setup.h5")

    rng = np.random.default_rng(8)
    jobs = []
    for job in range(2):  # two generation jobs at sm, each weighted to its own σ estimate
        z = rng.uniform(-1, 1, size=(10_000, 2))
        path = tmp_path / f"job{job}.h5"
        with h5py.File(path, "w") as file:
            write_setup_sections(file, setup)
            weights = (1.0 + z @ setup.benchmark_values.T) ** 2 * 4.0 / len(z)
            SampleWriter(file, 3, len(setup.benchmarks)).append(np.column_stack([z, np.zeros(len(z))]), weights,
                                                                  np.zeros(len(z)))
            write_sample_summary(file, np.eye(len(setup.benchmarks), dtype=int)[0] * len(z), 0)
        jobs.append(str(path))

    _invoke("combine", "--output", str(tmp_path / "combined.h5"), "--seed", "1", *jobs)
    _invoke("augment", "--input", str(tmp_path / "combined.h5"), "--setup", str(tmp_path / "setup.h5"),
            "--config", str(config_path), "--method", "sally", "--output", str(tmp_path / "sally_data"))
    _invoke("train", "--method", "sally", "--data", str(tmp_path / "sally_data"), "--config", str(config_path),
            "--output", str(tmp_path / "sally_model"), "--device", "cpu")

    # SALLY at the SM learns t(z|0) = 2 z (x = z here, so joint and true scores agree)
    z = np.random.default_rng(2).uniform(-0.9, 0.9, size=(500, 2))
    t_hat = evaluate(load_model(tmp_path / "sally_model"), {"x": np.column_stack([z, np.zeros(500)])})["t_hat"]
    for component in range(2):
        assert np.corrcoef(t_hat[:, component], 2 * z[:, component])[0, 1] > 0.98
