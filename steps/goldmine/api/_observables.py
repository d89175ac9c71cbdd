"""observables: Delphes ROOT or LHE events → events.h5 (observables and weights at every
benchmark of the setup)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from goldmine.config.loader import load_config
from goldmine.errors import InputFileError, UsageError
from goldmine.io.provenance import Provenance
from goldmine.io.setup_file import read_setup
from goldmine.observables.run import ObservablesSummary

__all__ = ["observables"]

log = logging.getLogger(__name__)


def observables(setup: str | Path, config: str | Path, events: str | Path, output: str | Path, *,
                sampling_benchmark: str | None = None, background: str | None = None,
                lhe: str | Path | None = None, weight_names: Sequence[str] | None = None,
                chunk_size: int = 100_000) -> ObservablesSummary:
    """Evaluate the config's observables, cuts and efficiencies on every event of
    ``events`` (Delphes' ROOT layout, or an LHE file for parton-level observables) and
    write the passing events with their weights at every benchmark to ``output``
    (HDF5, MadMiner's layout). The events were sampled at ``sampling_benchmark`` or are
    the config's ``background``; their weights come from ``lhe`` (the job's LHE, same
    order) or are named by ``weight_names`` (Delphes' Weight.Weight in order).
    Returns the numbers of events read and passed and σ (pb)."""
    from goldmine.observables.run import extract_observables
    from goldmine.observables.selection import Selection

    setup_path, config, events, output = Path(setup), Path(config), Path(events), Path(output)
    if (sampling_benchmark is None) == (background is None):
        raise UsageError("give --sampling-benchmark (signal events) or --background (a background's events)"
                         + (", not both" if background else ""))
    analysis = load_config(config)
    if background is not None:
        analysis.background(background)  # one of the config's, else a ConfigError naming --background
    loaded = read_setup(setup_path)
    if loaded.observables != analysis.observables:
        raise InputFileError(f"{setup_path} was configured with other observables than {config}; re-run configure")
    selection = Selection.build(analysis.observables, analysis.cuts, analysis.efficiencies)
    lhe = None if lhe is None else Path(lhe)
    provenance = Provenance.capture(config_hash=analysis.digest,
                                    input_paths=[setup_path, config, events, *([lhe] if lhe else [])])
    summary = extract_observables(loaded, selection, events, output, sampling_benchmark=sampling_benchmark,
                                  background=background, provenance=provenance, lhe=lhe,
                                  weight_names=tuple(weight_names) if weight_names else None, chunk_events=chunk_size)
    log.info("wrote %s: %d of %d events passed", output, summary.n_passed, summary.n_input)
    return summary
