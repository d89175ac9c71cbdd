"""All plots of one results file, as a recipe."""

from __future__ import annotations

from pathlib import Path

from goldmine.plotting.distributions import plot_distributions, plot_morphing_weights, plot_signal_and_background
from goldmine.plotting.fisher import plot_fisher_contours, plot_information_distribution
from goldmine.plotting.limits import plot_limits
from goldmine.plotting.results import Results
from goldmine.plotting.validation import plot_training, plot_validation

__all__ = ["plot_results"]


def plot_results(results: Results, directory: Path) -> list[Path]:
    """Every figure (PNG and PDF) of ``results`` into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    paths += plot_fisher_contours(results, directory)
    paths += plot_information_distribution(results, directory)
    paths += plot_limits(results, directory)
    paths += plot_distributions(results, directory)
    paths += plot_signal_and_background(results, directory)
    paths += plot_validation(results, directory)
    paths += plot_training(results, directory)
    paths += plot_morphing_weights(results, directory)
    return paths
