"""One evaluation, as a recipe: events → Fisher information → limits in every mode → plot inputs."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from goldmine.augment.joint import joint_terms
from goldmine.config.evaluation import EvaluationConfig
from goldmine.errors import GoldmineError
from goldmine.evaluate import information as info
from goldmine.evaluate.events import SimulatedEvents
from goldmine.evaluate.histograms import Histogram, adaptive_edges, cell_indices
from goldmine.evaluate.likelihood import Limit
from goldmine.evaluate.models import ModelGroup, kinematic_log_likelihood, member_scores
from goldmine.evaluate.modes import (
    DataSet,
    LogLikelihood,
    histogram_mode,
    histogram_of,
    ml_mode,
    rate_mode,
    sallino_mode,
)
from goldmine.setup import Setup

__all__ = ["Evaluation", "evaluate_analysis", "norm_log_factors"]

log = logging.getLogger(__name__)

#: Bins of the per-observable distributions stored for the plots.
DISTRIBUTION_BINS = 20


@dataclass(eq=False)
class Evaluation:
    """Everything ``results.h5`` holds (see goldmine.evaluate.results)."""

    grid: np.ndarray
    grid_axes: tuple[np.ndarray, ...]
    theta_true: np.ndarray
    nuisances: list[str]
    sigma_true: float
    n_simulated: int
    information: list[info.Information] = field(default_factory=list)
    limits: list[Limit] = field(default_factory=list)
    information_distribution: dict[str, np.ndarray] = field(default_factory=dict)
    distributions: dict[str, Histogram] = field(default_factory=dict)
    validation: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    histories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def norm_log_factors(setup: Setup) -> tuple[list[str], np.ndarray, list[str]]:
    """Names and log f of the normalisation systematics, and the names of the others, which
    need per-event systematic weights that the event files do not carry."""
    norms = [s for s in setup.systematics if s.type == "norm"]
    others = [s.name for s in setup.systematics if s.type != "norm"]
    return [s.name for s in norms], np.log([float(s.value) for s in norms]), others


def _warn(evaluation: Evaluation, message: str) -> None:
    log.warning("%s", message)
    evaluation.warnings.append(message)


def _grid_inside_ranges(setup: Setup, config: EvaluationConfig, evaluation: Evaluation) -> None:
    for parameter, axis in zip(setup.parameters, config.grid_axes):
        low, high = parameter.range
        if axis[0] < low or axis[-1] > high:
            _warn(evaluation, f"the theta grid of {parameter.name} [{axis[0]:g}, {axis[-1]:g}] reaches outside its "
                              f"range [{low:g}, {high:g}], where the morphing basis was optimised and the models "
                              "were trained; results there extrapolate")


def evaluate_analysis(
    setup: Setup,
    config: EvaluationConfig,
    simulated: SimulatedEvents,
    groups: list[ModelGroup],
    observed: np.ndarray | None,
) -> Evaluation:
    grid, axes = config.grid(), tuple(np.asarray(a) for a in config.grid_axes)
    theta_true, luminosity = np.asarray(config.theta_true), config.luminosity
    nuisances, log_factors, unsupported = norm_log_factors(setup)
    evaluation = Evaluation(grid, axes, theta_true, nuisances, float(simulated.sigma(theta_true)[0]), len(simulated))
    _grid_inside_ranges(setup, config, evaluation)
    if unsupported:
        _warn(evaluation, f"systematics {', '.join(unsupported)} need per-event systematic weights, which the event "
                          "files do not carry; they are left out")
    weights_true = simulated.weights(theta_true)
    if evaluation.sigma_true <= 0:
        raise GoldmineError(f"sigma at theta_true = {theta_true.tolist()} is {evaluation.sigma_true:.4g} pb; choose "
                            "a point inside the morphing range")
    score_groups = [g for g in groups if g.score_output]
    ml_groups = [g for g in groups if g.log_likelihood_output]
    for group in score_groups:
        if group.score_theta is not None and not np.allclose(group.score_theta, theta_true):
            _warn(evaluation, f"{group.method} learned the score at {group.score_theta}, the Fisher information "
                              f"is evaluated at theta_true = {theta_true.tolist()}")

    # Scores of the simulated (and observed) events, per member.
    member_t = {g.method: member_scores(g, simulated.observations, config.batch_size) for g in score_groups}
    mean_t = {name: t.mean(axis=0) for name, t in member_t.items()}

    # Fisher information at θ_true.
    def add(name: str, matrices: list[np.ndarray]) -> None:
        evaluation.information.append(info.information_from(name, matrices, simulated, theta_true, log_factors,
                                                             luminosity))

    add("truth", [info.truth_matrix(simulated, theta_true, luminosity)])
    add("rate", [info.rate_matrix(simulated, theta_true, luminosity)])
    histograms = {}
    for spec in config.histograms:
        columns = [simulated.observations[:, _index(setup, n)] for n in spec.observables]
        histograms[spec.label] = (spec, histogram_of(columns, weights_true, simulated.component_weights, spec.bins))
        add(spec.label, [info.histogram_matrix(histograms[spec.label][1], simulated, theta_true, luminosity)])
    for name, scores in member_t.items():
        add(name, info.score_matrices(scores, simulated, theta_true, luminosity))

    # Distribution of the information over one observable.
    column = simulated.observations[:, _index(setup, config.information_observable)]
    bins = config.information_bins
    edges = adaptive_edges(column, weights_true, bins) if isinstance(bins, int) else np.asarray(bins[0])
    indices, n_cells = cell_indices([column], [edges])
    evaluation.information_distribution = {
        "edges": edges, **info.information_distribution(indices, n_cells, simulated, theta_true, luminosity, mean_t)}

    # Limits on the grid, expected (Asimov) and observed.
    data_sets = [DataSet("expected", simulated.observations, luminosity * weights_true, dict(mean_t))]
    if observed is not None:
        observed_t = {g.method: member_scores(g, observed, config.batch_size).mean(axis=0) for g in score_groups}
        data_sets.append(DataSet("observed", observed, np.ones(len(observed)), observed_t))
    for data in data_sets:
        modes: dict[str, LogLikelihood] = {}
        if "rate" in config.modes:
            modes["rate"] = rate_mode(simulated, data, luminosity, log_factors)
        if "histo" in config.modes:
            for label, (spec, histogram) in histograms.items():
                data_columns = [data.observations[:, _index(setup, n)] for n in spec.observables]
                modes[label] = histogram_mode(histogram, simulated, data, data_columns, luminosity, log_factors)
        for group in score_groups:
            t_sim, t_data = mean_t[group.method], data.features[group.method]
            if "sally" in config.modes:
                histogram = histogram_of(list(t_sim.T), weights_true, simulated.component_weights, config.score_bins)
                modes[f"sally:{group.method}"] = histogram_mode(histogram, simulated, data, list(t_data.T), luminosity,
                                                                log_factors)
            if "sallino" in config.modes:
                score_theta = np.asarray(group.score_theta if group.score_theta is not None else theta_true)
                modes[f"sallino:{group.method}"] = sallino_mode(simulated, t_sim, data, t_data, score_theta,
                                                                weights_true, config.projected_score_bins, luminosity,
                                                                log_factors)
        if "ml" in config.modes:
            reference = setup.benchmark_values[setup.benchmark_index(config.reference)]
            for group in ml_groups:
                def kinematic(thetas: np.ndarray, group: ModelGroup = group, data: DataSet = data) -> np.ndarray:
                    return kinematic_log_likelihood(group, data.observations, data.counts, np.atleast_2d(thetas),
                                                    reference, config.batch_size)
                modes[f"ml:{group.method}"] = ml_mode(kinematic, simulated, data, luminosity, log_factors)
        for label, log_likelihood in modes.items():
            log.info("%s limits: %s", data.kind, label)
            limit = Limit.from_grid(label, data.kind, log_likelihood(grid), grid, axes, refine=log_likelihood)
            if limit.unresolved:
                names = ", ".join(setup.parameter_names[int(i)] for i in limit.unresolved)
                _warn(evaluation, f"{data.kind} {label}: the 68% region in {names} is narrower than the grid "
                                  "spacing; its intervals are interpolated from the best fit alone. Refine "
                                  "evaluation.grid around the best fit")
            if data.kind == "expected":
                _check_asimov_fit(evaluation, label, log_likelihood, limit, theta_true)
            evaluation.limits.append(limit)

    evaluation.distributions = {
        o.name: histogram_of([simulated.observations[:, i]], weights_true, simulated.component_weights,
                             DISTRIBUTION_BINS)
        for i, o in enumerate(setup.observables)
    }
    evaluation.validation = _validation(setup, config, simulated, groups, mean_t)
    evaluation.histories = {f"{g.method}/{d.name}": _history(d) for g in groups for d in g.directories}
    return evaluation


def _check_asimov_fit(evaluation: Evaluation, label: str, log_likelihood: LogLikelihood, limit: Limit,
                      theta_true: np.ndarray) -> None:
    """On Asimov data a calibrated estimate peaks at θ_true; warn when θ_true is excluded at 95% CL."""
    q_true = -2.0 * (float(log_likelihood(theta_true[np.newaxis, :])[0]) - limit.max_log_likelihood)
    p_true = float(stats.chi2.sf(max(q_true, 0.0), df=len(theta_true)))
    if p_true < 0.05:
        _warn(evaluation, f"expected {label}: on Asimov data at theta_true the best fit is {limit.best_fit.round(4).tolist()} "
                          f"and theta_true itself has p = {p_true:.2g}: the estimate is not calibrated (train on more "
                          "events or longer; check its validation plot)")


def _history(directory: Path) -> list[dict[str, Any]]:
    path = directory / "history.json"
    return json.loads(path.read_text()) if path.exists() else []


def _index(setup: Setup, name: str) -> int:
    names = [o.name for o in setup.observables]
    if name not in names:
        raise GoldmineError(f"observable {name!r} is not in the setup ({', '.join(names)})")
    return names.index(name)


def _validation(
    setup: Setup, config: EvaluationConfig, simulated: SimulatedEvents, groups: list[ModelGroup],
    mean_t: dict[str, np.ndarray],
) -> dict[str, dict[str, np.ndarray]]:
    """Estimated vs joint (t(x,z), log r(x,z)) values on the first simulated events; at parton
    level the joint values are the true ones."""
    from goldmine.inference.evaluation import evaluate

    n = min(config.validation_events, len(simulated))
    if n == 0:
        return {}
    g = simulated.component_weights[:n]
    sigma_components = simulated.component_weights.sum(axis=0)
    index = np.arange(n)
    out = {}
    for group in groups:
        if group.score_output:
            theta = np.asarray(group.score_theta if group.score_theta is not None else config.theta_true)
            thetas = np.broadcast_to(theta, (n, len(theta)))
            joint = _joint(g, thetas, simulated, sigma_components, index)
            if joint is not None:
                out[group.method] = {"estimated": mean_t[group.method][:n], "joint": joint.t_xz, "theta": thetas}
            continue
        if group.log_likelihood_output != "log_r_hat":  # p̂(x|θ) has no joint twin: p(x,z|θ) ≠ p(x|θ)
            continue
        rng = np.random.default_rng(0)
        lows, highs = np.array([a[0] for a in config.grid_axes]), np.array([a[-1] for a in config.grid_axes])
        thetas = rng.uniform(lows, highs, size=(n, len(lows)))
        reference = setup.benchmark_values[setup.benchmark_index(config.reference)]
        joint0 = _joint(g, thetas, simulated, sigma_components, index)
        joint1 = _joint(g, np.broadcast_to(reference, thetas.shape), simulated, sigma_components, index)
        if joint0 is None or joint1 is None:
            continue
        estimates = [evaluate(m, m.model.input_columns(simulated.observations[:n], thetas, reference),
                              score=False)["log_r_hat"] for m in group.members]
        out[group.method] = {"estimated": np.mean(estimates, axis=0), "joint": joint0.log_p_xz - joint1.log_p_xz,
                             "theta": thetas}
    return out


def _joint(g: np.ndarray, thetas: np.ndarray, simulated: SimulatedEvents, sigma_components: np.ndarray,
           index: np.ndarray):
    """Joint terms where every weight is positive (else None: the scatter plot is skipped)."""
    try:
        return joint_terms(g, thetas, simulated.components, sigma_components, event_index=index)
    except GoldmineError as err:
        log.warning("validation scatter skipped: %s", err)
        return None

