"""plot: results files → figures (PNG, PDF) and summary.md."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from goldmine.io.atomic import atomic_directory

__all__ = ["plot"]

log = logging.getLogger(__name__)


def plot(results: Sequence[str | Path], output: str | Path) -> Path:
    """Fisher-information contours, p-value maps and contours of every mode, profiles,
    distributions by morphing, estimated-vs-true or joint scatter plots, training curves,
    the morphing weights of the ``results`` files (evaluate's results.h5), and summary.md
    listing the numbers and linking the figures, in the new folder ``output`` (one
    subfolder per results file when several). Returns the path of summary.md."""
    from goldmine.plotting.results import read_results
    from goldmine.plotting.run import plot_results
    from goldmine.plotting.summary import summary_markdown

    paths = [Path(path) for path in results]
    output = Path(output)
    loaded = [read_results(path) for path in paths]
    stems = [path.stem for path in paths]
    folders = [f"{i}_{stem}" for i, stem in enumerate(stems)] if len(set(stems)) < len(stems) else stems
    with atomic_directory(output) as directory:
        sections = ["# goldmine results", ""]
        for result, folder in zip(loaded, folders, strict=True):
            target = directory / folder if len(loaded) > 1 else directory
            figures = plot_results(result, target)
            sections.append(summary_markdown(result, figures, directory))
        (directory / "summary.md").write_text("\n".join(sections))
    log.info("wrote %s (summary.md and the figures)", output)
    return output / "summary.md"
