"""Events of q q̄′ → W h → ℓ ν h distributed as p(x | θ_s), from Pythia's SM process.

Pythia generates the 2 → 2 step q q̄′ → W h, then the W decay with the SM angular
correlation. To sample at θ_s instead, both steps are changed exactly:

1. the 2 → 2 cross section is multiplied by R̄_s, the ratio |A(θ_s)|²/|A(0)|² averaged over
   the W decay direction in the W rest frame (a user hook's ``multiplySigmaBy``, called for
   every trial point: a table in (log √ŝ, the h's angle to the beam) at the W pole mass,
   interpolated), so that Pythia's σ estimates σ(θ_s);
2. the W decay direction n is drawn again from |A(θ_s, n)|² (the user hook rewrites the
   ℓ and ν momenta in the process record, W momentum kept).

The events are then distributed as p(x | θ_s), and the weight at any θ is
w_s |A(θ)|²/|A(θ_s)|² with w_s = (Pythia's σ / N) · R̄_s/R̄_table, R̄_s the event's exact
ratio: flat at θ_s but for the table's interpolation and the W's line shape.

Both steps rest on |A|² being a quadratic polynomial in n (the lepton tensor is bilinear
in the massless ℓ, ν momenta, each linear in n): the octahedron ±e_i averages it over
the sphere exactly, and six more points give its quadratic form, hence a bound for
accept–reject. Momenta are arrays (…, 4) of (E, px, py, pz) in GeV.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from goldmine.physics.wh_amplitude import wh_amplitudes

__all__ = ["WHDecaySampler", "decay_averaged_ratio", "decay_products", "draw_decay", "two_to_two"]

_OCTAHEDRON = np.vstack([np.eye(3), -np.eye(3)])
_PAIRS = ((0, 1), (0, 2), (1, 2))
_DIAGONALS = np.array([(np.eye(3)[i] + np.eye(3)[j]) / np.sqrt(2) for i, j in _PAIRS])
#: Where |A|² is evaluated to recover its quadratic form: ±e_i, then ±(e_i + e_j)/√2.
_FORM_POINTS = np.vstack([_OCTAHEDRON, _DIAGONALS, -_DIAGONALS])
_PROPOSALS = 16  # uniform directions proposed per event and round
#: The σ-factor table: W and h masses (GeV), log-spaced √ŝ points per e-fold, points in
#: the h's polar angle over [0, π/2] (the ratio varies fastest in the forward direction).
_TABLE_W_MASS, _TABLE_H_MASS, _TABLE_PER_EFOLD, _TABLE_ANGLES = 80.4, 125.0, 40, 41


def _boost(momenta: np.ndarray, velocity: np.ndarray) -> np.ndarray:
    """Boost momenta (…, 4) from the rest frame of a system moving with ``velocity`` (…, 3)."""
    beta2 = (velocity**2).sum(axis=-1)
    gamma = 1.0 / np.sqrt(1.0 - beta2)
    beta_p = (momenta[..., 1:] * velocity).sum(axis=-1)
    factor = np.where(beta2 > 0, (gamma - 1.0) / np.where(beta2 > 0, beta2, 1.0), 0.0)
    energy = gamma * (momenta[..., 0] + beta_p)
    vector = momenta[..., 1:] + ((factor * beta_p + gamma * momenta[..., 0])[..., None]) * velocity
    return np.concatenate([energy[..., None], vector], axis=-1)


def decay_products(w: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Massless fermion and antifermion of W momenta ``w`` (n, 4) decaying with the fermion
    along ``directions`` (n, k, 3) (unit vectors in the W rest frame): two arrays (n, k, 4)."""
    mass = np.sqrt(np.maximum(w[:, 0] ** 2 - (w[:, 1:] ** 2).sum(axis=1), 0.0))
    half = np.broadcast_to((mass / 2)[:, None, None], (*directions.shape[:2], 1))
    velocity = np.broadcast_to((w[:, 1:] / w[:, :1])[:, None, :], directions.shape)
    fermion = _boost(np.concatenate([half, half * directions], axis=-1), velocity)
    antifermion = _boost(np.concatenate([half, -half * directions], axis=-1), velocity)
    return fermion, antifermion


def _squared(quark: np.ndarray, antiquark: np.ndarray, higgs: np.ndarray, w: np.ndarray, directions: np.ndarray,
             thetas: np.ndarray) -> np.ndarray:
    """|A(θ)|² for each event (n) decaying along each of its directions (n, k, 3), at each
    θ (m, 2): shape (m, n, k)."""
    n, k = directions.shape[:2]
    fermion, antifermion = decay_products(w, directions)
    repeat = lambda momenta: np.repeat(momenta, k, axis=0)
    amplitudes = wh_amplitudes(repeat(quark), repeat(antiquark), fermion.reshape(-1, 4), antifermion.reshape(-1, 4),
                               repeat(higgs))
    return amplitudes.squared(np.atleast_2d(thetas)).reshape(-1, n, k)


def decay_averaged_ratio(quark: np.ndarray, antiquark: np.ndarray, higgs: np.ndarray, w: np.ndarray,
                         theta: np.ndarray) -> np.ndarray:
    """R̄(θ) = ⟨|A(θ)|²⟩ / ⟨|A(0)|²⟩ over the W decay direction, per event (n,); exact (the
    octahedron integrates quadratic polynomials on the sphere)."""
    directions = np.broadcast_to(_OCTAHEDRON, (len(w), 6, 3))
    squared = _squared(quark, antiquark, higgs, w, directions, np.stack([np.asarray(theta, float), np.zeros(2)]))
    return squared[0].sum(axis=1) / squared[1].sum(axis=1)


def _quadratic_form(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(n) = b·n + nᵀ Q n on the unit sphere from f at :data:`_FORM_POINTS` (n, 12):
    b (n, 3) and the symmetric Q (n, 3, 3) (the constant term is absorbed, nᵀn = 1)."""
    plus, minus = values[:, :3], values[:, 3:6]
    linear = (plus - minus) / 2
    form = np.zeros((len(values), 3, 3))
    form[:, [0, 1, 2], [0, 1, 2]] = (plus + minus) / 2
    for index, (i, j) in enumerate(_PAIRS):
        along = (values[:, 6 + index] + values[:, 9 + index]) / 2
        form[:, i, j] = form[:, j, i] = along - (form[:, i, i] + form[:, j, j]) / 2
    return linear, form


def draw_decay(quark: np.ndarray, antiquark: np.ndarray, higgs: np.ndarray, w: np.ndarray, theta: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """W decay products (n, 4) each with the fermion's direction drawn from |A(θ, n)|²,
    by accept–reject against the uniform sphere with the bound |b| + λ_max(Q) ≥ f(n).

    The first round evaluates the quadratic form's points and the proposals together (the
    hook calls this once per event, where numpy's per-call cost dominates)."""
    n_events = len(w)
    proposals = _uniform_directions(rng, n_events)
    values = _squared(quark, antiquark, higgs, w,
                      np.concatenate([np.broadcast_to(_FORM_POINTS, (n_events, 12, 3)), proposals], axis=1), theta)[0]
    linear, form = _quadratic_form(values[:, :12])
    bound = (np.linalg.norm(linear, axis=1) + np.linalg.eigvalsh(form)[:, -1]) * (1 + 1e-9)
    chosen = np.full((n_events, 3), np.nan)
    todo, values = np.arange(n_events), values[:, 12:]
    while True:
        accepted = rng.uniform(size=values.shape) * bound[todo, None] < values
        first, done = accepted.argmax(axis=1), accepted.any(axis=1)
        chosen[todo[done]] = proposals[done, first[done]]
        todo = todo[~done]
        if not todo.size:
            break
        proposals = _uniform_directions(rng, todo.size)
        values = _squared(quark[todo], antiquark[todo], higgs[todo], w[todo], proposals, theta)[0]
    fermion, antifermion = decay_products(w, chosen[:, None, :])
    return fermion[:, 0], antifermion[:, 0]


def _uniform_directions(rng: np.random.Generator, n_events: int) -> np.ndarray:
    """:data:`_PROPOSALS` uniform unit vectors per event, (n, k, 3)."""
    directions = rng.normal(size=(n_events, _PROPOSALS, 3))
    return directions / np.linalg.norm(directions, axis=-1, keepdims=True)


def _two_body(shat: Any, m_higgs: float, m_w: float) -> tuple[Any, Any, Any]:
    """√ŝ, the h's (and W's) momentum and the h's energy in the partonic rest frame, GeV:
    floats (for Pythia's trial points) or arrays."""
    root_s = shat**0.5
    kallen = (shat - (m_higgs + m_w) ** 2) * (shat - (m_higgs - m_w) ** 2)
    momentum = (kallen * (kallen > 0)) ** 0.5 / (2 * root_s)
    return root_s, momentum, (shat + m_higgs**2 - m_w**2) / (2 * root_s)


def two_to_two(shat: Any, that: Any, m_higgs: float, m_w: float) -> tuple[np.ndarray, ...]:
    """Quark, antiquark, h and W momenta (n, 4) each of q q̄′ → h W in the partonic rest
    frame, quark along +z, from Pythia's ŝ, t̂ = (p_quark − p_h)² (numbers or (n,)) and
    masses, GeV."""
    shat, that = np.atleast_1d(np.asarray(shat, dtype=float)), np.atleast_1d(np.asarray(that, dtype=float))
    root_s, momentum, energy_h = _two_body(shat, m_higgs, m_w)
    moving = momentum > 0
    cos_h = np.where(moving, (that - m_higgs**2 + root_s * energy_h) / (root_s * np.where(moving, momentum, 1.0)), 1.0)
    cos_h = np.clip(cos_h, -1.0, 1.0)
    sin_h, zeros = np.sqrt(1.0 - cos_h**2), np.zeros_like(root_s)
    quark = np.column_stack([root_s / 2, zeros, zeros, root_s / 2])
    antiquark = np.column_stack([root_s / 2, zeros, zeros, -root_s / 2])
    higgs = np.column_stack([energy_h, momentum * sin_h, zeros, momentum * cos_h])
    return quark, antiquark, higgs, quark + antiquark - higgs


class WHDecaySampler:
    """Sampling at θ (TeV⁻², (CWL2, CPWL2)) for the built-in generator's user hook, up to
    √ŝ = ``max_mass`` GeV; ``rng`` draws the W decays."""

    def __init__(self, theta: np.ndarray, rng: np.random.Generator, max_mass: float) -> None:
        self.theta, self.rng = np.asarray(theta, dtype=float), rng
        threshold = _TABLE_W_MASS + _TABLE_H_MASS
        self._log_min = math.log(threshold * (1 + 1e-6))
        n_mass = int(math.ceil((math.log(max_mass) - self._log_min) * _TABLE_PER_EFOLD)) + 2
        log_masses = self._log_min + np.arange(n_mass) / _TABLE_PER_EFOLD
        shat = np.repeat(np.exp(2 * log_masses), _TABLE_ANGLES)
        cosines = np.tile(np.cos(np.linspace(0.0, math.pi / 2, _TABLE_ANGLES)), n_mass)
        points = two_to_two(shat, _that(shat, cosines), _TABLE_H_MASS, _TABLE_W_MASS)
        ratios = decay_averaged_ratio(*points, self.theta)
        self._log_table = np.log(ratios).reshape(n_mass, _TABLE_ANGLES).tolist()  # lists: read per trial point

    def sigma_factor(self, shat: float, that: float, m_higgs: float, m_w: float) -> float:
        """≈ R̄ at one 2 → 2 point, from the table (even in cos θ_h, so the quark's side does
        not matter); plain floats, as Pythia calls it for every trial point."""
        root_s, momentum, energy_h = _two_body(shat, m_higgs, m_w)
        cosine = min(abs(that - m_higgs**2 + root_s * energy_h) / (root_s * momentum), 1.0) if momentum > 0 else 1.0
        row = min(max((math.log(root_s) - self._log_min) * _TABLE_PER_EFOLD, 0.0), len(self._log_table) - 1.000001)
        column = math.acos(cosine) / (math.pi / 2) * (_TABLE_ANGLES - 1) * (1 - 1e-12)
        i, j = int(row), int(column)
        u, v = row - i, column - j
        table = self._log_table
        log_ratio = ((1 - u) * ((1 - v) * table[i][j] + v * table[i][j + 1])
                     + u * ((1 - v) * table[i + 1][j] + v * table[i + 1][j + 1]))
        return math.exp(log_ratio)

    def redraw(self, quark: np.ndarray, antiquark: np.ndarray, higgs: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """New fermion and antifermion momenta (n, 4) for W decays drawn from |A(θ)|²."""
        return draw_decay(quark, antiquark, higgs, w, self.theta, self.rng)


def _that(shat: Any, cosine: Any) -> Any:
    """t̂ = (p_quark − p_h)² at the table's masses for the h at ``cosine`` to the quark."""
    root_s, momentum, energy_h = _two_body(shat, _TABLE_H_MASS, _TABLE_W_MASS)
    return _TABLE_H_MASS**2 - root_s * (energy_h - momentum * cosine)
