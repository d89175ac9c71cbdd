"""Expression values on event arrays as numpy columns.

:func:`goldmine.expressions.evaluate` gives awkward arrays in which an index past an
event's multiplicity is ``None``; :func:`to_numbers` and :func:`to_flags` turn them into
numpy columns with the missing values marked.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

__all__ = ["to_flags", "to_numbers"]

def to_numbers(value: Any, n_events: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, missing): float64 (n_events,) with NaN where missing, and the missing mask."""
    if not isinstance(value, ak.Array):
        return np.full(n_events, float(value)), np.zeros(n_events, dtype=bool)
    missing = np.asarray(ak.to_numpy(ak.is_none(value, axis=0)), dtype=bool)
    numbers = np.asarray(ak.to_numpy(ak.fill_none(value, np.nan, axis=0)), dtype=np.float64)
    return numbers, missing


def to_flags(value: Any, n_events: int) -> np.ndarray:
    """Boolean (n_events,); a missing value counts as False."""
    if not isinstance(value, ak.Array):
        return np.full(n_events, bool(value))
    return np.asarray(ak.to_numpy(ak.fill_none(value, False, axis=0)), dtype=bool)
