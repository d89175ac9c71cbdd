"""combine: many event files of one setup → one shuffled combined.h5."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from goldmine.io.combine import DEFAULT_BUCKET_EVENTS, CombineResult, combine_event_files
from goldmine.io.provenance import Provenance

__all__ = ["combine"]

log = logging.getLogger(__name__)


def combine(inputs: Sequence[str | Path], output: str | Path, *, seed: int = 0,
            bucket_events: int = DEFAULT_BUCKET_EVENTS) -> CombineResult:
    """Check that the event files ``inputs`` share one setup, scale each file's events by
    their share of all events sampled at the same benchmark (MadMiner's convention: the
    events of one sampling benchmark sum to σ), and write all events to ``output`` in one
    random order of ``seed``, holding ``bucket_events`` events in memory at a time."""
    paths = [Path(path) for path in inputs]
    provenance = Provenance.capture(seeds={"seed": seed}, input_paths=paths)
    result = combine_event_files(paths, Path(output), seed=seed, provenance=provenance, bucket_events=bucket_events)
    log.info("wrote %s: %d events (per file %s)", output, result.n_events, list(result.events_per_file))
    return result
