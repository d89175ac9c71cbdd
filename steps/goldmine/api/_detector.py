"""detector: showered HepMC (or LHE, parton level) → Delphes-layout ROOT, by real Delphes,
the built-in fast simulation, parton-level smearing, or none."""

from __future__ import annotations

import logging
from pathlib import Path

from goldmine.errors import InputFileError, OutputExistsError, UsageError
from goldmine.io.provenance import Provenance

__all__ = ["detector"]

log = logging.getLogger(__name__)

#: The detector backends and the event file each reads.
READS = {"delphes": "hepmc", "builtin": "hepmc", "parton": "lhe", "none": "lhe"}


def detector(output: str | Path, *, hepmc: str | Path | None = None, lhe: str | Path | None = None,
             config: str | Path | None = None, backend: str | None = None, card: str | Path | None = None,
             delphes: str | Path | None = None, seed: int = 0, chunk_size: int = 1000) -> Path:
    """Simulate the detector on ``hepmc`` (showered events; backends ``delphes``,
    ``builtin``) or ``lhe`` (``parton``: smeared partons; ``none``: the outgoing particles
    as they are) and write ``output`` (ROOT, Delphes' layout). ``backend`` and ``card``
    default to ``config``'s detector section, else ``builtin`` and its CMS-like card;
    ``delphes`` names Delphes (else DELPHES_HOME, else PATH); ``seed``: the built-in
    simulation's efficiencies and smearing. Returns ``output``."""
    output = Path(output)
    card = None if card is None else Path(card)
    if config is not None:
        from goldmine.config.loader import load_config  # the config's schema and setup code: not needed without it

        settings = load_config(Path(config)).detector
        backend = backend or settings.backend
        card = card or settings.card
    backend = backend or "builtin"
    if backend not in READS:
        raise UsageError(f"unknown detector backend {backend!r} (one of {', '.join(READS)})")
    source = {"hepmc": hepmc, "lhe": lhe}[READS[backend]]
    if source is None:
        raise UsageError(f"--backend {backend} needs --{READS[backend]}")
    source = Path(source)
    if not source.is_file():
        raise InputFileError(f"{source} does not exist (the {backend} backend reads it)")
    if output.exists():
        raise OutputExistsError(f"{output}: exists; goldmine does not overwrite outputs")
    if backend == "delphes":
        from goldmine.detector.delphes import run_delphes

        log_path = run_delphes(source, card, output, delphes=None if delphes is None else Path(delphes))
        log.info("wrote %s with Delphes (log %s)", output, log_path)
        return output

    from goldmine.detector.card import load_card
    from goldmine.detector.run import simulate_hepmc, smear_lhe, truth_lhe

    detector_card = load_card(card)
    provenance = Provenance.capture(seeds={"seed": seed}, input_paths=[source, *([card] if card else [])])
    recipe = {"parton": smear_lhe, "none": truth_lhe, "builtin": simulate_hepmc}[backend]
    n_events = recipe(source, detector_card, output, seed=seed, provenance=provenance, chunk_events=chunk_size)
    log.info("wrote %s: %d events (%s detector, card %s)", output, n_events, backend, detector_card.source)
    return output
