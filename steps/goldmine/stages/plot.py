"""``goldmine plot``: results files → figures (PNG, PDF) and summary.md (:func:`goldmine.api.plot`)."""

from __future__ import annotations

from pathlib import Path

import click

from goldmine.stages.options import ManyValuesOption


@click.command()
@click.option("--results", "results_paths", cls=ManyValuesOption, multiple=True, required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path), help="results.h5 files of evaluate.")
@click.option("--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to create: the figures (one subfolder per results file when several) and summary.md.")
def plot(results_paths: tuple[Path, ...], output: Path) -> None:
    """Fisher-information contours, p-value maps and contours of every mode, profiles,
    distributions by morphing, estimated-vs-joint scatter plots, training curves, the
    morphing weights, and summary.md listing the numbers and linking the plots."""
    from goldmine.api import plot as plot_results

    plot_results(results_paths, output)
