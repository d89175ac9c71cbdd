"""configure: analysis config → setup.h5 (parameters, benchmarks, morphing, nuisances) and
the generation plan."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

from goldmine.config.loader import load_config
from goldmine.config.setup_builder import build_setup
from goldmine.io.atomic import published_together
from goldmine.io.documents import write_yaml
from goldmine.io.provenance import Provenance
from goldmine.io.setup_file import write_setup
from goldmine.setup import Setup
from goldmine.workflow.plan import background_plan, derive_seed, generation_plan, plan_document

__all__ = ["DEFAULT_MASTER_SEED", "configure"]

#: The master seed of a config without a generation section (that of generation.master_seed's default).
DEFAULT_MASTER_SEED = 42

log = logging.getLogger(__name__)


def configure(config: str | Path, output: str | Path = "setup.h5", plan: str | Path = "plan.yml", *,
              events_per_job: int | None = None, seed: int | None = None) -> Setup:
    """Validate ``config``, build the morphing setup and plan the generation jobs, the
    methods to train and their ensemble members; write ``output`` (setup.h5, MadMiner's
    layout) and ``plan`` (YAML) together. ``events_per_job`` and ``seed`` override the
    config's ``generation.events_per_job`` and ``generation.master_seed``; a config without
    a generation section (events brought, not generated) plans no jobs. Returns the setup."""
    config, output, plan = Path(config), Path(output), Path(plan)
    analysis = load_config(config)
    generation = analysis.generation
    if generation is not None and events_per_job:
        generation = dataclasses.replace(generation, events_per_job=events_per_job)
    master_seed = seed if seed is not None else generation.master_seed if generation else DEFAULT_MASTER_SEED
    morphing_seed = derive_seed(master_seed, "morphing")
    setup = build_setup(analysis, rng=np.random.default_rng(morphing_seed))
    # brought events (no generation section): nothing to generate, signal or background
    jobs = generation_plan(generation, master_seed) if generation else ()
    background_jobs = (background_plan(analysis.backgrounds, master_seed, {job.seed for job in jobs}, events_per_job)
                       if generation else ())
    log.debug("config %s: digest %s, master seed %d", config, analysis.digest, master_seed)
    for job in jobs:
        log.debug("job %s: %d events at %s, seed %d", job.name, job.events, job.benchmark, job.seed)

    provenance = Provenance.capture(
        config_hash=analysis.digest,
        seeds={"master_seed": master_seed, "morphing_seed": morphing_seed},
        input_paths=[config, *analysis.input_files],
    )
    with published_together(output, plan):
        write_setup(output, setup, provenance)
        write_yaml(plan, plan_document(jobs, analysis.training, master_seed, str(output), provenance.to_dict(),
                                       background_jobs))
    log.info(
        "wrote %s (%d parameters, %d benchmarks) and %s (%d generation jobs, %d background jobs)",
        output, len(setup.parameters), len(setup.benchmarks), plan, len(jobs), len(background_jobs),
    )
    return setup
