"""One evaluation, as a recipe: events → Fisher information → limits in every mode → plot inputs.

The parts read one :class:`Analysis` and can be called alone: :func:`information_matrices`,
:func:`information_distribution`, and :func:`limits` on a data set (:func:`data_sets`:
Asimov and observed), which builds each configured mode from the :data:`MODES` registry.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from goldmine.config.evaluation import EvaluationConfig
from goldmine.errors import GoldmineError
from goldmine.evaluate import information as info
from goldmine.evaluate.coverage import uncovered_signal
from goldmine.evaluate.events import SimulatedEvents
from goldmine.evaluate.histograms import Histogram, adaptive_edges, cell_indices
from goldmine.evaluate.likelihood import Limit
from goldmine.evaluate.models import (
    ModelGroup,
    kinematic_log_likelihood,
    log_ratio_grid,
    log_ratio_normalisation,
    mean_theta_score,
    member_scores,
)
from goldmine.evaluate.modes import (
    DataSet,
    LogLikelihood,
    histogram_mode,
    histogram_of,
    ml_mode,
    per_theta_histogram_mode,
    rate_mode,
    sallino_mode,
)
from goldmine.physics.joint import joint_terms
from goldmine.progress import Progress
from goldmine.setup import Setup

__all__ = ["EXACT", "MODES", "Analysis", "Evaluation", "data_sets", "evaluate_analysis", "information_distribution",
           "information_matrices", "limits", "norm_log_factors"]

log = logging.getLogger(__name__)

#: Bins of the per-observable distributions stored for the plots.
DISTRIBUTION_BINS = 20
#: The information of the exact likelihood p(x|θ), where the events carry true weights
#: ("truth" is the joint one, of (x, z): an upper bound).
EXACT = "exact"


@dataclass(eq=False)
class Evaluation:
    """Everything ``results.h5`` holds (see goldmine.evaluate.results)."""

    grid: np.ndarray
    grid_axes: tuple[np.ndarray, ...]
    theta_true: np.ndarray
    nuisances: list[str]
    sigma_true: float
    n_simulated: int
    #: σ in pb at θ_true of each background process (goldmine.io.samples.background_processes)
    sigma_backgrounds: dict[str, float] = field(default_factory=dict)
    information: list[info.Information] = field(default_factory=list)
    limits: list[Limit] = field(default_factory=list)
    information_distribution: dict[str, np.ndarray] = field(default_factory=dict)
    distributions: dict[str, Histogram] = field(default_factory=dict)
    validation: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    histories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: per observable, σ (P, nb + 1) in pb of each background process's events in each bin of
    #: ``distributions``, in the order of ``sigma_backgrounds``
    background_distributions: dict[str, np.ndarray] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: per rate and histogram mode: the area of its expected 68% region with the background
    #: over that without (1 without background)
    background_area_ratios: dict[str, float] = field(default_factory=dict)
    #: per counting mode: the area of its expected 68% region with the nuisances profiled over
    #: that with them fixed (empty without nuisances)
    systematics_area_ratios: dict[str, float] = field(default_factory=dict)

    @property
    def sigma_background(self) -> float:
        """σ_b in pb at θ_true, all background processes."""
        return math.fsum(self.sigma_backgrounds.values())


def norm_log_factors(setup: Setup) -> tuple[list[str], np.ndarray]:
    """Names and log f of the normalisation systematics."""
    norms = [s for s in setup.systematics if s.type == "norm"]
    return [s.name for s in norms], np.log([float(s.value) for s in norms])


def shape_and_norm_nuisances(setup: Setup, simulated: SimulatedEvents) -> list[str]:
    """Every nuisance the counting estimators profile: the event file's shape nuisances, then
    the normalisation systematics."""
    return [n.name for n in simulated.nuisances] + norm_log_factors(setup)[0]


def systematics_without_weights(setup: Setup, simulated: SimulatedEvents) -> list[str]:
    """The shape systematics (scale, pdf) of the setup that no nuisance of the event file varies."""
    varied = {n.systematic for n in simulated.nuisances}
    return [s.name for s in setup.systematics if s.type != "norm" and s.name not in varied]


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


@dataclass(eq=False)
class Analysis:
    """What every part of an evaluation reads: the setup, the evaluation settings, the
    simulated events and their weights at θ_true, the models, and the estimated scores
    of the simulated events per score method: members (M, n, P + K), K the shape nuisances
    the model learned, and the mean of their θ components (n, P)."""

    setup: Setup
    config: EvaluationConfig
    simulated: SimulatedEvents
    groups: list[ModelGroup]
    log_factors: np.ndarray
    weights_true: np.ndarray
    member_t: dict[str, np.ndarray]
    histograms: dict[str, tuple[Any, Histogram]] = field(default_factory=dict)

    @property
    def theta_true(self) -> np.ndarray:
        return np.asarray(self.config.theta_true)

    @property
    def luminosity(self) -> float:
        return self.config.luminosity

    @property
    def log_ratios(self) -> np.ndarray:
        """∂ log w/∂ν (n, K) of every nuisance (:func:`shape_and_norm_nuisances`) at ν = 0."""
        norms = np.broadcast_to(self.log_factors, (len(self.simulated), len(self.log_factors)))
        return np.hstack([self.simulated.nuisance_a, norms])

    @property
    def score_groups(self) -> list[ModelGroup]:
        return [g for g in self.groups if g.score_output]

    @cached_property
    def mean_t(self) -> dict[str, np.ndarray]:
        """The members' mean score in θ (n, P), which the histogram modes and plots read."""
        return {name: mean_theta_score(t, len(self.setup.parameters)) for name, t in self.member_t.items()}

    @classmethod
    def of(cls, setup: Setup, config: EvaluationConfig, simulated: SimulatedEvents,
           groups: list[ModelGroup]) -> Analysis:
        """Weights at θ_true, scores of the simulated events, and the configured histograms."""
        _, log_factors = norm_log_factors(setup)
        weights_true = simulated.weights(np.asarray(config.theta_true))
        shape_nuisances = [n.name for n in simulated.nuisances]
        mismatched = [g for g in groups if g.nuisances and g.nuisances != shape_nuisances]
        if mismatched:
            raise GoldmineError(f"{mismatched[0].directories[0]}: {mismatched[0].method} learned the score of the "
                                f"nuisances {mismatched[0].nuisances}, but the event file has {shape_nuisances}")
        member_t = {g.method: member_scores(g, simulated.observations, config.batch_size)
                    for g in groups if g.score_output}
        analysis = cls(setup, config, simulated, groups, log_factors, weights_true, member_t)
        for spec in config.histograms:
            columns = analysis.columns(simulated.observations, spec.observables)
            analysis.histograms[spec.label] = (spec, histogram_of(columns, weights_true, simulated, spec.bins))
        return analysis

    def columns(self, observations: np.ndarray, names: Sequence[str]) -> list[np.ndarray]:
        return [observations[:, _index(self.setup, name)] for name in names]

    @property
    def reference(self) -> np.ndarray:
        """θ (P,) of ``evaluation.reference``: the denominator of doubly parameterized ratios."""
        return self.setup.benchmark_values[self.setup.benchmark_index(self.config.reference)]

    @cached_property
    def score_histograms(self) -> dict[str, Histogram]:
        """The sally mode's histogram of each score model's t̂ (P axes, ``score_bins`` each),
        by method: filled once for every data set and check."""
        return {g.method: histogram_of(list(self.mean_t[g.method].T), self.weights_true, self.simulated,
                                       self.config.score_bins) for g in self.score_groups}

    def summarised(self, group: ModelGroup) -> bool:
        """Whether a model is a summary here, not an estimate of these events' score or
        ratio: it learned the signal alone (augmentation.processes: signal) and the events
        hold background, so only histograms of its output, filled with every event, say what
        it knows."""
        return group.signal_only and bool(self.simulated.background.any())

    def counting_histograms(self) -> dict[str, tuple[list[np.ndarray], Histogram]]:
        """Every histogram a counting mode of the config bins the simulated events in, with
        the events' value columns, by mode label."""
        out: dict[str, tuple[list[np.ndarray], Histogram]] = {}
        if "histo" in self.config.modes:
            out.update({label: (self.columns(self.simulated.observations, spec.observables), histogram)
                        for label, (spec, histogram) in self.histograms.items()})
        if "sally" in self.config.modes:
            out.update({f"sally:{method}": (list(self.mean_t[method].T), histogram)
                        for method, histogram in self.score_histograms.items()})
        return out


def information_matrices(analysis: Analysis) -> list[info.Information]:
    """Fisher information at θ_true: truth, rate, each histogram, each score model: L σ
    E[t̂ t̂ᵀ] + rate, or for a model of the signal alone among events with background that
    of its sally histogram, as ``sally:<model>`` (:meth:`Analysis.summarised`)."""
    simulated, theta_true, luminosity = analysis.simulated, analysis.theta_true, analysis.luminosity
    nuisances, log_ratios = shape_and_norm_nuisances(analysis.setup, simulated), analysis.log_ratios
    n_parameters = len(theta_true)
    counted = {"truth": info.truth_matrix(simulated, theta_true, luminosity, log_ratios),
               "rate": info.rate_matrix(simulated, theta_true, luminosity, log_ratios)}
    if simulated.has_truth:  # the exact likelihood's information: z summed over, x = the observations
        counted[EXACT] = info.truth_matrix(simulated.with_true_weights(), theta_true, luminosity, log_ratios)
    for label, (spec, histogram) in analysis.histograms.items():
        cells, n_cells = cell_indices(analysis.columns(simulated.observations, spec.observables), histogram.edges)
        counted[label] = info.binned_matrix(cells, n_cells, simulated, theta_true, luminosity, log_ratios)
    out = [info.information_from(name, [matrix], n_parameters, nuisances) for name, matrix in counted.items()]
    norms, log_factors = norm_log_factors(analysis.setup)
    for group in analysis.score_groups:
        if analysis.summarised(group):
            cells, n_cells = cell_indices(list(analysis.mean_t[group.method].T),
                                          analysis.score_histograms[group.method].edges)
            matrix = info.binned_matrix(cells, n_cells, simulated, theta_true, luminosity, log_ratios)
            out.append(info.information_from(f"sally:{group.method}", [matrix], n_parameters, nuisances))
            continue
        matrices = info.score_matrices(analysis.member_t[group.method], simulated, theta_true, luminosity,
                                       log_factors)
        out.append(info.information_from(group.method, matrices, n_parameters, group.nuisances + norms))
    return out


def information_distribution(analysis: Analysis) -> dict[str, np.ndarray]:
    """The information in bins of ``information_observable``, with its edges."""
    config = analysis.config
    (column,) = analysis.columns(analysis.simulated.observations, [config.information_observable])
    bins = config.information_bins
    edges = adaptive_edges(column, analysis.weights_true, bins) if isinstance(bins, int) else np.asarray(bins[0])
    indices, n_cells = cell_indices([column], [edges])
    estimates = {g.method: analysis.mean_t[g.method] for g in analysis.score_groups if not analysis.summarised(g)}
    distribution = info.information_distribution(indices, n_cells, analysis.simulated, analysis.theta_true,
                                                 analysis.luminosity, estimates)
    if analysis.simulated.background.any():
        background = np.where(analysis.simulated.background, analysis.weights_true, 0.0)
        distribution["sigma_background"] = np.bincount(indices, weights=background, minlength=n_cells)
    return {"edges": edges, **distribution}


ModeBuilder = Callable[[Analysis, DataSet], dict[str, LogLikelihood]]


def _rate(analysis: Analysis, data: DataSet) -> dict[str, LogLikelihood]:
    return {"rate": rate_mode(analysis.simulated, data, analysis.luminosity, analysis.log_factors)}


def _histograms(analysis: Analysis, data: DataSet) -> dict[str, LogLikelihood]:
    return {label: histogram_mode(histogram, analysis.simulated, data, analysis.columns(data.observations,
                                                                                        spec.observables),
                                  analysis.luminosity, analysis.log_factors)
            for label, (spec, histogram) in analysis.histograms.items()}


def _sally(analysis: Analysis, data: DataSet) -> dict[str, LogLikelihood]:
    modes = {}
    for group in analysis.score_groups:
        modes[f"sally:{group.method}"] = histogram_mode(analysis.score_histograms[group.method], analysis.simulated,
                                                        data, list(data.features[group.method].T),
                                                        analysis.luminosity, analysis.log_factors)
    return modes


def _sallino(analysis: Analysis, data: DataSet) -> dict[str, LogLikelihood]:
    modes = {}
    for group in analysis.score_groups:
        score_theta = np.asarray(group.score_theta if group.score_theta is not None else analysis.theta_true)
        modes[f"sallino:{group.method}"] = sallino_mode(
            analysis.simulated, analysis.mean_t[group.method], data, data.features[group.method], score_theta,
            analysis.weights_true, analysis.config.projected_score_bins, analysis.luminosity, analysis.log_factors)
    return modes


def _ml(analysis: Analysis, data: DataSet) -> dict[str, LogLikelihood]:
    config, reference = analysis.config, analysis.reference
    modes = {}
    for group in (g for g in analysis.groups if g.log_likelihood_output):
        if analysis.summarised(group):
            raise GoldmineError(f"evaluation.modes: ml sums log r of {group.method} over the events, but it learned "
                                "the signal alone (augmentation.processes: signal) and the events hold background: "
                                "evaluate it with the ratio_histo mode, or train it on all events")
        denominator_weights = _calibration_weights(analysis, group, reference) if config.calibrate_ratios else None

        def kinematic(thetas: np.ndarray, group: ModelGroup = group,
                      denominator_weights: np.ndarray | None = denominator_weights) -> np.ndarray:
            thetas = np.atleast_2d(thetas)
            # r̂ / c(θ): each ratio divided by its mean under its denominator, over the simulated events; for
            # Asimov data those are the data's own events, and one pass gives both sums
            asimov = data.observations is analysis.simulated.observations
            total = kinematic_log_likelihood(group, data.observations, data.counts, thetas, reference,
                                             config.batch_size,
                                             calibration_weights=denominator_weights if asimov else None)
            if denominator_weights is not None and not asimov:
                total -= data.counts.sum() * log_ratio_normalisation(
                    group, analysis.simulated.observations, denominator_weights, thetas, reference, config.batch_size)
            return total
        modes[f"ml:{group.method}"] = ml_mode(kinematic, analysis.simulated, data, analysis.luminosity,
                                              analysis.log_factors)
    return modes


def _ratio_histograms(analysis: Analysis, data: DataSet) -> dict[str, LogLikelihood]:
    """Per ratio model, the per-θ histograms of its log r̂(x|θ, θ₁), evaluated at each θ on the
    simulated events (and on observed ones; Asimov data are the simulated events)."""
    config = analysis.config
    asimov = data.observations is analysis.simulated.observations
    modes = {}
    for group in (g for g in analysis.groups if g.log_likelihood_output == "log_r_hat"):

        def summary(theta: np.ndarray, group: ModelGroup = group) -> tuple[np.ndarray, np.ndarray]:
            (simulated,) = log_ratio_grid(group, analysis.simulated.observations, theta[np.newaxis],
                                          analysis.reference, config.batch_size)
            if asimov:
                return simulated, simulated
            (observed,) = log_ratio_grid(group, data.observations, theta[np.newaxis], analysis.reference,
                                         config.batch_size)
            return simulated, observed

        modes[f"ratio_histo:{group.method}"] = per_theta_histogram_mode(
            analysis.simulated, summary, data, analysis.weights_true, config.projected_score_bins,
            analysis.luminosity, analysis.log_factors)
    return modes


def _calibration_weights(analysis: Analysis, group: ModelGroup, reference: np.ndarray) -> np.ndarray | None:
    """The simulated events' weights (n,) at the denominator θ₁ of a ratio model, under which
    a calibrated r̂(x|θ, θ₁) averages to one; None for likelihood models (log p̂ needs none)."""
    if group.log_likelihood_output != "log_r_hat":
        return None
    denominator = group.denominator(reference)
    if denominator is None:
        raise GoldmineError(f"evaluation.calibrate_ratios: {group.method} was trained against several theta1 "
                            "points (augmentation.ratio.theta1); its ratio has no one denominator to calibrate "
                            "against: train it against one benchmark or point, or switch calibrate_ratios off")
    return analysis.simulated.weights(denominator)


#: The limit modes of ``evaluation.modes``, each building its log-likelihoods of θ on one data set.
MODES: dict[str, ModeBuilder] = {"rate": _rate, "histo": _histograms, "sally": _sally, "sallino": _sallino,
                                 "ratio_histo": _ratio_histograms, "ml": _ml}


def data_sets(analysis: Analysis, observed: np.ndarray | None) -> list[DataSet]:
    """Asimov data at θ_true (every simulated event counted L·w(θ_true) times), and the
    observed events when given; each with the estimated scores of its events."""
    sets = [DataSet("expected", analysis.simulated.observations, analysis.luminosity * analysis.weights_true,
                    dict(analysis.mean_t))]
    if observed is not None:
        n_parameters = len(analysis.setup.parameters)
        observed_t = {g.method: mean_theta_score(member_scores(g, observed, analysis.config.batch_size), n_parameters)
                      for g in analysis.score_groups}
        sets.append(DataSet("observed", observed, np.ones(len(observed)), observed_t))
    return sets


def limits(analysis: Analysis, data: DataSet, evaluation: Evaluation) -> list[Limit]:
    """Limits on the evaluation's θ grid in every configured mode, on one data set; warnings
    go to ``evaluation``."""
    grid, axes = evaluation.grid, evaluation.grid_axes
    out = []
    with Progress(None, f"{data.kind} limits on {len(grid)} grid points", "limits") as progress:
        for mode in (m for m in MODES if m in analysis.config.modes):
            for label, log_likelihood in MODES[mode](analysis, data).items():
                log.info("%s limits: %s", data.kind, label)
                limit = Limit.from_grid(label, data.kind, log_likelihood(grid), grid, axes, refine=log_likelihood)
                progress.update(1)
                if limit.unresolved:
                    names = ", ".join(analysis.setup.parameter_names[int(i)] for i in limit.unresolved)
                    _warn(evaluation, f"{data.kind} {label}: the 68% region in {names} is narrower than the grid "
                                      "spacing; its intervals are interpolated from the best fit alone. Refine "
                                      "evaluation.grid around the best fit")
                if data.kind == "expected":
                    _check_asimov_fit(evaluation, label, log_likelihood, limit, analysis.theta_true)
                out.append(limit)
    return out


def evaluate_analysis(
    setup: Setup,
    config: EvaluationConfig,
    simulated: SimulatedEvents,
    groups: list[ModelGroup],
    observed: np.ndarray | None,
) -> Evaluation:
    theta_true = np.asarray(config.theta_true)
    evaluation = Evaluation(config.grid(), tuple(np.asarray(a) for a in config.grid_axes), theta_true,
                            shape_and_norm_nuisances(setup, simulated), float(simulated.sigma(theta_true)[0]),
                            len(simulated))
    _grid_inside_ranges(setup, config, evaluation)
    unsupported = systematics_without_weights(setup, simulated)
    if unsupported:
        _warn(evaluation, f"systematics {', '.join(unsupported)} need per-event systematic weights, which the event "
                          "file does not carry; they are left out")
    if evaluation.sigma_true <= 0:
        raise GoldmineError(f"sigma at theta_true = {theta_true.tolist()} is {evaluation.sigma_true:.4g} pb; choose "
                            "a point inside the morphing range")
    analysis = Analysis.of(setup, config, simulated, groups)
    for group in analysis.score_groups:
        if group.score_theta is not None and not np.allclose(group.score_theta, theta_true):
            _warn(evaluation, f"{group.method} learned the score at {group.score_theta}, the Fisher information "
                              f"is evaluated at theta_true = {theta_true.tolist()}")

    unaware = [g.method for g in analysis.score_groups if not g.nuisances]
    if simulated.nuisances and unaware:
        _warn(evaluation, f"the Fisher information of {', '.join(unaware)} profiles the normalisation nuisances "
                          "only: they learned no score in the shape nuisances "
                          f"{', '.join(n.name for n in simulated.nuisances)} (train them on data augmented with them)")
    evaluation.information = information_matrices(analysis)
    _check_below_truth(evaluation, [g.method for g in analysis.score_groups if not analysis.summarised(g)])
    if simulated.background.any():
        _check_background_coverage(analysis, evaluation)
    evaluation.information_distribution = information_distribution(analysis)
    for data in data_sets(analysis, observed):
        evaluation.limits += limits(analysis, data, evaluation)
    evaluation.distributions = {
        o.name: histogram_of([simulated.observations[:, i]], analysis.weights_true, simulated, DISTRIBUTION_BINS,
                             component_weights=simulated.component_weights)
        for i, o in enumerate(setup.observables)
    }
    if evaluation.nuisances:
        without_systematics(analysis, evaluation)
    if simulated.background.any():
        per_process = simulated.per_process(analysis.weights_true)  # (n, P)
        evaluation.sigma_backgrounds = dict(zip(simulated.process_names, per_process.sum(axis=0).tolist(), strict=True))
        evaluation.background_distributions = {
            name: histogram_of([simulated.observations[:, _index(setup, name)]], per_process, simulated,
                               [histogram.edges[0]], component_weights=per_process).cells.T
            for name, histogram in evaluation.distributions.items()
        }
        without_background(analysis, evaluation)
    evaluation.validation = _validation(setup, config, simulated, groups, analysis.mean_t)
    evaluation.histories = {f"{g.method}/{d.name}": _history(d) for g in groups for d in g.directories}
    return evaluation


#: The modes whose likelihood is defined without the background as well: all, for the models
#: that learned the signal alone (a model trained on the events with the background has no
#: signal-only counterpart).
SIGNAL_ONLY_MODES = ("rate", "histo", "sally", "sallino", "ratio_histo", "ml")
SIGNAL_ONLY = "signal_only"


def without_background(analysis: Analysis, evaluation: Evaluation) -> None:
    """What the background costs: the truth, rate and histogram information of the signal
    events alone (``signal_only:<name>``; histograms with the bins they have with the
    background) and that of each score model that learned the signal alone (L σ E[t̂ t̂ᵀ] +
    rate, comparable with the truth's), their expected limits and those of the models of the
    signal alone (kind ``signal_only``), and per mode the size of the 68% region with the
    background over that without (:func:`_limits_of_variant`)."""
    signal = Analysis.of(analysis.setup, analysis.config, analysis.simulated.signal_only(),
                         [g for g in analysis.groups if g.signal_only])
    signal.histograms.update(_refilled(analysis, signal.simulated, signal.weights_true))
    evaluation.information += [dataclasses.replace(item, name=f"{SIGNAL_ONLY}:{item.name}")
                               for item in information_matrices(signal)]
    _check_below_truth(evaluation, [f"{SIGNAL_ONLY}:{g.method}" for g in signal.score_groups], f"{SIGNAL_ONLY}:")
    evaluation.background_area_ratios.update(
        _limits_of_variant(signal, SIGNAL_ONLY_MODES, SIGNAL_ONLY, evaluation))


#: The modes whose likelihood is also evaluated with every nuisance fixed (they profile all).
NO_SYSTEMATICS_MODES = ("rate", "histo", "sally")
NO_SYSTEMATICS = "no_systematics"


def without_systematics(analysis: Analysis, evaluation: Evaluation) -> None:
    """What the systematics cost: expected limits of the counting modes with every nuisance
    fixed at its nominal value (kind ``no_systematics``), and per mode the size of the 68%
    region with the nuisances profiled over that with them fixed (:func:`_limits_of_variant`).
    The information with them fixed is each estimate's ``projected`` matrix."""
    simulated = analysis.simulated.without_nuisances()
    fixed = dataclasses.replace(analysis, simulated=simulated, log_factors=np.zeros(0),
                                histograms=_refilled(analysis, simulated, analysis.weights_true))
    evaluation.systematics_area_ratios.update(
        _limits_of_variant(fixed, NO_SYSTEMATICS_MODES, NO_SYSTEMATICS, evaluation))


def _refilled(analysis: Analysis, simulated: SimulatedEvents,
              weights: np.ndarray) -> dict[str, tuple[Any, Histogram]]:
    """The analysis's histograms, with their bins, filled with ``simulated``'s events."""
    return {label: (spec, histogram_of(analysis.columns(simulated.observations, spec.observables), weights,
                                       simulated, histogram.edges))
            for label, (spec, histogram) in analysis.histograms.items()}


def _limits_of_variant(variant: Analysis, modes: tuple[str, ...], kind: str,
                       evaluation: Evaluation) -> dict[str, float]:
    """The expected limits of ``variant`` (the analysis on other events, or another model) in
    those of ``modes`` the config asks for, appended to ``evaluation`` as ``kind``; per mode,
    the size of the evaluation's expected 68% region over the variant's (the product of the
    68% interval widths, each clipped to the grid: regions narrower than the grid spacing
    still compare)."""
    config = dataclasses.replace(variant.config, modes=tuple(m for m in variant.config.modes if m in modes))
    variant = dataclasses.replace(variant, config=config)
    (asimov,) = data_sets(variant, None)
    expected = {limit.mode: limit for limit in evaluation.limits if limit.kind == "expected"}
    ratios = {}
    for limit in limits(variant, dataclasses.replace(asimov, kind=kind), evaluation):
        evaluation.limits.append(limit)
        size = _interval_box(limit, evaluation.grid_axes)
        if limit.mode in expected and size > 0:
            ratios[limit.mode] = _interval_box(expected[limit.mode], evaluation.grid_axes) / size
    return ratios


def _interval_box(limit: Limit, axes: tuple[np.ndarray, ...]) -> float:
    """Π_i of the 68% interval widths of each parameter, clipped to its grid axis."""
    widths = [min(high, axis[-1]) - max(low, axis[0]) for (low, high), axis in zip(limit.intervals["68"], axes)]
    return float(np.prod(widths))


#: Share of the signal's σ in histogram cells without any background MC event above which
#: evaluate warns (goldmine.evaluate.coverage).
UNCOVERED_SIGNAL_WARNED = 0.05


def _check_background_coverage(analysis: Analysis, evaluation: Evaluation) -> None:
    """Warn where a counting mode's histogram has much of the signal in cells that no
    background MC event reaches: there it sees no background, and its region is too narrow."""
    simulated = analysis.simulated
    background_share = float(analysis.weights_true[simulated.background].sum() / analysis.weights_true.sum())
    for label, (columns, histogram) in analysis.counting_histograms().items():
        cells, n_cells = cell_indices(columns, histogram.edges)
        uncovered = uncovered_signal(cells, n_cells, simulated.background, analysis.weights_true)
        if uncovered.share > UNCOVERED_SIGNAL_WARNED:
            _warn(evaluation, f"{label}: {uncovered.share:.0%} of the signal's cross section lies in {uncovered.cells} "
                              f"of its {uncovered.n_cells} cells that hold no background MC event, though the "
                              f"background is {background_share:.1%} of the total: there the histogram sees no "
                              "background, and its limits are too narrow. Generate more background events (or "
                              "bias their generation towards the selection), or use fewer bins")


def _check_asimov_fit(evaluation: Evaluation, label: str, log_likelihood: LogLikelihood, limit: Limit,
                      theta_true: np.ndarray) -> None:
    """On Asimov data a calibrated estimate peaks at θ_true; warn when θ_true is excluded at 95% CL."""
    q_true = -2.0 * (float(log_likelihood(theta_true[np.newaxis, :])[0]) - limit.max_log_likelihood)
    p_true = float(stats.chi2.sf(max(q_true, 0.0), df=len(theta_true)))
    if p_true < 0.05:
        _warn(evaluation, f"expected {label}: on Asimov data at theta_true the best fit is {limit.best_fit.round(4).tolist()} "
                          f"and theta_true itself has p = {p_true:.2g}: the estimate is not calibrated (train on more "
                          "events or longer; check its validation plot)")


#: How far (relative to the bound's largest eigenvalue) a score model's information may exceed the
#: exact or joint bound before evaluate warns: more than the test events' statistical scatter.
BOUND_TOLERANCE = 0.1


def _check_below_truth(evaluation: Evaluation, methods: Sequence[str], prefix: str = "") -> None:
    """No estimator of x carries more information than the exact likelihood of the
    truth-level event (``<prefix>exact``, where the events carry true weights), nor than the
    joint one (``<prefix>truth``) that bounds it: a score model above the tighter of the two
    has a t̂ that is partly noise, which L σ E[t̂ t̂ᵀ] counts as information."""
    by_name = {item.name: item.profiled for item in evaluation.information}
    bound_name = next((f"{prefix}{name}" for name in (EXACT, "truth") if f"{prefix}{name}" in by_name), None)
    if bound_name is None:
        return
    bound = by_name[bound_name]
    what = ("the exact likelihood of the truth-level event" if bound_name.endswith(EXACT)
            else "the joint information")
    scale = max(float(np.linalg.eigvalsh(bound).max()), 0.0)
    for method in methods:
        eigenvalues, vectors = np.linalg.eigh(by_name[method] - bound)
        if eigenvalues[-1] > BOUND_TOLERANCE * scale:
            direction = ", ".join(f"{v:.2f}" for v in vectors[:, -1])
            _warn(evaluation, f"{method}: its Fisher information exceeds the `{bound_name}` bound by "
                              f"{eigenvalues[-1]:.3g} along ({direction}); no estimate of x carries more than "
                              f"{what}, so its t̂ is partly noise (too few distinct events behind its "
                              "training rows, or overfitting): do not read its information as physics")


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
    """Estimated vs joint values (t(x,z), log r(x,z)) on the first simulated events, and vs
    the true ones (t(x), log r(x)) where the events carry true weights: the joint values
    scatter around the true ones (z is latent), which the estimators learn. ``weights``: the
    events' weights at the θ the estimator learned under (a score's θ, a ratio's
    denominator), so that summaries weigh them as that distribution does (the simulated
    events mix several sampling benchmarks). Likelihood models give log p̂(x|θ) − log p̂(x|reference).
    A model of the signal alone is compared on the signal's events, with the signal's values."""
    signal = ~simulated.background
    weightings_of: dict[bool, dict[str, SimulatedEvents]] = {}  # by signal_only: the events, under each weighting

    def weightings_for(signal_only: bool) -> dict[str, SimulatedEvents]:
        if signal_only not in weightings_of:
            events = simulated.signal_only() if signal_only else simulated
            weightings_of[signal_only] = {"joint": events,
                                          **({"true": events.with_true_weights()} if events.has_truth else {})}
        return weightings_of[signal_only]

    out = {}
    for group in groups:
        weightings = weightings_for(group.signal_only)
        events = weightings["joint"]
        n = min(config.validation_events, len(events))
        if n == 0:
            continue

        def terms(thetas: np.ndarray, weightings: dict[str, SimulatedEvents] = weightings) -> dict[str, Any]:
            """Joint terms at θ (n, P) under each weighting; empty when one has a weight ≤ 0."""
            out = {name: _joint(weighted, thetas) for name, weighted in weightings.items()}
            return {} if any(value is None for value in out.values()) else out

        if group.score_output:
            theta = np.asarray(group.score_theta if group.score_theta is not None else config.theta_true)
            thetas = np.broadcast_to(theta, (n, len(theta)))
            scores = {name: value.t_xz for name, value in terms(thetas).items()}
            estimated_t = mean_t[group.method][signal] if group.signal_only else mean_t[group.method]
            if scores:
                out[group.method] = {"estimated": estimated_t[:n], **scores, "theta": thetas,
                                     "weights": events.weights(theta)[:n]}
            continue
        if group.log_likelihood_output is None:
            continue
        rng = np.random.default_rng(0)
        lows, highs = np.array([a[0] for a in config.grid_axes]), np.array([a[-1] for a in config.grid_axes])
        thetas = rng.uniform(lows, highs, size=(n, len(lows)))
        reference = setup.benchmark_values[setup.benchmark_index(config.reference)]
        numerator, denominator = terms(thetas), terms(np.broadcast_to(reference, thetas.shape))
        if not numerator or not denominator:
            continue
        estimated = _estimated_log_ratio(group, events.observations[:n], thetas, reference)
        log_ratios = {name: numerator[name].log_p_xz - denominator[name].log_p_xz for name in numerator}
        out[group.method] = {"estimated": estimated, **log_ratios, "theta": thetas,
                             "weights": events.weights(reference)[:n]}
    return out


def _estimated_log_ratio(group: ModelGroup, x: np.ndarray, thetas: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The ensemble's log r̂(x|θ, reference) (n,) for events x (n, O) each at its θ (n, P): a
    ratio model's own output, a likelihood model's log p̂(x|θ) − log p̂(x|reference) (p̂ alone
    has no joint twin, its ratio has)."""
    from goldmine.inference.evaluation import evaluate

    def mean_output(at: np.ndarray) -> np.ndarray:
        return np.mean([evaluate(m, m.model.input_columns(x, at, reference), score=False)[group.log_likelihood_output]
                        for m in group.members], axis=0)

    estimated = mean_output(thetas)
    if group.log_likelihood_output == "log_p_hat":
        estimated = estimated - mean_output(np.broadcast_to(reference, thetas.shape))
    return estimated


def _joint(events: SimulatedEvents, thetas: np.ndarray):
    """Joint terms of the first len(thetas) events, each at its θ (n, P), where every weight
    is positive (else None: the scatter plot is skipped)."""
    n = len(thetas)
    try:
        return joint_terms(events.component_weights[:n], thetas, events.components,
                           events.component_weights.sum(axis=0), event_index=np.arange(n))
    except GoldmineError as err:
        log.warning("validation scatter skipped: %s", err)
        return None
