"""``results.h5`` and its JSON summary.

    (setup sections)                     parameters/*, benchmarks/*, morphing/* as in setup.h5
    grid/theta (G, P), grid/axis_<i>     the θ grid; grid/theta_true (P,)
    fisher/<name>/full (P+K, P+K)        K nuisances appended, constraints included (attrs: nuisances:
                                         shape then normalisation nuisances; score models: normalisation only);
                                         with background also signal_only:<truth, rate, histo:...>
                 /profiled, /projected   (P, P);  /members (M, P, P), /covariance (P², P²) for ensembles
    limits/<kind>/<mode>/log_likelihood, q, p_values (G,); best_fit, best_fit_grid (P,);
                         profile_<i> (n_axis_i,)      kind: expected (Asimov), observed, with
                                                      background signal_only (rate, histo: Asimov
                                                      data and model without the background), with
                                                      nuisances no_systematics (rate, histo, sally:
                                                      Asimov, every nuisance fixed at 0)
    attrs sigma_true_pb, sigma_background_pb (at θ_true), n_simulated_events, background_processes
                                         (JSON list: the background processes, in the order below)
    information_distribution/<observable>/edges, sigma (nb,), truth, rate, kinematic_<model> (nb, P, P);
                                          sigma_background (nb,) with background
    distributions/<observable>/edges (nb+1,), cells (nb+1, C)   morphing histograms (last cell: missing);
                              backgrounds (P, nb+1)     with background: each process's σ per bin (pb)
    validation/<model>/estimated, joint, theta, weights (at the θ the model learned under);
                       true (events with true weights)
    histories/<method>/<member>          JSON text of the training history
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from goldmine.evaluate.run import Evaluation
from goldmine.io.atomic import atomic_path
from goldmine.io.hdf5 import open_for_writing
from goldmine.io.provenance import Provenance
from goldmine.io.setup_file import write_setup_sections
from goldmine.setup import Setup

__all__ = ["summary", "validation_metrics", "weighted_correlation", "write_results"]


def write_results(path: Path, setup: Setup, evaluation: Evaluation, information_observable: str,
                  provenance: Provenance) -> None:
    with atomic_path(path) as temporary, open_for_writing(temporary) as file:
        write_setup_sections(file, setup)
        file["grid/theta"] = evaluation.grid
        file["grid/theta_true"] = evaluation.theta_true
        for i, axis in enumerate(evaluation.grid_axes):
            file[f"grid/axis_{i}"] = axis
        for item in evaluation.information:
            group = file.create_group(f"fisher/{item.name}")
            group.attrs["nuisances"] = json.dumps(list(item.nuisances))
            for key in ("full", "profiled", "projected", "members", "covariance"):
                if getattr(item, key) is not None:
                    group[key] = getattr(item, key)
        for limit in evaluation.limits:
            group = file.create_group(f"limits/{limit.kind}/{limit.mode}")
            for key in ("log_likelihood", "q", "p_values", "best_fit", "best_fit_grid"):
                group[key] = getattr(limit, key)
            for i, profile in enumerate(limit.profiles):
                group[f"profile_{i}"] = profile
        group = file.create_group(f"information_distribution/{information_observable}")
        for key, values in evaluation.information_distribution.items():
            group[key] = values
        for name, histogram in evaluation.distributions.items():
            file[f"distributions/{name}/edges"] = histogram.edges[0]
            file[f"distributions/{name}/cells"] = histogram.cells
            if name in evaluation.background_distributions:
                file[f"distributions/{name}/backgrounds"] = evaluation.background_distributions[name]
        for name, columns in evaluation.validation.items():
            for key, values in columns.items():
                file[f"validation/{name}/{key}"] = values
        for name, history in evaluation.histories.items():
            file[f"histories/{name}"] = json.dumps(history)
        file.attrs["sigma_true_pb"] = evaluation.sigma_true
        file.attrs["sigma_background_pb"] = evaluation.sigma_background
        file.attrs["background_processes"] = json.dumps(list(evaluation.sigma_backgrounds))
        file.attrs["n_simulated_events"] = evaluation.n_simulated
        provenance.attach(file)


def _finite(value: float) -> float | str | None:
    """JSON has no inf or NaN: ±inf (the region reaches the grid's edge) as text, NaN as null."""
    if math.isnan(value):
        return None
    return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def validation_metrics(columns: dict[str, np.ndarray]) -> dict[str, Any]:
    """How close the estimates are to the true values (else the joint ones), with the events
    weighted as the distribution the estimator learned under (``weights``, else equally):
    per column (score components; one for log r) the correlation and the mean squared error."""
    against = "true" if "true" in columns else "joint"
    estimated = np.asarray(columns["estimated"]).reshape(len(columns["estimated"]), -1)
    reference = np.asarray(columns[against]).reshape(estimated.shape)
    weights = np.asarray(columns.get("weights", np.ones(len(estimated))), dtype=float)
    correlation = [weighted_correlation(estimated[:, i], reference[:, i], weights) for i in range(estimated.shape[1])]
    error = np.average((estimated - reference) ** 2, axis=0, weights=weights)
    return {"against": against, "correlation": correlation, "mean_squared_error": error.tolist(),
            "events": len(estimated)}


def weighted_correlation(a: np.ndarray, b: np.ndarray, weights: np.ndarray) -> float:
    """Pearson's correlation of a and b (n,) over events weighted by ``weights`` (n,); NaN
    where either is constant (an estimator that learned nothing)."""
    a, b = a - np.average(a, weights=weights), b - np.average(b, weights=weights)
    covariance = np.average(a * b, weights=weights)
    variances = np.average(a**2, weights=weights) * np.average(b**2, weights=weights)
    return float(covariance / np.sqrt(variances)) if variances > 0 else math.nan


def summary(setup: Setup, evaluation: Evaluation, settings: dict[str, Any], provenance: Provenance) -> dict[str, Any]:
    """Best fits, intervals, Fisher matrices, settings and provenance, JSON-ready."""
    names = setup.parameter_names
    limits: dict[str, dict[str, Any]] = {}
    for limit in evaluation.limits:
        limits.setdefault(limit.kind, {})[limit.mode] = {
            "best_fit": dict(zip(names, limit.best_fit.tolist())),
            "best_fit_on_grid": dict(zip(names, limit.best_fit_grid.tolist())),
            "intervals": {level: {n: [_finite(lo), _finite(hi)] for n, (lo, hi) in zip(names, bounds)}
                          for level, bounds in limit.intervals.items()},
        }
    fisher = {}
    for item in evaluation.information:
        entry: dict[str, Any] = {"profiled": item.profiled.tolist(), "projected": item.projected.tolist(),
                                 "full": item.full.tolist()}
        eigenvalues = np.linalg.eigvalsh(item.profiled)
        entry["eigenvalues_profiled"] = eigenvalues.tolist()
        if item.covariance is not None:
            entry["profiled_std"] = np.sqrt(np.diag(item.covariance)).reshape(item.profiled.shape).tolist()
        fisher[item.name] = entry
    return {
        "parameters": names,
        "nuisances": evaluation.nuisances,
        "theta_true": evaluation.theta_true.tolist(),
        "sigma_true_pb": evaluation.sigma_true,
        "sigma_background_pb": evaluation.sigma_background,
        "sigma_backgrounds_pb": evaluation.sigma_backgrounds,
        "background_area_ratios_68": evaluation.background_area_ratios,
        "systematics_area_ratios_68": evaluation.systematics_area_ratios,
        "n_simulated_events": evaluation.n_simulated,
        "fisher_information": fisher,
        "limits": limits,
        "validation": {name: validation_metrics(columns) for name, columns in evaluation.validation.items()},
        "warnings": evaluation.warnings,
        "settings": settings,
        "provenance": provenance.to_dict(),
    }

