"""Samplers: which θ each output row is drawn at, and which columns it gets.

MadMiner's names, so that its users find their way:

    local        x, theta, t_xz (θ, then the shape nuisances)  SALLY, SALLINO
    density      x, theta, t_xz                               NDE, SCANDAL
    ratio        x, theta0, theta1, y, r_xz, t_xz0, t_xz1     CARL, ROLR, ALICE(S), CASCAL, RASCAL
    more_ratios  the same, θ0 and θ1 both drawn               the doubly parameterised variants
    test, plain  x, theta

For the ratio samplers half the rows are drawn at θ0 (y = 0) and half at θ1 (y = 1);
every row carries its (θ0, θ1) pair, r_xz = r(x, z|θ0, θ1) and the joint scores at both.
Shapes: x (n, O), theta* and t_xz* (n, P), y and r_xz (n,); the local sampler's t_xz is
(n, P + K) with K shape nuisances (goldmine.physics.joint.joint_nuisance_score).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from goldmine.augment.unweighting import DrawnEvents
from goldmine.errors import GoldmineError
from goldmine.methods import SamplerName
from goldmine.physics.joint import joint_nuisance_score, joint_terms
from goldmine.thetas import ThetaSpec, resolve_thetas

__all__ = ["SAMPLER_COLUMNS", "DrawPlan", "plan_draws", "row_columns"]


SAMPLER_COLUMNS: dict[str, tuple[str, ...]] = {
    "local": ("x", "theta", "t_xz"),
    "density": ("x", "theta", "t_xz"),
    "ratio": ("x", "theta0", "theta1", "y", "r_xz", "t_xz0", "t_xz1"),
    "more_ratios": ("x", "theta0", "theta1", "y", "r_xz", "t_xz0", "t_xz1"),
    "test": ("x", "theta"),
    "plain": ("x", "theta"),
}


@dataclass(frozen=True, eq=False)
class DrawPlan:
    """``thetas`` (K, P) to draw at, ``draw_theta`` (n,) per row, and per-row parameter
    columns: ``theta`` (n, P) for single-θ samplers, or ``theta0``, ``theta1``, ``y``."""

    sampler: SamplerName
    thetas: np.ndarray
    draw_theta: np.ndarray
    columns: Mapping[str, np.ndarray]


def _even_counts(n_rows: int, n_groups: int) -> np.ndarray:
    """Split n rows over groups as evenly as possible (the first groups get the remainder)."""
    return np.full(n_groups, n_rows // n_groups) + (np.arange(n_groups) < n_rows % n_groups)


def plan_draws(
    sampler: SamplerName, specs: Mapping[str, ThetaSpec], n_rows: int, rng: np.random.Generator,
    *, rows_per_theta: int | None = None,
) -> DrawPlan:
    """Resolve the θ specifications and assign every output row its θ: ``n_rows`` split
    evenly over them, or for a single-θ sampler ``rows_per_theta`` at each (weighted rows:
    row k·N + i is event i at θ_k)."""
    if sampler in ("local", "density", "test", "plain"):
        thetas = resolve_thetas(specs["theta"], rng)
        counts = _even_counts(n_rows, len(thetas)) if rows_per_theta is None else np.full(len(thetas), rows_per_theta)
        draw_theta = np.repeat(np.arange(len(thetas)), counts)
        return DrawPlan(sampler, thetas, draw_theta, {"theta": thetas[draw_theta]})
    if rows_per_theta is not None:
        raise GoldmineError(f"the {sampler} sampler draws its rows; weighted rows are for one-θ samplers")

    theta0, theta1 = resolve_thetas(specs["theta0"], rng), resolve_thetas(specs["theta1"], rng)
    n_pairs = max(len(theta0), len(theta1))
    if min(len(theta0), len(theta1)) != 1 and len(theta0) != len(theta1):
        msg = (
            f"theta0 has {len(theta0)} points and theta1 {len(theta1)}: give one of them a single "
            "point or both the same number (they are paired in order)"
        )
        raise GoldmineError(msg)
    pair0 = np.arange(n_pairs) % len(theta0)
    pair1 = np.arange(n_pairs) % len(theta1)
    n_numerator = n_rows // 2
    pair = np.concatenate(
        [
            np.repeat(np.arange(n_pairs), _even_counts(n_numerator, n_pairs)),
            np.repeat(np.arange(n_pairs), _even_counts(n_rows - n_numerator, n_pairs)),
        ]
    )
    y = np.concatenate([np.zeros(n_numerator), np.ones(n_rows - n_numerator)])
    # Draw table: the θ0 points, then the θ1 points; y = 0 rows draw at θ0, y = 1 at θ1.
    thetas = np.concatenate([theta0, theta1])
    draw_theta = np.where(y == 0, pair0[pair], len(theta0) + pair1[pair])
    columns = {"theta0": theta0[pair0[pair]], "theta1": theta1[pair1[pair]], "y": y}
    return DrawPlan(sampler, thetas, draw_theta, columns)


def row_columns(
    plan: DrawPlan, drawn: DrawnEvents, components: np.ndarray, sigma_components: np.ndarray,
    nuisance_sigma_components: np.ndarray,
) -> dict[str, np.ndarray]:
    """The output columns of the rows in ``drawn``; ``nuisance_sigma_components`` (C, K):
    Σ_i g_i a_i of the partition's events."""
    rows = drawn.rows
    out: dict[str, np.ndarray] = {"x": drawn.observations}
    if drawn.weight is not None:
        out["weight"] = drawn.weight
    terms = {
        "component_weights": drawn.component_weights,
        "components": components,
        "sigma_components": sigma_components,
        "event_index": drawn.event_index,
    }
    if plan.sampler in ("test", "plain"):
        out["theta"] = plan.columns["theta"][rows]
    elif plan.sampler in ("local", "density"):
        theta = plan.columns["theta"][rows]
        out["theta"] = theta
        out["t_xz"] = joint_terms(theta=theta, **terms).t_xz
        if plan.sampler == "local":  # a score estimator learns the nuisances' components too
            nuisance = joint_nuisance_score(drawn.nuisance_a, theta, components, sigma_components,
                                            nuisance_sigma_components)
            out["t_xz"] = np.hstack([out["t_xz"], nuisance])
    else:
        theta0, theta1 = plan.columns["theta0"][rows], plan.columns["theta1"][rows]
        numerator, denominator = joint_terms(theta=theta0, **terms), joint_terms(theta=theta1, **terms)
        out.update(
            theta0=theta0,
            theta1=theta1,
            y=plan.columns["y"][rows],
            r_xz=np.exp(numerator.log_p_xz - denominator.log_p_xz),
            t_xz0=numerator.t_xz,
            t_xz1=denominator.t_xz,
        )
    return out
