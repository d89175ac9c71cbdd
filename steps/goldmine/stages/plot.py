"""``goldmine plot``: results files → figures (PNG, PDF) and summary.md."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from goldmine.io.atomic import atomic_directory
from goldmine.stages.options import ManyValuesOption

log = logging.getLogger(__name__)


@click.command()
@click.option("--results", "results_paths", cls=ManyValuesOption, multiple=True, required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path), help="results.h5 files of evaluate.")
@click.option("--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to create: the figures (one subfolder per results file when several) and summary.md.")
def plot(results_paths: tuple[Path, ...], output: Path) -> None:
    """Fisher-information contours, p-value maps and contours of every mode, profiles,
    distributions by morphing, estimated-vs-joint scatter plots, training curves, the
    morphing weights, and summary.md listing the numbers and linking the plots."""
    from goldmine.plotting.results import read_results
    from goldmine.plotting.run import plot_results
    from goldmine.plotting.summary import summary_markdown

    loaded = [read_results(path) for path in results_paths]
    stems = [path.stem for path in results_paths]
    folders = [f"{i}_{stem}" for i, stem in enumerate(stems)] if len(set(stems)) < len(stems) else stems
    with atomic_directory(output) as directory:
        sections = ["# goldmine results", ""]
        for results, folder in zip(loaded, folders):
            target = directory / folder if len(loaded) > 1 else directory
            paths = plot_results(results, target)
            sections.append(summary_markdown(results, paths, directory))
        (directory / "summary.md").write_text("\n".join(sections))
    log.info("wrote %s (summary.md and the figures)", output)
