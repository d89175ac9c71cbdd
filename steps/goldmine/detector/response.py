"""Detector response formulas on flat numpy arrays (one entry per object, GeV).

- efficiency: a table of bins, the first with |η| ≤ eta_max and pT ≥ pt_min gives the
  probability (0 outside every bin); an object is kept if a uniform draw is below it;
- energy resolution: σ(E) = sqrt((c·E)² + s²·E + n²); E' = E + σ·N(0, 1), truncated
  at 0; the momentum is scaled by E'/E (η, φ unchanged);
- pT resolution (muons): σ(pT) = pT·sqrt(c² + (slope·pT)²); pT' = pT + σ·N(0, 1).
"""

from __future__ import annotations

import numpy as np

from goldmine.detector.card import Bin, Resolution

__all__ = ["efficiency", "energy_sigma", "pt_sigma", "smear"]


def efficiency(table: tuple[Bin, ...], pt: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Probability (n,) of reconstructing each object."""
    result = np.zeros(len(pt))
    assigned = np.zeros(len(pt), dtype=bool)
    for bin_ in table:
        inside = ~assigned & (np.abs(eta) <= bin_.eta_max) & (pt >= bin_.pt_min)
        result[inside] = bin_.value
        assigned |= inside
    return result


def energy_sigma(resolution: Resolution, energy: np.ndarray) -> np.ndarray:
    return np.sqrt((resolution.constant * energy) ** 2 + resolution.stochastic**2 * energy + resolution.noise**2)


def pt_sigma(resolution: Resolution, pt: np.ndarray) -> np.ndarray:
    return pt * np.sqrt(resolution.constant**2 + (resolution.slope * pt) ** 2)


def smear(value: np.ndarray, sigma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """value + σ·N(0, 1), never below 0."""
    return np.maximum(value + sigma * rng.standard_normal(len(value)), 0.0)
