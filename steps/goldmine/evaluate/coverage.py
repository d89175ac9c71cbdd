"""Whether a histogram's background is sampled where its signal is.

A counting mode takes each cell's expected background from the background MC events in
it. Where a cell holds signal events and no background event, its expected background is
zero, though the true one is not: with a background 10²–10³ times the signal and a few
hundred background MC events spread over the cells, those cells see a background-free
signal, and the limits come out far too narrow. This module measures how much of the
signal sits in such cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["UncoveredSignal", "uncovered_signal"]


@dataclass(frozen=True)
class UncoveredSignal:
    """``share``: the signal's σ in cells without a background MC event over its total;
    ``cells``: how many such cells hold signal, of ``n_cells``."""

    share: float
    cells: int
    n_cells: int


def uncovered_signal(cells: np.ndarray, n_cells: int, background: np.ndarray, weights: np.ndarray) -> UncoveredSignal:
    """For events in ``cells`` (n,) of ``n_cells``, which are ``background`` (n,) bool, with
    ``weights`` (n,) in pb."""
    background_events = np.bincount(cells[background], minlength=n_cells)
    signal = np.bincount(cells[~background], weights=np.maximum(weights[~background], 0.0), minlength=n_cells)
    uncovered = (background_events == 0) & (signal > 0)
    total = signal.sum()
    return UncoveredSignal(float(signal[uncovered].sum() / total) if total > 0 else 0.0, int(uncovered.sum()), n_cells)
