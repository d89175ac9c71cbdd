"""A toy process with a known density: dσ(z|a, b)/dz = (1 + a z1 + b z2)² on z ∈ [-1, 1]².

σ(a, b) = 4 (1 + a²/3 + b²/3); the density is quadratic in θ = (a, b), so morphing
with the six components 1, b, b², a, ab, a² is exact. Events are uniform z, sign-
symmetrised, with an even per-event factor v(z) = c0 + c1 z1² + c2 z2² solved so that
each partition block's weighted moments are exactly the uniform ones: every block
then gives σ(θ) to machine precision, and r(x,z), t(x,z) have exact analytic values
(v cancels in both). Observables: x = (z1, z2, event index).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import yaml

from goldmine.io.samples import SampleWriter, mixture_factors, write_sample_summary
from goldmine.io.setup_file import write_setup_sections
from goldmine.setup import Setup

BASIS = {"sm": (0.0, 0.0), "a_pos": (1.0, 0.0), "a_neg": (-1.0, 0.0), "b_pos": (0.0, 1.0), "b_neg": (0.0, -1.0),
         "mixed": (1.0, 1.0)}


def toy_config(*, index_column: bool = True, evaluation: dict | None = None, **augmentation) -> dict:
    observables = [
        {"name": "z1", "expression": "p_truth[0].px"},
        {"name": "z2", "expression": "p_truth[0].py"},
        {"name": "index", "expression": "p_truth[0].pz"},  # a label: toy tests write the values
    ]
    return {
        "name": "toy",
        "parameters": [
            {"name": "a", "lha_block": "toy", "lha_id": 1, "range": [-1.0, 1.0]},
            {"name": "b", "lha_block": "toy", "lha_id": 2, "range": [-1.0, 1.0]},
        ],
        "benchmarks": {name: {"a": a, "b": b} for name, (a, b) in BASIS.items()},
        "morphing": {"max_overall_power": 2, "basis": list(BASIS)},
        "generation": {"backend": "builtin", "events_per_job": 10, "sampling_benchmarks": ["sm"]},
        "observables": observables if index_column else observables[:2],
        "augmentation": augmentation,
        "evaluation": evaluation or {},
    }


def write_config(path: Path, **settings) -> Path:
    path.write_text(yaml.safe_dump(toy_config(**settings), sort_keys=False))
    return path


def sigma(theta: np.ndarray) -> np.ndarray:
    """σ(θ) for θ (..., 2)."""
    theta = np.asarray(theta, dtype=float)
    return 4.0 * (1.0 + (theta**2).sum(axis=-1) / 3.0)


def log_p(z: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """log p(z|θ) for z, θ (n, 2)."""
    return np.log((1.0 + (theta * z).sum(axis=-1)) ** 2) - np.log(sigma(theta))


def score(z: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """t(z|θ) = ∇_θ log p(z|θ), shape (n, 2)."""
    linear = 1.0 + (theta * z).sum(axis=-1, keepdims=True)
    return 2.0 * z / linear - (2.0 * theta / 3.0) / (1.0 + (theta**2).sum(axis=-1, keepdims=True) / 3.0)


def marginal_cdf(z1: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """CDF of z1 under p(z|θ) for a single θ = (a, b), a ≠ 0."""
    a, b = theta
    integral = 2.0 * ((1.0 + a * z1) ** 3 - (1.0 - a) ** 3) / (3.0 * a) + (2.0 * b**2 / 3.0) * (z1 + 1.0)
    return integral / sigma(theta)


def _block(n_events: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """z (n, 2) and v (n,) with exact uniform moments up to second order."""
    assert n_events % 4 == 0
    base = rng.uniform(-1.0, 1.0, size=(n_events // 4, 2))
    z = np.concatenate([base * sign for sign in ([1, 1], [-1, 1], [1, -1], [-1, -1])])
    z = z[rng.permutation(n_events)]
    basis = np.stack([np.ones(n_events), z[:, 0] ** 2, z[:, 1] ** 2], axis=1)
    moments = basis.T @ basis / n_events  # E[basis_i basis_j]
    coefficients = np.linalg.solve(moments, np.array([1.0, 1.0 / 3.0, 1.0 / 3.0]))
    return z, basis @ coefficients


def write_events(
    path: Path,
    setup: Setup,
    blocks: tuple[int, ...],
    rng: np.random.Generator,
    *,
    sampling_ids: np.ndarray | None = None,
    index_column: bool = True,
) -> np.ndarray:
    """Write blocks of exactly normalised events (one block per partition); returns z (N, 2).

    With ``sampling_ids``, the events of each sampling benchmark are stored with their
    weights divided by its share n_b / N_signal (MadMiner's convention), so that the file,
    read as a mixture, keeps the exact normalisation."""
    parts = [_block(n, rng) for n in blocks]
    z = np.concatenate([p[0] for p in parts])
    v = np.concatenate([p[1] for p in parts])
    n_events = len(z)
    thetas = setup.benchmark_values  # (B, 2)
    weights = v[:, None] * (1.0 + z @ thetas.T) ** 2 * 4.0 / n_events
    observations = np.column_stack([z, np.arange(n_events)]) if index_column else z
    ids = np.zeros(n_events, dtype=int) if sampling_ids is None else sampling_ids
    signal_events = np.bincount(ids[ids >= 0], minlength=len(thetas))
    shares = mixture_factors(ids, signal_events / signal_events.sum())
    with h5py.File(path, "w") as file:
        write_setup_sections(file, setup)
        SampleWriter(file, observations.shape[1], len(thetas)).append(observations, weights / shares[:, None], ids)
        write_sample_summary(file, signal_events, int(np.sum(ids < 0)))
    return z


# --- the line toy: dσ(z|a)/dz = (1 + a z)² on z ∈ [-1, 1], one parameter a ----------------


def line_config(*, luminosity_fb: float, theta_true: float, edges: list[float]) -> dict:
    """The line toy's config: benchmarks sm, a_pos, a_neg (the quadratic basis), the
    observable z, and an evaluation of histogram limits in the bins ``edges``."""
    return {
        "name": "line",
        "parameters": [{"name": "a", "lha_block": "toy", "lha_id": 1, "range": [-1.0, 1.0]}],
        "benchmarks": {"sm": {"a": 0.0}, "a_pos": {"a": 1.0}, "a_neg": {"a": -1.0}},
        "morphing": {"max_overall_power": 2, "basis": ["sm", "a_pos", "a_neg"]},
        "generation": {"backend": "builtin", "events_per_job": 10, "sampling_benchmarks": ["sm"]},
        "observables": [{"name": "z", "expression": "p_truth[0].px"}],
        "evaluation": {"luminosity_fb": luminosity_fb, "theta_true": [theta_true], "grid": {"a": [-1.0, 1.0, 41]},
                       "modes": ["histo"], "histograms": [{"observables": ["z"], "bins": [list(edges)]}],
                       "information_bins": [list(edges)]},
    }


def gauss_legendre(edges, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes z and weights of Gauss-Legendre quadrature with ``nodes`` nodes in every panel
    between ``edges``: Σ weight·f(z) is ∫ f exactly for polynomials of degree < 2·nodes."""
    points, point_weights = np.polynomial.legendre.leggauss(nodes)
    panels = list(zip(edges[:-1], edges[1:]))
    z = np.concatenate([(high - low) / 2 * points + (high + low) / 2 for low, high in panels])
    return z, np.concatenate([(high - low) / 2 * point_weights for low, high in panels])
