"""Morphing MadGraph's own per-event weights (EWdim6, W h) reproduces MadGraph's weights
at the validation benchmarks, which are not in the basis."""

from __future__ import annotations

import json

import numpy as np
import pytest

from goldmine.config.loader import load_config
from goldmine.config.setup_builder import build_setup
from goldmine.io.lhe_weights import read_lhe_weights

pytestmark = pytest.mark.fixtures

SAMPLING = {"events_sm.lhe.gz": "sm", "events_w_pos.lhe.gz": "w_pos"}


@pytest.fixture(scope="module")
def setup(examples):
    # The example's benchmarks are the fixtures' benchmarks, basis first.
    return build_setup(load_config(examples / "wh-builtin.yml"), rng=np.random.default_rng(0))


@pytest.mark.parametrize("file_name", SAMPLING)
@pytest.mark.parametrize("validation", ["val_1", "val_2", "val_3"])
def test_morphed_weights_equal_madgraph_weights(wh_fixtures, setup, file_name, validation) -> None:
    lhe = read_lhe_weights(wh_fixtures / file_name)
    by_name = dict(zip(lhe.names, lhe.weights.T))
    by_name[SAMPLING[file_name]] = lhe.nominal
    n_basis = setup.morpher.n_components
    basis_weights = np.stack([by_name[name] for name in setup.benchmark_names[:n_basis]], axis=1)

    theta = np.array(setup.benchmarks[setup.benchmark_index(validation)].values)
    morphed = basis_weights @ setup.morpher.weights(theta)

    relative = np.abs(morphed - by_name[validation]) / np.abs(by_name[validation])
    assert np.median(relative) <= 1e-6
    assert relative.max() <= 1e-4, f"worst event {relative.argmax()}: {relative.max():.2e}"


def test_morphed_cross_section_matches_direct_generation(wh_fixtures, setup) -> None:
    """σ(θ) from morphing the 1500 w_pos-sampled events vs MadGraph's direct runs."""
    direct = json.loads((wh_fixtures / "cross_sections.json").read_text())
    lhe = read_lhe_weights(wh_fixtures / "events_w_pos.lhe.gz")
    by_name = dict(zip(lhe.names, lhe.weights.T), w_pos=lhe.nominal)
    basis_weights = np.stack([by_name[n] for n in setup.benchmark_names[: setup.morpher.n_components]], axis=1)
    nominal_sigma, nominal_error = 0.30917, 0.0018875  # the LHE <init> line
    for name, truth in direct.items():
        per_event = basis_weights @ setup.morpher.weights(np.array(truth["theta"]))
        ratio = per_event / lhe.nominal
        sigma = nominal_sigma * ratio.mean()
        error = np.hypot(nominal_sigma * ratio.std() / np.sqrt(len(ratio)), nominal_error * ratio.mean())
        pull = (sigma - truth["xsec_pb"]) / np.hypot(error, truth["xsec_err_pb"])
        assert abs(pull) < 4, f"{name}: {sigma:.5f} vs {truth['xsec_pb']:.5f} pb (pull {pull:.2f})"
