"""``summary.md``: the numbers of each results file and links to its plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from goldmine.plotting.results import BOUNDS, SIGNAL_ONLY, Results, fisher_by_event_set

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
    if summary and summary.get("sigma_background_pb"):
        lines += _signal_and_background(summary, results, names)
    if summary and summary.get("nuisances"):
        lines += _systematics(summary, results, names)
    lines += ["### Fisher information (nuisances profiled)", "",
              "| estimate | " + " | ".join(f"I[{a},{b}]" for i, a in enumerate(names) for b in names[i:]) +
              " | 1/√I (diagonal) |", "|---" * (2 + len(names) * (len(names) + 1) // 2) + "|"]
    for name, entry in fisher_by_event_set(results.fisher)[0].items():  # the signal alone: in its own table
        matrix = entry["profiled"]
        values = [f"{matrix[i, j]:.4g}" for i in range(len(names)) for j in range(i, len(names))]
        widths = ", ".join(f"{1 / np.sqrt(matrix[i, i]):.3g}" if matrix[i, i] > 0 else "∞" for i in range(len(names)))
        lines.append(f"| {name} | " + " | ".join(values) + f" | {widths} |")
    lines += _shares_of_the_bounds(results, names)
    for kind, modes in (summary.get("limits") or {}).items():
        lines += ["", f"### {kind.capitalize()} limits", "", "| mode | best fit | " +
                  " | ".join(f"{n} 68% | {n} 95%" for n in names) + " |", "|---" * (2 + 2 * len(names)) + "|"]
        for mode, limit in modes.items():
            best = ", ".join(f"{limit['best_fit'][n]:.4g}" for n in names)
            cells = [_interval(limit["intervals"][level][n]) for n in names for level in ("68", "95")]
            lines.append(f"| {mode} | {best} | " + " | ".join(cells) + " |")
    if summary.get("validation"):
        lines += _validation(summary["validation"])
    if summary.get("warnings"):
        lines += ["", "### Warnings", ""] + [f"- {w}" for w in summary["warnings"]]
    lines += ["", "### Plots", ""]
    lines += [f"- [{p.stem}]({p.relative_to(root).as_posix()})" for p in plots if p.suffix == ".png"]
    return "\n".join(lines) + "\n"


def _shares_of_the_bounds(results: Results, names: list[str]) -> list[str]:
    """Each estimate's profiled diagonal information as a share of the bounds' (BOUNDS) of
    its own event set (``signal_only:`` entries against ``signal_only:exact`` and
    ``signal_only:truth``)."""
    rows = []
    for prefix, entries in zip(("", SIGNAL_ONLY), fisher_by_event_set(results.fisher), strict=True):
        for name, entry in entries.items():
            if name in BOUNDS:
                continue
            shares = []
            for bound in BOUNDS:
                reference = entries.get(bound)
                shares.append("—" if reference is None else ", ".join(
                    f"{100 * entry['profiled'][i, i] / reference['profiled'][i, i]:.2g}%"
                    if reference["profiled"][i, i] > 0 else "—" for i in range(len(names))))
            if any(share != "—" for share in shares):
                rows.append(f"| {prefix}{name} | " + " | ".join(shares) + " |")
    if not rows:
        return []
    return ["", "### Share of the truth-level information", "",
            f"Profiled diagonal information ({', '.join(names)}) over that of the exact likelihood of the "
            "truth-level event (`exact`: no estimate of the observed event exceeds it) and over the joint "
            "bound (`truth`: it also counts the latent variables), each against the bound of its own event set.", "",
            "| estimate | of exact | of truth |", "|---|---|---|", *rows]


def _signal_and_background(summary: dict, results: Results, names: list[str]) -> list[str]:
    """S and B at θ_true, the information with and without the background, and how much
    the background widens each expected 68% region."""
    luminosity = summary.get("settings", {}).get("luminosity_pb") or 0.0
    sigma_b = summary["sigma_background_pb"]
    sigma_s = summary["sigma_true_pb"] - sigma_b
    lines = ["### Signal and background", "",
             f"At θ_true: S = {sigma_s * luminosity:.4g}, B = {sigma_b * luminosity:.4g} expected events "
             f"(σ_s = {sigma_s:.4g} pb, σ_b = {sigma_b:.4g} pb).", ""]
    per_process = summary.get("sigma_backgrounds_pb") or {}
    if per_process:
        lines += ["| background | σ [pb] | expected events |", "|---|---|---|"]
        lines += [f"| {process} | {sigma:.4g} | {sigma * luminosity:.4g} |" for process, sigma in per_process.items()]
        lines.append("")
    lines += ["| information (profiled diagonal) | with background | signal only |", "|---|---|---|"]
    together, alone = fisher_by_event_set(results.fisher)
    cell = lambda entry: ", ".join(f"{entry['profiled'][i, i]:.4g}" for i in range(len(names))) if entry else "—"
    for name in [*together, *(name for name in alone if name not in together)]:
        if name in alone or name.split(":")[0] == "sally":  # a model of the signal alone: its histogram and itself
            lines.append(f"| {name} | {cell(together.get(name))} | {cell(alone.get(name))} |")
    ratios = summary.get("background_area_ratios_68") or {}
    if ratios:
        lines += ["", "Size of the expected 68% region (product of the profiled interval widths) with the "
                  "background over that without: " +
                  ", ".join(f"{mode} {ratio:.3g}" for mode, ratio in ratios.items()) + "."]
    return [*lines, ""]


def _systematics(summary: dict, results: Results, names: list[str]) -> list[str]:
    """The information with the nuisances profiled and with them fixed (projected), and how
    much profiling widens each expected 68% region."""
    lines = ["### Systematics", "",
             f"Nuisances: {', '.join(summary['nuisances'])}. With them profiled (unknown) and fixed at their "
             "nominal values (known):", "",
             "| estimate | nuisances | 1/√I profiled | 1/√I fixed |", "|---|---|---|---|"]
    width = lambda matrix: ", ".join(f"{1 / np.sqrt(matrix[i, i]):.3g}" if matrix[i, i] > 0 else "∞"
                                     for i in range(len(names)))
    for name, entry in fisher_by_event_set(results.fisher)[0].items():
        lines.append(f"| {name} | {', '.join(entry.get('nuisances', [])) or 'none'} | {width(entry['profiled'])} | "
                     f"{width(entry['projected'])} |")
    ratios = summary.get("systematics_area_ratios_68") or {}
    if ratios:
        lines += ["", "Size of the expected 68% region (product of the profiled interval widths) with the nuisances "
                  "profiled over that with them fixed: " +
                  ", ".join(f"{mode} {ratio:.3g}" for mode, ratio in ratios.items()) + "."]
    return [*lines, ""]


def _validation(validation: dict) -> list[str]:
    """Estimates against the true values (events with true weights), else the joint ones."""
    lines = ["", "### Estimates against the true values" if any(v["against"] == "true" for v in validation.values())
             else "### Estimates against the joint values", "",
             "| model | against | correlation | mean squared error | events |", "|---|---|---|---|---|"]
    for model, entry in validation.items():
        correlation = ", ".join(f"{c:.4f}" for c in entry["correlation"])
        error = ", ".join(f"{e:.4g}" for e in entry["mean_squared_error"])
        lines.append(f"| {model} | {entry['against']} | {correlation} | {error} | {entry['events']} |")
    return lines
