"""Distributions of each observable at several θ, by morphing the stored histograms, and the
morphing basis' Σ_b w_b(θ)² over the θ grid (large values: large statistical errors)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from goldmine.physics.morphing import component_values
from goldmine.plotting.results import Results
from goldmine.plotting.style import COLORS, new_figure, save

__all__ = ["plot_distributions", "plot_morphing_weights", "plot_signal_and_background"]


def _points(results: Results) -> tuple[np.ndarray, list[str]]:
    """θ_true and the basis benchmarks (at most five points)."""
    setup = results.setup
    thetas = [results.theta_true] + [b for b in setup.benchmark_values[: setup.morpher.n_components]]
    labels = ["θ_true"] + setup.benchmark_names[: setup.morpher.n_components]
    unique, seen = [], set()
    for theta, label in zip(thetas, labels):
        key = tuple(np.round(theta, 12))
        if key not in seen:
            seen.add(key)
            unique.append((theta, label))
    unique = unique[:5]
    return np.array([u[0] for u in unique]), [f"{u[1]} ({', '.join(f'{v:g}' for v in u[0])})" for u in unique]


def plot_distributions(results: Results, directory: Path) -> list[Path]:
    if results.setup.morpher is None or not results.distributions:
        return []
    thetas, labels = _points(results)
    values = component_values(thetas, results.setup.morpher.components)  # (k, C)
    names = list(results.distributions)
    figure, axes = new_figure(min(3, len(names)), (len(names) + 2) // 3, size=5.0)
    for index, name in enumerate(names):
        axis = axes.flat[index]
        edges = results.distributions[name]["edges"]
        cells = results.distributions[name]["cells"][: len(edges) - 1]  # the missing slot left out
        sigma = values @ cells.T  # (k, bins)
        for color, label, row in zip(COLORS, labels, sigma):
            total = row.sum()
            axis.stairs(row / total if total > 0 else row, edges, color=color, label=label, linewidth=1.5)
        axis.set_xlabel(name)
        axis.set_ylabel("fraction per bin")
    for axis in axes.flat[len(names):]:
        axis.set_visible(False)
    axes.flat[0].legend(fontsize=10)
    return save(figure, directory, "distributions")


def plot_signal_and_background(results: Results, directory: Path) -> list[Path]:
    """dσ/dx at θ_true of every observable, the background processes and the signal stacked
    and the signal alone (bins of equal σ, as stored)."""
    names = [name for name, entry in results.distributions.items() if "backgrounds" in entry]
    if results.setup.morpher is None or not names:
        return []
    values = component_values(results.theta_true[np.newaxis, :], results.setup.morpher.components)[0]  # (C,)
    figure, axes = new_figure(min(3, len(names)), (len(names) + 2) // 3, size=5.0)
    for index, name in enumerate(names):
        axis = axes.flat[index]
        entry = results.distributions[name]
        edges = entry["edges"]
        n_bins = len(edges) - 1
        widths = np.diff(edges)
        per_unit = lambda sigma: np.divide(sigma, widths, out=np.zeros_like(sigma, dtype=float), where=widths > 0)
        total = per_unit(entry["cells"][:n_bins] @ values)
        stacked = np.cumsum(per_unit(entry["backgrounds"][:, :n_bins]), axis=0)  # (P, nb): process after process
        background = stacked[-1]
        for k, (process, top) in enumerate(zip(results.background_processes, stacked, strict=True)):
            axis.stairs(top, edges, baseline=stacked[k - 1] if k else 0, fill=True,
                        color=COLORS[(k + 1) % len(COLORS)], alpha=0.6, label=process)
        axis.stairs(total, edges, baseline=background, fill=True, color=COLORS[0], alpha=0.6, label="signal")
        # the signal alone as a line too: stacked on a far larger background it is invisible
        axis.stairs(total - background, edges, color=COLORS[0], linewidth=1.5, label="signal alone")
        axis.set_xlabel(name)
        axis.set_ylabel("dσ/dx [pb per unit]")
        axis.set_yscale("log")
    for axis in axes.flat[len(names):]:
        axis.set_visible(False)
    axes.flat[0].legend(fontsize=10)
    return save(figure, directory, "signal_and_background")


def plot_morphing_weights(results: Results, directory: Path) -> list[Path]:
    setup = results.setup
    if setup.morpher is None or len(results.axes) != 2:
        return []
    weights = setup.morpher.weights(results.grid)
    total = (weights**2).sum(axis=1).reshape(len(results.axes[0]), len(results.axes[1]))
    figure, axes = new_figure()
    axis = axes[0, 0]
    mesh = axis.pcolormesh(results.axes[0], results.axes[1], np.log10(total).T, shading="nearest", cmap="magma")
    figure.colorbar(mesh, ax=axis, label="log$_{10}$ Σ$_b$ w$_b$(θ)$^2$")
    basis = setup.morpher.basis
    axis.scatter(basis[:, 0], basis[:, 1], color="white", edgecolor="black", s=60, label="basis")
    axis.set_xlabel(setup.parameter_names[0])
    axis.set_ylabel(setup.parameter_names[1])
    axis.legend(fontsize=11)
    return save(figure, directory, "morphing_weights")
