"""augment: combined events → unweighted training samples with the joint likelihood ratio
r(x,z) and the joint score t(x,z) for one method."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from goldmine.augment.run import augment_method
from goldmine.config.loader import load_config
from goldmine.io.atomic import atomic_directory
from goldmine.io.augmented import SUMMARY_NAME
from goldmine.io.documents import write_json
from goldmine.io.provenance import Provenance
from goldmine.io.setup_file import read_event_setup, read_setup

__all__ = ["augment"]

log = logging.getLogger(__name__)


def augment(events: str | Path, setup: str | Path, config: str | Path, method: str, output: str | Path, *,
            seed: int = 0, chunk_size: int = 50_000) -> dict[str, Any]:
    """Unweight the events of ``events`` (combined.h5) at ``method``'s parameter points
    (the config's augmentation section) and add r(x,z) and t(x,z) (arXiv:1907.10621, eqs.
    8-9); write ``{column}_{partition}.npy`` and augment.json into the new folder
    ``output``. Returns augment.json's content (partitions, rows, distinct events)."""
    events, setup_path, config, output = Path(events), Path(setup), Path(config), Path(output)
    analysis = load_config(config)
    loaded = read_event_setup(events, read_setup(setup_path), setup_path)
    with atomic_directory(output) as directory:
        summary = augment_method(events, loaded, analysis.augmentation, method, directory, seed=seed,
                                 chunk_size=chunk_size)
        provenance = Provenance.capture(config_hash=analysis.digest, seeds={"seed": seed},
                                        input_paths=[events, setup_path, config])
        summary = {**summary, "provenance": provenance.to_dict()}
        write_json(directory / SUMMARY_NAME, summary)
    log.info("wrote %s (%s: %s)", output, method, ", ".join(summary["partitions"]))
    return summary
