"""The plan of a run: the generation jobs (one per sampling benchmark and job index, each
with its own seed), the background jobs (one per background and job index), the methods
to augment and train (one seed each) and the ensemble members, written by ``configure``
for the workflow to scatter over.

Seeds derive from the master seed through :class:`numpy.random.SeedSequence`, keyed by
the benchmark name and the job index, so a job's seed does not change when other
benchmarks or jobs are added, and no two jobs of a plan share a seed.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from goldmine.config.model import BackgroundConfig, GenerationConfig
from goldmine.config.training import TrainingConfig
from goldmine.methods import METHODS

__all__ = ["MAX_SEED", "BackgroundJob", "GenerationJob", "augment_seed", "background_plan", "derive_seed",
           "generation_plan", "member_seed", "plan_document"]

#: Largest seed every generator accepts (Pythia 8's Random:seed ≤ 900000000).
MAX_SEED = 900_000_000


@dataclass(frozen=True)
class GenerationJob:
    """One generation job: sample ``events`` events at ``benchmark`` with ``seed``."""

    name: str
    benchmark: str
    job_index: int
    seed: int
    events: int


@dataclass(frozen=True)
class BackgroundJob:
    """One background job: ``events`` events of ``background`` with ``seed``."""

    name: str
    background: str
    job_index: int
    seed: int
    events: int


def derive_seed(master_seed: int, *key: str | int) -> int:
    """A seed in [1, MAX_SEED] that depends only on the master seed and ``key``."""
    spawn_key = tuple(zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in key)
    state = np.random.SeedSequence(entropy=master_seed, spawn_key=spawn_key).generate_state(2, dtype=np.uint64)
    return int(state[0] % MAX_SEED) + 1


def generation_plan(generation: GenerationConfig, master_seed: int) -> tuple[GenerationJob, ...]:
    """Jobs in the order benchmark by benchmark, job index by job index.

    A seed collision (chance about n²/1.8e9) is resolved deterministically by stepping
    the later job's seed until it is free.
    """
    jobs, used = [], set()
    for benchmark in generation.sampling_benchmarks:
        for index in range(generation.jobs_per_benchmark):
            seed = derive_seed(master_seed, "generate", benchmark, index)
            while seed in used:
                seed = seed % MAX_SEED + 1
            used.add(seed)
            jobs.append(GenerationJob(f"{benchmark}_{index}", benchmark, index, seed, generation.events_per_job))
    return tuple(jobs)


def background_plan(
    backgrounds: tuple[BackgroundConfig, ...], master_seed: int, taken: set[int], events_per_job: int | None = None
) -> tuple[BackgroundJob, ...]:
    """Jobs background by background, job index by job index, with seeds apart from the
    ``taken`` ones (the signal jobs'); ``events_per_job`` overrides every background's."""
    jobs, used = [], set(taken)
    for background in backgrounds:
        for index in range(background.jobs):
            seed = derive_seed(master_seed, "background", background.name, index)
            while seed in used:
                seed = seed % MAX_SEED + 1
            used.add(seed)
            events = events_per_job or background.events_per_job
            jobs.append(BackgroundJob(f"{background.name}_{index}", background.name, index, seed, events))
    return tuple(jobs)


def augment_seed(master_seed: int, method: str) -> int:
    """Seed of a method's augment step: the same for every method of one sampler (ALICES,
    RASCAL and CARL; SALLY and SALLINO), so that they train on the same rows, and their
    ensemble members from the same initial weights: methods are compared on equal data."""
    return derive_seed(master_seed, "augment", METHODS[method].sampler)


def member_seed(method_seed: int, member: int) -> int:
    """Seed of ensemble member ``member`` of a method whose augment seed is ``method_seed``."""
    return derive_seed(method_seed, "train", member)


def plan_document(
    jobs: tuple[GenerationJob, ...],
    training: TrainingConfig,
    master_seed: int,
    setup_path: str,
    provenance: dict[str, Any],
    background_jobs: tuple[BackgroundJob, ...] = (),
) -> dict[str, Any]:
    """The plan as written to ``plan.yml``: parallel lists that a yadage ``fromyaml-pub``
    publisher exposes and a ``zip`` scatter walks (generation jobs, the signal's then the
    backgrounds': per job the option that names its sample, ``benchmark`` or
    ``background``, and the sample; methods with their augment seeds; ensemble member
    indices), the jobs as records, the setup file it belongs to, and provenance. Member k
    of a method trains with ``member_seed(augment seed, k)``; :func:`augment_seed` gives
    methods of one sampler one seed."""
    every_job = [*jobs, *background_jobs]
    return {
        "setup": setup_path,
        "job_names": [job.name for job in every_job],
        "sample_options": ["benchmark"] * len(jobs) + ["background"] * len(background_jobs),
        "samples": [job.benchmark for job in jobs] + [job.background for job in background_jobs],
        "job_indices": [job.job_index for job in every_job],
        "seeds": [job.seed for job in every_job],
        "events": [job.events for job in every_job],
        "n_jobs": len(every_job),
        "jobs": [asdict(job) for job in jobs],
        "background_jobs": [asdict(job) for job in background_jobs],
        "methods": list(training.methods),
        "augment_seeds": [augment_seed(master_seed, method) for method in training.methods],
        "ensemble_members": list(range(training.ensemble_members)),
        "combine_seed": derive_seed(master_seed, "combine"),
        "provenance": provenance,
    }
