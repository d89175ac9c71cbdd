"""Fisher-information contours: the 68% CL ellipse Δθᵀ I Δθ = χ²_P(0.68) of each estimate (with
its nuisances profiled, and dashed with them fixed), with the band of the ensemble members'
ellipses, and the information distributed over an observable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import stats

from goldmine.plotting.results import BOUNDS, Results, fisher_by_event_set
from goldmine.plotting.style import COLORS, new_figure, save

__all__ = ["plot_fisher_contours", "plot_information_distribution"]


def _radius(information: np.ndarray, directions: np.ndarray, level: float) -> np.ndarray:
    """Distance from the centre to the ellipse along unit ``directions`` (n, 2)."""
    quadratic = np.einsum("ni,ij,nj->n", directions, information, directions)
    return np.sqrt(level / np.maximum(quadratic, 1e-300))


#: The bounds (BOUNDS) are drawn in black: the exact likelihood's information solid, the joint one dotted.
BOUND_STYLES = dict(zip(BOUNDS, ("-", ":"), strict=True))


def fisher_panels(fisher: dict[str, dict]) -> dict[str, dict[str, dict]]:
    """The Fisher entries by event set, each panel's entries by name without its prefix: one
    panel, or with signal-only entries "with background" and "signal alone" (their
    ellipses differ by orders of magnitude, so each panel zooms to its own)."""
    together, alone = fisher_by_event_set(fisher)
    return {"with background": together, "signal alone": alone} if alone else {"": together}


def plot_fisher_contours(results: Results, directory: Path) -> list[Path]:
    names = results.parameter_names
    if len(names) < 2:
        figure, axes = new_figure()
        axis = axes[0, 0]
        labels = list(results.fisher)
        widths = [1 / np.sqrt(max(results.fisher[k]["profiled"][0, 0], 1e-300)) for k in labels]
        axis.barh(labels, widths, color=COLORS[: len(labels)])
        axis.set_xlabel(f"1/√I: expected 68% CL half-width in {names[0]}")
        return save(figure, directory, "fisher_information")
    panels = fisher_panels(results.fisher)
    estimates = [n for n in dict.fromkeys(n for entries in panels.values() for n in entries) if n not in BOUND_STYLES]
    colors = dict(zip(estimates, COLORS * 3))  # one estimate, one colour in every panel
    figure, axes = new_figure(len(panels))
    profiled = any(entry.get("nuisances") for entry in results.fisher.values())
    for axis, (title, entries) in zip(axes[0], panels.items(), strict=True):
        _draw_ellipses(axis, results, entries, colors)
        axis.set_title(", ".join(filter(None, ["Fisher information, 68% CL", title])), fontsize=14)
    if profiled:
        figure.suptitle("nuisances profiled; dashed: fixed", fontsize=12)
    return save(figure, directory, "fisher_information")


def _draw_ellipses(axis, results: Results, entries: dict[str, dict], colors: dict[str, str]) -> None:
    """The 68% CL ellipse of each entry around θ_true, zoomed to them: an estimate in its
    colour (its members' band shaded, dashed with its nuisances fixed), a bound in black."""
    names = results.parameter_names
    level = stats.chi2.ppf(0.68, df=2)
    angles = np.linspace(0, 2 * np.pi, 721)
    directions = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    centre = results.theta_true[:2]
    extent = 0.0
    for name, entry in entries.items():
        color, style = ("black", BOUND_STYLES[name]) if name in BOUND_STYLES else (colors[name], "-")
        information = entry["profiled"][:2, :2]
        radius = _radius(information, directions, level)
        finite = np.isfinite(radius) & (radius < 1e6)
        if not finite.any():
            continue
        points = centre + directions * radius[:, None]
        axis.plot(points[finite, 0], points[finite, 1], color=color, linestyle=style, label=name)
        if entry.get("nuisances") and name not in BOUND_STYLES:  # the estimate with every nuisance fixed (known)
            fixed = centre + directions * _radius(entry["projected"][:2, :2], directions, level)[:, None]
            axis.plot(fixed[finite, 0], fixed[finite, 1], color=color, linestyle="--", linewidth=1)
        extent = max(extent, float(np.percentile(radius[finite], 90)))
        if "members" in entry:
            member_radii = np.array([_radius(m[:2, :2], directions, level) for m in entry["members"]])
            low, high = centre + directions * member_radii.min(0)[:, None], centre + directions * member_radii.max(0)[:, None]
            polygon = np.concatenate([low, high[::-1]])
            axis.fill(polygon[:, 0], polygon[:, 1], color=color, alpha=0.25, linewidth=0)
    lows, highs = np.array([a[0] for a in results.axes[:2]]), np.array([a[-1] for a in results.axes[:2]])
    span = min(extent * 1.3, float(np.max(highs - lows))) if extent > 0 else float(np.max(highs - lows)) / 2
    axis.set_xlim(centre[0] - span, centre[0] + span)
    axis.set_ylim(centre[1] - span, centre[1] + span)
    axis.scatter(*centre, marker="*", color="black", zorder=5)
    axis.set_xlabel(names[0])
    axis.set_ylabel(names[1])
    axis.legend(fontsize=10, loc="upper right")


def plot_information_distribution(results: Results, directory: Path) -> list[Path]:
    """dσ/dx over the bins of an observable, and det(I_bin)^(1/P) of the truth-level and
    score-model (kinematic) information of the events in each bin."""
    paths = []
    for observable, entry in results.information_distribution.items():
        edges = np.asarray(entry["edges"], dtype=float)
        n_bins = len(edges) - 1
        figure, axes = new_figure(2)
        sigma, widths = entry["sigma"][:n_bins], np.diff(edges)
        # equal-weight edges coincide where one value holds several bins' weight (a count, a
        # clipped value): such a bin has no width to spread its σ over and is drawn empty
        density = np.divide(sigma, widths, out=np.zeros_like(sigma, dtype=float), where=widths > 0)
        if "sigma_background" in entry:  # σ_s and σ_b shaded, stacked (as in arXiv:1907.10621 Fig. 6)
            background = np.divide(entry["sigma_background"][:n_bins], widths, out=np.zeros_like(density),
                                   where=widths > 0)
            axes[0, 0].stairs(background, edges, fill=True, color=COLORS[1], alpha=0.5, label="σ_b")
            axes[0, 0].stairs(density, edges, baseline=background, fill=True, color=COLORS[0], alpha=0.5,
                              label="σ_s")
            axes[0, 0].legend(fontsize=12)
        axes[0, 0].stairs(density, edges, color=COLORS[0], linewidth=2)
        axes[0, 0].set_xlabel(observable)
        axes[0, 0].set_ylabel(f"dσ/d{observable} [pb per unit]")
        n_parameters = entry["truth"].shape[-1]
        # the rate information of a bin is rank one (det = 0) and is left out here
        for color, key in zip(COLORS, [k for k in entry if k == "truth" or k.startswith("kinematic_")]):
            determinant = np.linalg.det(entry[key][:n_bins]).clip(min=0) ** (1 / n_parameters)
            axes[0, 1].stairs(determinant, edges, color=color, linewidth=2, label=key.replace("_", " "))
        axes[0, 1].set_xlabel(observable)
        axes[0, 1].set_ylabel("det(I)$^{1/P}$ per bin")
        axes[0, 1].legend(fontsize=12)
        paths += save(figure, directory, f"information_over_{observable}")
    return paths
