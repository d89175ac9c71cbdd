"""Pythia 8 for the generate stage: an instance set up from a list of settings, seeded and
quiet, and its ``nextBatch`` events as flat columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from goldmine.io.hepmc_writer import HepMCBatch

__all__ = ["batch_size", "configured_pythia", "event_columns"]

_BATCH, _LAST_BATCH = 100, 5

#: No event listings, counters or initialisation tables in the job's log.
_QUIET = [
    "Next:numberCount = 0", "Next:numberShowEvent = 0", "Next:numberShowProcess = 0", "Next:numberShowInfo = 0",
    "Next:numberShowLHA = 0", "Init:showChangedSettings = off", "Init:showProcesses = off",
    "Init:showChangedParticleData = off", "Init:showMultipartonInteractions = off",
]


def configured_pythia(settings: list[str], seed: int) -> Any:
    """A ``pythia8mc.Pythia`` (not yet initialised) with ``settings``, the seed and quiet output.

    A setting Pythia does not accept raises RuntimeError naming it.
    """
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    for setting in [*settings, "Random:setSeed = on", f"Random:seed = {seed}", *_QUIET]:
        if not pythia.readString(setting):
            raise RuntimeError(f"Pythia 8 refused the setting {setting!r}")
    return pythia


def batch_size(remaining: int) -> int:
    """Showered events to ask Pythia for next: ``_BATCH``, then halving over the last events.

    The HepMC writer process formats a batch while Pythia makes the next one; when Pythia
    is done, only the last batch is still to be written, so small final batches keep that
    tail short (≈ 2.7 ms per event of text and gzip).
    """
    return min(_BATCH, remaining, max(_LAST_BATCH, remaining // 2))


def event_columns(batch: Any) -> tuple[HepMCBatch, np.ndarray]:
    """Flat particle columns of a nextBatch result, without Pythia's system entry 0 of each
    event, and the events' weights (n, W): Pythia's ``info.weights``.

    Read from the awkward layout's buffers (0.3 ms per batch, against 9 ms through
    high-level awkward calls), so that small batches cost nothing. Raises ValueError when
    the events do not all carry the same number of weights.
    """
    import awkward as ak

    layout = ak.to_layout(batch)
    particles = layout.content("prt")
    offsets = np.asarray(particles.offsets.data)
    first, last = offsets[0], offsets[-1]
    keep = np.ones(last - first, dtype=bool)
    keep[offsets[:-1] - first] = False
    record, momenta = particles.content, particles.content.content("p")
    column = lambda fields, name: fields.content(name).data[first:last][keep]
    weights = layout.content("info").content("weights")
    weight_offsets = np.asarray(weights.offsets.data)
    per_event = np.diff(weight_offsets)
    if len(per_event) and (per_event != per_event[0]).any():
        raise ValueError(f"events carrying {sorted(set(per_event.tolist()))} weights; every event must carry "
                         "the same number")
    weight_table = weights.content.data[weight_offsets[0]:weight_offsets[-1]].reshape(len(per_event), -1)
    columns = HepMCBatch(np.diff(offsets) - 1, column(record, "id"), column(record, "status"), column(momenta, "px"),
                         column(momenta, "py"), column(momenta, "pz"), column(momenta, "e"), column(record, "m"))
    return columns, np.array(weight_table, dtype=np.float64)
