"""Limits: p-value maps per mode, 68%/95% contours of every mode on one figure, 1-D profiles,
and the expected 68% regions with and without systematics."""

from __future__ import annotations

from pathlib import Path

from scipy import stats

from goldmine.plotting.results import Results
from goldmine.plotting.style import COLORS, new_figure, save

__all__ = ["plot_limits"]


def _safe(name: str) -> str:
    return name.replace(":", "_").replace(",", "_")


def plot_limits(results: Results, directory: Path) -> list[Path]:
    paths = []
    names = results.parameter_names
    shape = tuple(len(a) for a in results.axes)
    for kind, modes in results.limits.items():
        if len(names) >= 2 and len(shape) == 2:
            paths += _contours(results, kind, modes, shape, directory)
            for mode, limit in modes.items():
                figure, axes = new_figure()
                axis = axes[0, 0]
                mesh = axis.pcolormesh(results.axes[0], results.axes[1], limit["p_values"].reshape(shape).T,
                                       shading="nearest", cmap="viridis", vmin=0, vmax=1)
                figure.colorbar(mesh, ax=axis, label="p-value")
                axis.contour(results.axes[0], results.axes[1], limit["p_values"].reshape(shape).T,
                             levels=[0.05, 0.3173], colors=["white", "white"], linestyles=["--", "-"])
                axis.scatter(*limit["best_fit"][:2], marker="*", color="red", label="best fit", zorder=5)
                axis.set_xlabel(names[0])
                axis.set_ylabel(names[1])
                axis.set_title(f"{kind}: {mode}", fontsize=14)
                paths += save(figure, directory, f"pvalues_{kind}_{_safe(mode)}")
        figure, axes = new_figure(len(names))
        threshold_68, threshold_95 = stats.chi2.ppf(0.6827, 1), stats.chi2.ppf(0.95, 1)
        for i, name in enumerate(names):
            axis = axes[0, i]
            for color, (mode, limit) in zip(COLORS * 3, modes.items()):
                axis.plot(results.axes[i], limit[f"profile_{i}"], color=color, label=mode)
            for threshold in (threshold_68, threshold_95):
                axis.axhline(threshold, color="gray", linestyle=":")
            axis.set_ylim(0, 3 * threshold_95)
            axis.set_xlabel(name)
            axis.set_ylabel("profiled $-2\\Delta\\log L$")
        axes[0, 0].legend(fontsize=11)
        axes[0, 0].set_title(f"{kind} limits", fontsize=14)
        paths += save(figure, directory, f"profiles_{kind}")
    if len(shape) == 2 and "expected" in results.limits and "no_systematics" in results.limits:
        paths += _systematics_contours(results, shape, directory)
    return paths


def _systematics_contours(results: Results, shape: tuple[int, ...], directory: Path) -> list[Path]:
    """Expected 68% regions of each mode with the nuisances profiled (solid) and fixed
    (dashed), as in arXiv:1907.10621 Fig. 5 (right)."""
    figure, axes = new_figure()
    axis = axes[0, 0]
    fixed = results.limits["no_systematics"]
    for color, (mode, limit) in zip(COLORS * 3, results.limits["expected"].items()):
        if mode not in fixed:
            continue
        for entry, style in ((limit, "-"), (fixed[mode], "--")):
            p_values = entry["p_values"].reshape(shape).T
            if p_values.min() < 0.3173 < p_values.max():
                axis.contour(results.axes[0], results.axes[1], p_values, levels=[0.3173], colors=[color],
                             linestyles=style)
        axis.plot([], [], color=color, label=mode)
    axis.plot([], [], color="black", label="nuisances profiled")
    axis.plot([], [], color="black", linestyle="--", label="nuisances fixed")
    axis.scatter(*results.theta_true[:2], marker="*", color="black", zorder=5)
    axis.set_xlabel(results.parameter_names[0])
    axis.set_ylabel(results.parameter_names[1])
    axis.set_title("expected 68% CL, with and without systematics", fontsize=14)
    axis.legend(fontsize=11, loc="upper right")
    return save(figure, directory, "contours_systematics")


def _contours(results: Results, kind: str, modes: dict, shape: tuple[int, ...], directory: Path) -> list[Path]:
    figure, axes = new_figure()
    axis = axes[0, 0]
    for color, (mode, limit) in zip(COLORS * 3, modes.items()):
        p_values = limit["p_values"].reshape(shape).T
        if p_values.min() < 0.3173 < p_values.max():
            axis.contour(results.axes[0], results.axes[1], p_values, levels=[0.3173], colors=[color], linestyles="-")
        if p_values.min() < 0.05 < p_values.max():
            axis.contour(results.axes[0], results.axes[1], p_values, levels=[0.05], colors=[color], linestyles="--")
        axis.plot([], [], color=color, label=mode)
        axis.scatter(*limit["best_fit"][:2], marker="*", color=color, zorder=5)
    axis.plot([], [], color="black", label="68% CL")
    axis.plot([], [], color="black", linestyle="--", label="95% CL")
    axis.set_xlabel(results.parameter_names[0])
    axis.set_ylabel(results.parameter_names[1])
    axis.set_title(f"{kind} limits, all modes", fontsize=14)
    axis.legend(fontsize=11, loc="upper right")
    return save(figure, directory, f"contours_{kind}")
