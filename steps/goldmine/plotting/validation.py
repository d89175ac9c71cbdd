"""Estimated vs true (t(x), log r(x)) or joint (t(x,z), log r(x,z)) values, and training curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from goldmine.plotting.results import Results
from goldmine.plotting.style import COLORS, new_figure, save

__all__ = ["plot_training", "plot_validation"]


def plot_validation(results: Results, directory: Path) -> list[Path]:
    """Per model, estimated against true values where the events carry true weights (the
    joint ones behind them in grey, scattered by the latent z), else against the joint ones."""
    paths = []
    for model, columns in results.validation.items():
        estimated = np.atleast_2d(columns["estimated"].T).T
        has_truth = "true" in columns
        reference = np.atleast_2d(columns["true" if has_truth else "joint"].T).T
        joint = np.atleast_2d(columns["joint"].T).T
        n_columns = estimated.shape[1]
        figure, axes = new_figure(n_columns, size=5.0)
        is_score = columns["theta"].ndim == 2 and estimated.shape[1] == columns["theta"].shape[1] and \
            np.allclose(columns["theta"], columns["theta"][0])
        for i in range(n_columns):
            axis = axes[0, i]
            if has_truth:
                axis.scatter(joint[:, i], estimated[:, i], s=3, alpha=0.25, color="0.6", label="vs joint")
            axis.scatter(reference[:, i], estimated[:, i], s=3, alpha=0.4, color=COLORS[0],
                         label="vs true" if has_truth else None)
            low = np.percentile(np.concatenate([reference[:, i], estimated[:, i]]), 0.5)
            high = np.percentile(np.concatenate([reference[:, i], estimated[:, i]]), 99.5)
            axis.plot([low, high], [low, high], color="black", linestyle="--")
            axis.set_xlim(low, high)
            axis.set_ylim(low, high)
            name = results.parameter_names[i] if is_score else ""
            if has_truth:
                axis.set_xlabel(f"true t(x) {name}" if is_score else "true log r(x)")
                axis.legend(fontsize=9, markerscale=4)
            else:
                axis.set_xlabel(f"joint t(x,z) {name}" if is_score else "joint log r(x,z)")
            axis.set_ylabel(f"estimated t̂(x) {name}" if is_score else "estimated log r̂(x)")
            against = "true" if has_truth else "joint"
            # evaluate's weighted correlation (results.json) where there, else the plain one
            metrics = (results.summary or {}).get("validation", {}).get(model)
            correlation = metrics["correlation"][i] if metrics else np.corrcoef(reference[:, i], estimated[:, i])[0, 1]
            axis.set_title(f"{model}: correlation with {against} {correlation:.3f}", fontsize=12)
        paths += save(figure, directory, f"validation_{model}")
    return paths


def plot_training(results: Results, directory: Path) -> list[Path]:
    if not results.histories:
        return []
    figure, axes = new_figure()
    axis = axes[0, 0]
    for color, (name, history) in zip(COLORS * 5, results.histories.items()):
        if not history:
            continue
        epochs = [record["epoch"] for record in history]
        axis.plot(epochs, [r["train_loss"] for r in history], color=color, label=f"{name} train")
        if "validation_loss" in history[0]:
            axis.plot(epochs, [r["validation_loss"] for r in history], color=color, linestyle="--",
                      label=f"{name} validation")
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss")
    losses = [r[k] for h in results.histories.values() for r in h for k in ("train_loss", "validation_loss") if k in r]
    if losses and min(losses) > 0:  # likelihood losses (−log p̂) can be negative
        axis.set_yscale("log")
    axis.legend(fontsize=9)
    return save(figure, directory, "training")
