"""Generation plan: one seed per job, derived from the master seed, never shared."""

from __future__ import annotations

import dataclasses

import pytest

from goldmine.config.model import BackgroundConfig, BuiltinGeneration, GenerationConfig
from goldmine.workflow import plan as plan_module
from goldmine.workflow.plan import MAX_SEED, background_plan, derive_seed, generation_plan

GENERATION = GenerationConfig(
    backend="builtin",
    beam_energy=6500.0,
    events_per_job=100,
    jobs_per_benchmark=50,
    sampling_benchmarks=("sm", "w_pos", "w_neg"),
    master_seed=1,
    builtin=BuiltinGeneration("both", 0.0, True),
    madgraph=None,
)


def test_every_job_has_its_own_seed_in_range() -> None:
    jobs = generation_plan(GENERATION, master_seed=1)
    seeds = [job.seed for job in jobs]
    assert len(jobs) == 150
    assert len(set(seeds)) == 150
    assert all(1 <= seed <= MAX_SEED for seed in seeds)
    assert [job.name for job in jobs[:2]] == ["sm_0", "sm_1"]


def test_seeds_depend_on_master_seed_only_through_the_key() -> None:
    jobs = generation_plan(GENERATION, master_seed=1)
    again = generation_plan(GENERATION, master_seed=1)
    other = generation_plan(GENERATION, master_seed=2)
    assert jobs == again
    assert {j.seed for j in jobs}.isdisjoint({j.seed for j in other})


def test_adding_a_benchmark_keeps_the_other_seeds() -> None:
    more = dataclasses.replace(GENERATION, sampling_benchmarks=("pw_pos", *GENERATION.sampling_benchmarks))
    before = {job.name: job.seed for job in generation_plan(GENERATION, master_seed=1)}
    after = {job.name: job.seed for job in generation_plan(more, master_seed=1)}
    assert all(after[name] == seed for name, seed in before.items())


def test_colliding_seeds_are_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_module, "derive_seed", lambda *args: MAX_SEED)
    seeds = [job.seed for job in generation_plan(GENERATION, master_seed=1)]
    assert len(set(seeds)) == len(seeds)
    assert all(1 <= seed <= MAX_SEED for seed in seeds)


def test_derive_seed_distinguishes_keys() -> None:
    assert derive_seed(5, "generate", "sm", 0) != derive_seed(5, "generate", "sm", 1)
    assert derive_seed(5, "morphing") == derive_seed(5, "morphing")


def test_background_jobs_get_their_own_seeds_apart_from_the_signals() -> None:
    backgrounds = (BackgroundConfig("tt", "builtin", "ttbar_semileptonic_lplus", None, 500, 3, 20.0, ()),
                   BackgroundConfig("wjets", "builtin", "w_jets", None, 800, 2, 50.0, ()))
    signal = generation_plan(GENERATION, master_seed=1)
    jobs = background_plan(backgrounds, 1, {job.seed for job in signal})
    assert [job.name for job in jobs] == ["tt_0", "tt_1", "tt_2", "wjets_0", "wjets_1"]
    assert [job.events for job in jobs] == [500, 500, 500, 800, 800]
    seeds = [job.seed for job in jobs]
    assert len(set(seeds)) == 5 and not set(seeds) & {job.seed for job in signal}
    # adding a background leaves the others' seeds alone; --events overrides every job's size
    fewer = background_plan(backgrounds[:1], 1, {job.seed for job in signal}, events_per_job=7)
    assert [job.seed for job in fewer] == seeds[:3] and {job.events for job in fewer} == {7}
    # a seed taken by a signal job moves the background job to the next free one
    taken = background_plan(backgrounds[:1], 1, {seeds[0]})
    assert taken[0].seed == seeds[0] % MAX_SEED + 1
