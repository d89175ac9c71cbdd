"""Augmented data for one method: samples with r(x,z) and t(x,z) per partition, drawn
by weight (unweighted), or for the local sampler optionally every event once with its weight.

Training methods get the train partition (and the validation partition, if the config
has one); ``test`` gets the test partition, which no training sample ever reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from goldmine.augment.samplers import SAMPLER_COLUMNS, DrawPlan, plan_draws, row_columns
from goldmine.augment.unweighting import UnweightingRequest, draw_events
from goldmine.augment.weighted import weighted_events
from goldmine.config.augmentation import AugmentationConfig
from goldmine.errors import GoldmineError
from goldmine.events.partitions import Partition, split_events
from goldmine.events.pool import EventPool, PoolStatistics
from goldmine.io.augmented import ArraySet, column_shapes
from goldmine.io.samples import count_samples
from goldmine.methods import METHODS
from goldmine.physics.morphing import component_values
from goldmine.physics.nuisance import NuisanceColumns
from goldmine.progress import Progress
from goldmine.setup import Setup
from goldmine.thetas import check_in_range

__all__ = ["PartitionResult", "augment_partition", "augment_method", "partition_sizes", "row_columns_of"]

log = logging.getLogger(__name__)

#: Per-θ figures are listed in the summary up to this many points, summarised beyond.
LISTED_THETAS = 50

#: Rows per distinct event above which a partition's rows mostly repeat a few events: a
#: network trained on them learns those events, not the distribution (it overfits at once).
REPEATS_WARNED = 10.0


@dataclass(frozen=True, eq=False)
class PartitionResult:
    partition: Partition
    plan: DrawPlan
    sigma: np.ndarray
    n_effective: np.ndarray
    files: dict[str, list[int]]
    distinct_events: int  # events behind the rows, each counted once

    def summary(self) -> dict[str, Any]:
        thetas = self.plan.thetas
        listed = len(thetas) <= LISTED_THETAS
        return {
            "events": [self.partition.start, self.partition.stop],
            "weight_scale": self.partition.weight_scale,
            "n_rows": len(self.plan.draw_theta),
            "distinct_events": self.distinct_events,
            "n_thetas": len(thetas),
            "files": self.files,
            "thetas": thetas.tolist() if listed else None,
            "sigma_pb": self.sigma.tolist() if listed else _spread(self.sigma),
            "n_effective": self.n_effective.tolist() if listed else _spread(self.n_effective),
        }


def _spread(values: np.ndarray) -> dict[str, float]:
    return {"min": float(values.min()), "median": float(np.median(values)), "max": float(values.max())}


def weighted_rows(sampler: str, config: AugmentationConfig) -> bool:
    """Whether the sampler writes every event once with its weight (goldmine.augment.weighted)."""
    if sampler != "local" or config.score_rows != "weighted":
        return False
    if config.sample_only_from_closest_benchmark:
        msg = "augmentation.score_rows: weighted rows take every event; sample_only_from_closest_benchmark draws"
        raise GoldmineError(msg)
    return True


def row_columns_of(sampler: str, config: AugmentationConfig) -> tuple[str, ...]:
    """The columns the sampler's rows get; weighted rows add their ``weight``."""
    return SAMPLER_COLUMNS[sampler] + (("weight",) if weighted_rows(sampler, config) else ())


def partition_sizes(config: AugmentationConfig, sampler: str, partitions: dict[str, Partition]) -> dict[str, int]:
    """Output rows per partition this method writes."""
    if sampler == "test":
        if "test" not in partitions:
            msg = "the test method needs a test partition; set augmentation.test_fraction > 0"
            raise GoldmineError(msg)
        return {"test": config.n_test_samples}
    sizes = {"train": config.n_samples}
    if "validation" in partitions:
        default = round(config.n_samples * len(partitions["validation"]) / len(partitions["train"]))
        sizes["validation"] = config.n_validation_samples or max(default, 1)
    return sizes


def _closest_benchmarks(thetas: np.ndarray, setup: Setup, statistics: PoolStatistics) -> np.ndarray:
    """For each θ, the index of the nearest benchmark (in units of the parameter
    ranges) among those with events sampled at it in this partition."""
    sampled = np.flatnonzero(statistics.events_per_sampling_benchmark > 0)
    if sampled.size == 0:
        msg = "sample_only_from_closest_benchmark: no event records its sampling benchmark"
        raise GoldmineError(msg)
    ranges = setup.parameter_ranges
    scale = ranges[:, 1] - ranges[:, 0]
    distance = np.linalg.norm((thetas[:, None, :] - setup.benchmark_values[sampled][None, :, :]) / scale, axis=2)
    return sampled[np.argmin(distance, axis=1)]


def augment_partition(
    events: Path,
    setup: Setup,
    config: AugmentationConfig,
    *,
    sampler: str,
    partition: Partition,
    n_rows: int,
    directory: Path,
    rng: np.random.Generator,
    chunk_size: int,
) -> PartitionResult:
    """Draw ``n_rows`` rows from one partition (or with weighted rows take every event once
    per θ) and write their columns to ``directory``."""
    assert setup.morpher is not None
    pool = EventPool(events, partition, setup.morpher, len(setup.benchmarks), chunk_size,
                     nuisances=NuisanceColumns.of(setup), mixture=config.mixture_weights, processes=config.processes)
    statistics = pool.statistics()
    weighted = weighted_rows(sampler, config)
    plan = plan_draws(sampler, config.thetas[sampler], n_rows, rng,  # type: ignore[arg-type]
                      rows_per_theta=statistics.n_events if weighted else None)
    n_rows = len(plan.draw_theta)
    check_in_range(plan.thetas, setup.parameters, f"{sampler} ({partition.name})")

    sigma = component_values(plan.thetas, setup.morpher.components) @ statistics.sigma_components
    max_weight = (
        config.max_weight_ratio * sigma / statistics.n_events
        if config.max_weight_ratio is not None
        else np.full(len(plan.thetas), np.inf)
    )
    if weighted:
        drawn_chunks, n_effective = weighted_events(pool, plan.thetas, max_weight)
    else:
        eligible = (
            _closest_benchmarks(plan.thetas, setup, statistics)
            if config.sample_only_from_closest_benchmark
            else np.full(len(plan.thetas), -1)
        )
        drawn_chunks, n_effective = draw_events(
            pool, UnweightingRequest(plan.thetas, plan.draw_theta, eligible, max_weight), rng
        )
    if n_effective.min() < config.min_effective_events:
        worst = int(np.argmin(n_effective))
        log.warning(
            "%s (%s): %d of %d points have fewer than %g effective events; the worst, theta = %s, has %.1f: "
            "its samples repeat few events (generate more events near it, or use "
            "sample_only_from_closest_benchmark)",
            sampler,
            partition.name,
            int(np.sum(n_effective < config.min_effective_events)),
            len(n_effective),
            config.min_effective_events,
            plan.thetas[worst].tolist(),
            n_effective[worst],
        )

    n_score = len(setup.parameters) + (len(setup.nuisance_parameters) if sampler == "local" else 0)
    shapes = column_shapes(row_columns_of(sampler, config), len(setup.observables), len(setup.parameters), n_score)
    arrays = ArraySet(directory, partition.name, n_rows, shapes)
    positions = rng.permutation(n_rows)
    drawn_events = []
    with Progress(n_rows, f"augment {sampler} {partition.name}", "rows") as progress:
        for drawn in drawn_chunks:
            columns = row_columns(plan, drawn, setup.morpher.components, statistics.sigma_components,
                                  statistics.nuisance_sigma_components)
            arrays.write(positions[drawn.rows], columns)
            drawn_events.append(drawn.event_index if drawn.weight is None else drawn.event_index[drawn.weight > 0])
            progress.update(len(drawn.rows))
    files = arrays.close()
    distinct = len(np.unique(np.concatenate(drawn_events))) if drawn_events else 0
    log.info(
        "%s: %d rows from %d distinct events of events %d-%d at %d theta points (n_eff min %.0f)",
        partition.name, n_rows, distinct, partition.start, partition.stop - 1, len(plan.thetas), n_effective.min(),
    )
    if distinct and n_rows > REPEATS_WARNED * distinct:
        log.warning(
            "%s (%s): %d rows repeat %d distinct events (%.0f rows per event): training on them fits those events; "
            "generate more events or draw fewer rows (augmentation.n_samples)",
            sampler, partition.name, n_rows, distinct, n_rows / distinct,
        )
    return PartitionResult(partition, plan, sigma, n_effective, files, distinct)


def augment_method(
    events: Path,
    setup: Setup,
    config: AugmentationConfig,
    method: str,
    directory: Path,
    *,
    seed: int,
    chunk_size: int = 50_000,
) -> dict[str, Any]:
    """Write the augmented data of ``method`` into ``directory``; returns the summary."""
    if method not in METHODS:
        msg = f"unknown method {method!r}; known: {', '.join(METHODS)}"
        raise GoldmineError(msg)
    if setup.morpher is None:
        msg = "augmentation needs a setup with morphing (the config's morphing section)"
        raise GoldmineError(msg)
    sampler = METHODS[method].sampler
    partitions = split_events(count_samples(events), config.validation_fraction, config.test_fraction)
    sizes = partition_sizes(config, sampler, partitions)
    streams = np.random.SeedSequence(seed).spawn(len(sizes))
    results = {
        name: augment_partition(
            events, setup, config, sampler=sampler, partition=partitions[name], n_rows=n_rows, directory=directory,
            rng=np.random.default_rng(stream), chunk_size=chunk_size,
        )
        for (name, n_rows), stream in zip(sizes.items(), streams)
    }
    return {
        "method": method,
        "sampler": sampler,
        "columns": list(row_columns_of(sampler, config)),
        "processes": config.processes,
        "parameters": setup.parameter_names,
        "nuisances": [n.name for n in setup.nuisance_parameters] if sampler == "local" else [],
        "observables": [o.name for o in setup.observables],
        "partitions": {name: result.summary() for name, result in results.items()},
        "all_partitions": {name: [p.start, p.stop] for name, p in partitions.items()},
    }
