"""A 1-D toy with a latent z and a noisy observation x, with closed-form truth.

    p(z|θ) = (1 + θ z)² / σ(θ) on z ∈ [-1, 1],  σ(θ) = 2 + 2θ²/3,   x = z + N(0, s²).

The likelihood p(x|θ) = [I0(x) + 2θ I1(x) + θ² I2(x)] / σ(θ), with I_k(x) = ∫ z^k φ_s(x−z) dz
over [-1, 1] in closed form, so the true log r(x|θ0, θ1) and t(x|θ) are known, while
the joint quantities r(x,z), t(x,z) (what training sees) differ from them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.special import ndtr

SMEARING = 0.3


def sigma(theta):
    return 2.0 + 2.0 * np.asarray(theta) ** 2 / 3.0


def _integrals(x: np.ndarray, s: float = SMEARING) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b = (-1.0 - x) / s, (1.0 - x) / s
    phi_a, phi_b = np.exp(-0.5 * a**2) / np.sqrt(2 * np.pi), np.exp(-0.5 * b**2) / np.sqrt(2 * np.pi)
    mass = ndtr(b) - ndtr(a)
    first = phi_a - phi_b
    second = mass + a * phi_a - b * phi_b
    return mass, x * mass + s * first, x**2 * mass + 2 * x * s * first + s**2 * second


def log_p(x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    i0, i1, i2 = _integrals(x)
    return np.log(i0 + 2 * theta * i1 + theta**2 * i2) - np.log(sigma(theta))


def score(x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    i0, i1, i2 = _integrals(x)
    return (2 * i1 + 2 * theta * i2) / (i0 + 2 * theta * i1 + theta**2 * i2) - (4 * theta / 3) / sigma(theta)


def sample_z(theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """z ~ p(z|θ) by inverting the CDF ((1+θz)³ − (1−θ)³)/((1+θ)³ − (1−θ)³)."""
    theta = np.asarray(theta, dtype=float)
    u = rng.uniform(size=theta.shape)
    small = np.abs(theta) < 1e-6
    safe = np.where(small, 1.0, theta)
    low, high = (1 - safe) ** 3, (1 + safe) ** 3
    z = (np.cbrt(low + u * (high - low)) - 1.0) / safe
    return np.where(small, 2 * u - 1, z)


def joint_log_p(z: np.ndarray, theta: np.ndarray) -> np.ndarray:
    return np.log((1 + theta * z) ** 2) - np.log(sigma(theta))


def joint_score(z: np.ndarray, theta: np.ndarray) -> np.ndarray:
    return 2 * z / (1 + theta * z) - (4 * theta / 3) / sigma(theta)


def write_local(directory: Path, n: int, rng: np.random.Generator, theta_ref: float = 0.0, partition: str = "train"):
    directory.mkdir(parents=True, exist_ok=True)
    theta = np.full(n, theta_ref)
    z = sample_z(theta, rng)
    x = z + SMEARING * rng.normal(size=n)
    np.save(directory / f"x_{partition}.npy", x[:, None])
    np.save(directory / f"theta_{partition}.npy", theta[:, None])
    np.save(directory / f"t_xz_{partition}.npy", joint_score(z, theta)[:, None])
    return x


def write_ratio(directory: Path, n: int, rng: np.random.Generator, partition: str = "train") -> None:
    """Ratio data: θ0 ~ U(-1, 1), θ1 = 0; half the rows drawn at θ0 (y = 0), half at θ1."""
    directory.mkdir(parents=True, exist_ok=True)
    theta0 = rng.uniform(-1, 1, size=n)
    theta1 = np.zeros(n)
    y = (np.arange(n) >= n // 2).astype(float)
    z = sample_z(np.where(y == 0, theta0, theta1), rng)
    x = z + SMEARING * rng.normal(size=n)
    columns = {
        "x": x[:, None], "theta0": theta0[:, None], "theta1": theta1[:, None], "y": y,
        "r_xz": np.exp(joint_log_p(z, theta0) - joint_log_p(z, theta1)),
        "t_xz0": joint_score(z, theta0)[:, None], "t_xz1": joint_score(z, theta1)[:, None],
    }
    order = rng.permutation(n)
    for name, values in columns.items():
        np.save(directory / f"{name}_{partition}.npy", values[order])


def write_density(directory: Path, n: int, rng: np.random.Generator, partition: str = "train") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    theta = rng.uniform(-1, 1, size=n)
    z = sample_z(theta, rng)
    x = z + SMEARING * rng.normal(size=n)
    np.save(directory / f"x_{partition}.npy", x[:, None])
    np.save(directory / f"theta_{partition}.npy", theta[:, None])
    np.save(directory / f"t_xz_{partition}.npy", joint_score(z, theta)[:, None])
