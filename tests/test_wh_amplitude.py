"""The built-in EWdim6 W h amplitude against MadGraph5_aMC's own reweighting weights."""

from __future__ import annotations

import numpy as np
import pytest

from goldmine.errors import InputFileError
from goldmine.generate.wh_events import (
    amplitudes_from_lhe,
    amplitudes_from_particles,
    cross_section_components,
    joint_log_likelihood_ratio,
    joint_score,
)
from goldmine.io.lhe_events import iter_lhe_events
from goldmine.physics.wh_amplitude import lha_coefficients

#: (CWL2, CPWL2) in TeV^-2 of the fixture benchmarks (../shared/fixtures/mg5-wh-ewdim6/README.md).
FIXTURE_BENCHMARKS = {
    "sm": (0, 0), "w_pos": (10, 0), "w_neg": (-10, 0), "pw_pos": (0, 10), "pw_neg": (0, -10),
    "mixed": (10, 10), "val_1": (5, -3), "val_2": (-15, 8), "val_3": (20, 20),
}


def _fixture_chunks(wh_fixtures, name):
    path = wh_fixtures / name
    return [(header, chunk, amplitudes_from_lhe(chunk, str(path))) for header, chunk in iter_lhe_events(path)]


@pytest.mark.fixtures
@pytest.mark.parametrize(("name", "sampling"), [("events_sm.lhe.gz", "sm"), ("events_w_pos.lhe.gz", "w_pos")])
def test_ratio_equals_madgraph_reweighting(wh_fixtures, name, sampling) -> None:
    """|M(θ_b)|²/|M(θ_sampling)|² = w_b / w_sampling for every event and benchmark, to 1e-5."""
    n_events = 0
    for header, chunk, amplitudes in _fixture_chunks(wh_fixtures, name):
        n_events += len(chunk)
        for column, benchmark in enumerate(header.weight_names):
            madgraph = chunk.weights[:, column] / chunk.nominal
            ours = amplitudes.ratio(np.array(FIXTURE_BENCHMARKS[benchmark]), np.array(FIXTURE_BENCHMARKS[sampling]))
            np.testing.assert_allclose(ours, madgraph, rtol=1e-5, atol=0, err_msg=f"{name}: {benchmark}")
    assert n_events == {"sm": 3000, "w_pos": 1500}[sampling]


@pytest.mark.fixtures
def test_cp_odd_term_is_odd_per_event_and_vanishes_in_the_sum(wh_fixtures) -> None:
    (_, _, amplitudes), = _fixture_chunks(wh_fixtures, "events_sm.lhe.gz")
    linear_cpw = amplitudes.quadratic_components()[:, 3] / amplitudes.squared(np.zeros(2))
    assert np.mean(np.abs(linear_cpw)) > 0.01  # a few % per TeV^-2, event by event
    assert abs(np.mean(linear_cpw)) < 5 * np.std(linear_cpw) / np.sqrt(len(linear_cpw))


@pytest.mark.fixtures
def test_joint_quantities_are_consistent(wh_fixtures) -> None:
    """The joint score is the derivative of the joint log likelihood ratio, and the
    cross-section components reproduce MadGraph's reweighted cross sections."""
    (header, chunk, amplitudes), = _fixture_chunks(wh_fixtures, "events_sm.lhe.gz")
    xsec = cross_section_components(amplitudes, chunk.nominal, np.zeros(2))
    for column, benchmark in enumerate(header.weight_names):
        cw, cpw = FIXTURE_BENCHMARKS[benchmark]
        predicted = xsec @ np.array([1, cw, cw**2, cpw, cw * cpw, cpw**2])
        np.testing.assert_allclose(predicted, chunk.weights[:, column].sum(), rtol=1e-6)
    theta, step = np.array([3.0, -2.0]), 1e-4
    score = joint_score(amplitudes, theta, xsec)
    for axis in range(2):
        shift = np.eye(2)[axis] * step
        numeric = joint_log_likelihood_ratio(amplitudes, theta + shift, theta - shift, xsec) / (2 * step)
        np.testing.assert_allclose(score[:, axis], numeric, rtol=1e-5, atol=1e-9)


def test_event_that_is_not_wh_is_named() -> None:
    pid = np.array([[2, -1, 11, -12, 25, 25]])
    status = np.array([[-1, -1, 1, 1, 1, 1]])
    with pytest.raises(InputFileError, match=r"run.lhe: event 7 has 2 Higgs bosons"):
        amplitudes_from_particles(pid, status, np.ones((1, 6, 4)), source="run.lhe", first_event=7)


def test_lha_mapping_refuses_unknown_parameters() -> None:
    np.testing.assert_array_equal(lha_coefficients([("DIM6", 5), ("dim6", 2)], np.array([1.0, 2.0])), [2.0, 1.0])
    with pytest.raises(ValueError, match="DIM6 3 is not a coefficient"):
        lha_coefficients([("dim6", 3)], np.array([1.0]))
