"""augment on MadGraph's own events: morphed cross sections vs direct generation."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from goldmine.cli import cli
from goldmine.io.lhe_weights import read_lhe_weights
from goldmine.io.samples import SampleWriter, write_sample_summary
from goldmine.io.setup_file import read_setup, write_setup_sections

pytestmark = pytest.mark.fixtures

RUNS = {"events_sm.lhe.gz": ("sm", 0.1392, 0.00043267), "events_w_pos.lhe.gz": ("w_pos", 0.30917, 0.0018875)}


@pytest.fixture(scope="module")
def parton_level(tmp_path_factory, wh_fixtures, examples):
    """setup.h5 of the example and a combined file of both MadGraph runs. Each run's
    weights estimate σ on their own; the combination weighs them by event count."""
    directory = tmp_path_factory.mktemp("parton")
    config = yaml.safe_load((examples / "wh-builtin.yml").read_text())
    config["systematics"] = [s for s in config["systematics"] if s["type"] != "scale"]  # MadGraph's files have none
    config["augmentation"] = {
        "validation_fraction": 0.0, "test_fraction": 0.0, "n_samples": 3000,
        "plain": {"theta": {"benchmarks": ["val_1", "val_2", "val_3"]}},
    }
    config_path = directory / "wh.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    result = CliRunner().invoke(cli, ["configure", str(config_path), "--output", str(directory / "setup.h5"),
                                      "--plan", str(directory / "plan.yml")])
    assert result.exit_code == 0, result.output
    setup = read_setup(directory / "setup.h5")

    runs = {name: read_lhe_weights(wh_fixtures / name) for name in RUNS}
    n_total = sum(len(lhe.nominal) for lhe in runs.values())
    weights, ids, normalisation = [], [], []
    for name, lhe in runs.items():
        sampled_at, sigma, sigma_error = RUNS[name]
        by_name = dict(zip(lhe.names, lhe.weights.T), **{sampled_at: lhe.nominal})
        weights.append(np.stack([by_name[b] for b in setup.benchmark_names], axis=1) / n_total)  # as read
        ids.append(np.full(len(lhe.nominal), setup.benchmark_index(sampled_at)))
        normalisation.append(sigma_error / sigma * len(lhe.nominal) / n_total)
    weights, ids = np.concatenate(weights), np.concatenate(ids)
    order = np.random.default_rng(0).permutation(n_total)
    with h5py.File(directory / "combined.h5", "w") as file:
        write_setup_sections(file, setup)
        writer = SampleWriter(file, len(setup.observables), len(setup.benchmarks))
        # stored as MadMiner stores them: each run's events sum to σ, i.e. a share n_run / n_total less
        signal_events = np.bincount(ids, minlength=len(setup.benchmarks))
        stored = weights * (n_total / signal_events[ids])[:, None]
        writer.append(np.zeros((n_total, len(setup.observables))), stored[order], ids[order])
        write_sample_summary(file, signal_events, 0)
    return directory, weights, np.hypot(*normalisation)


def test_morphed_cross_sections_match_direct_generation(parton_level, wh_fixtures) -> None:
    directory, weights, relative_normalisation = parton_level
    args = ["augment", "--input", str(directory / "combined.h5"), "--setup", str(directory / "setup.h5"),
            "--config", str(directory / "wh.yml"), "--method", "plain", "--output", str(directory / "plain")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((directory / "plain" / "augment.json").read_text())["partitions"]["train"]
    direct = json.loads((wh_fixtures / "cross_sections.json").read_text())
    setup = read_setup(directory / "setup.h5")
    for name, sigma, n_eff in zip(("val_1", "val_2", "val_3"), summary["sigma_pb"], summary["n_effective"]):
        # Monte Carlo error of a weighted sum: sqrt(Σ w_i²) = σ / sqrt(n_eff)
        per_event = weights @ setup.benchmark_weights(np.array(direct[name]["theta"]))
        assert sigma == pytest.approx(per_event.sum(), rel=1e-10)
        assert n_eff == pytest.approx(per_event.sum() ** 2 / (per_event**2).sum(), rel=1e-8)
        error = np.sqrt(sigma**2 / n_eff + (sigma * relative_normalisation) ** 2 + direct[name]["xsec_err_pb"] ** 2)
        pull = (sigma - direct[name]["xsec_pb"]) / error
        assert abs(pull) < 3.0, f"{name}: {sigma:.5f} vs {direct[name]['xsec_pb']:.5f} pb, pull {pull:.2f}"
