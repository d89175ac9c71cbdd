"""PDG particle-id groups, and membership tests that work on numpy and awkward arrays."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["INVISIBLE", "JET_PARTONS", "NEUTRAL_VISIBLE", "NEUTRINOS", "is_any"]

NEUTRINOS = (12, 14, 16)
#: Quarks up to b, and the gluon: what becomes a jet at parton level.
JET_PARTONS = (1, 2, 3, 4, 5, 21)
#: Neutrinos and the lightest neutralino / sneutrino, which no detector sees.
INVISIBLE = (*NEUTRINOS, 1000022, 1000012)
#: The neutral particles a generator leaves undecayed that a calorimeter sees: the photon,
#: K_L, K_S, the neutron, Λ and Ξ⁰ (K_S, Λ and Ξ⁰ where the generator does not decay them).
NEUTRAL_VISIBLE = (22, 130, 310, 2112, 3122, 3322)


def is_any(abs_pid: Any, ids: Iterable[int]) -> Any:
    """Element-wise ``abs_pid`` ∈ ``ids`` for a (jagged) array of absolute PDG ids."""
    first, *rest = ids
    mask = abs_pid == first
    for pid in rest:
        mask = mask | (abs_pid == pid)
    return mask
