"""``summary.md``: the numbers of each results file and links to its plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from goldmine.plotting.results import Results

__all__ = ["summary_markdown"]


def _interval(bounds: list) -> str:
    def text(value) -> str:
        if value is None:
            return "?"
        return value if isinstance(value, str) else f"{value:.4g}"

    return f"[{text(bounds[0])}, {text(bounds[1])}]"


def summary_markdown(results: Results, plots: list[Path], root: Path) -> str:
    names = results.parameter_names
    summary = results.summary
    lines = [f"## {results.path.name}", ""]
    if summary:
        luminosity = summary.get("settings", {}).get("luminosity_pb")
        lines += [f"θ_true = {dict(zip(names, summary['theta_true']))}, σ(θ_true) = {summary['sigma_true_pb']:.5g} pb, "
                  f"L = {luminosity / 1000 if luminosity else '?'} fb⁻¹, {summary['n_simulated_events']} simulated "
                  f"events; nuisances (profiled): {', '.join(summary['nuisances']) or 'none'}", ""]
    lines += ["### Fisher information (nuisances profiled)", "",
              "| estimate | " + " | ".join(f"I[{a},{b}]" for i, a in enumerate(names) for b in names[i:]) +
              " | 1/√I (diagonal) |", "|---" * (2 + len(names) * (len(names) + 1) // 2) + "|"]
    for name, entry in results.fisher.items():
        matrix = entry["profiled"]
        values = [f"{matrix[i, j]:.4g}" for i in range(len(names)) for j in range(i, len(names))]
        widths = ", ".join(f"{1 / np.sqrt(matrix[i, i]):.3g}" if matrix[i, i] > 0 else "∞" for i in range(len(names)))
        lines.append(f"| {name} | " + " | ".join(values) + f" | {widths} |")
    for kind, modes in (summary.get("limits") or {}).items():
        lines += ["", f"### {kind.capitalize()} limits", "", "| mode | best fit | " +
                  " | ".join(f"{n} 68% | {n} 95%" for n in names) + " |", "|---" * (2 + 2 * len(names)) + "|"]
        for mode, limit in modes.items():
            best = ", ".join(f"{limit['best_fit'][n]:.4g}" for n in names)
            cells = [_interval(limit["intervals"][level][n]) for n in names for level in ("68", "95")]
            lines.append(f"| {mode} | {best} | " + " | ".join(cells) + " |")
    if summary.get("warnings"):
        lines += ["", "### Warnings", ""] + [f"- {w}" for w in summary["warnings"]]
    lines += ["", "### Plots", ""]
    lines += [f"- [{p.stem}]({p.relative_to(root).as_posix()})" for p in plots if p.suffix == ".png"]
    return "\n".join(lines) + "\n"
