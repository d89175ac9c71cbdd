"""HEP style (mplhep) and saving: every figure as PNG and PDF."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import mplhep  # noqa: E402

__all__ = ["COLORS", "new_figure", "save"]

COLORS = ["#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6", "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd"]


def new_figure(n_columns: int = 1, n_rows: int = 1, *, size: float = 6.0):
    """A figure of n_rows × n_columns square panels in the mplhep ROOT style."""
    plt.style.use(mplhep.style.ROOT)
    figure, axes = plt.subplots(n_rows, n_columns, figsize=(size * n_columns, size * n_rows), squeeze=False)
    return figure, axes


def save(figure, directory: Path, name: str) -> list[Path]:
    """Write ``name``.png and ``name``.pdf into ``directory``; returns both paths."""
    paths = [directory / f"{name}.png", directory / f"{name}.pdf"]
    figure.tight_layout()
    for path in paths:
        figure.savefig(path, dpi=120)
    plt.close(figure)
    return paths
