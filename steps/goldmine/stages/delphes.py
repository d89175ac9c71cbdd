"""``goldmine delphes``: showered HepMC (or LHE, parton level) → Delphes-layout ROOT."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from goldmine.errors import OutputExistsError
from goldmine.io.provenance import Provenance
from goldmine.stages.options import seed_option

log = logging.getLogger(__name__)

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.option("--hepmc", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Showered events (HepMC2/3 ascii, plain or .gz), for --backend delphes and builtin.")
@click.option("--lhe", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="LHE events, for --backend parton and none.")
@click.option("--card", type=_FILE, default=None,
              help="Delphes card (.tcl) for --backend delphes; a goldmine detector card (YAML) for builtin and "
                   "parton (default: the packaged CMS-like card).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="ROOT file to write.")
@click.option("--backend", type=click.Choice(["delphes", "builtin", "parton", "none"]), default=None,
              help="Detector simulation (none: the LHE particles unsmeared) [default: the config's "
                   "detector.backend, else builtin].")
@click.option("--config", type=_FILE, default=None,
              help="Analysis config: its detector section gives the defaults of --backend and --card.")
@click.option("--delphes", "delphes_path", type=click.Path(exists=True, path_type=Path), default=None,
              help="DelphesHepMC2/3 executable or the Delphes folder (else DELPHES_HOME, else PATH).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Events simulated at a time (builtin, parton).")
@seed_option("Seed of the built-in detector's efficiencies and smearing.")
def delphes(hepmc: Path | None, lhe: Path | None, card: Path | None, output: Path, backend: str | None,
            config: Path | None, delphes_path: Path | None, chunk_size: int, seed: int | None) -> None:
    """Simulate the detector: real Delphes, the built-in fast simulation, parton-level smearing,
    or none (the outgoing LHE particles as they are). The workflow passes both --hepmc and
    --lhe; the backend reads the one it needs."""
    if config is not None:
        from goldmine.config.loader import load_config  # the config's schema and setup code: not needed without it

        detector = load_config(config).detector
        backend = backend or detector.backend
        card = card or detector.card
    backend = backend or "builtin"
    reads_lhe = backend in ("parton", "none")
    source = lhe if reads_lhe else hepmc
    option = "--lhe" if reads_lhe else "--hepmc"
    if source is None:
        raise click.UsageError(f"--backend {backend} needs {option}")
    if not source.is_file():
        raise click.BadParameter(f"{source} does not exist (the {backend} backend reads it)", param_hint=option)
    if output.exists():
        raise OutputExistsError(f"{output}: exists; goldmine does not overwrite outputs")
    if backend == "delphes":
        from goldmine.detector.delphes import run_delphes

        log_path = run_delphes(hepmc, card, output, delphes=delphes_path)
        log.info("wrote %s with Delphes (log %s)", output, log_path)
        return

    from goldmine.detector.card import load_card
    from goldmine.detector.run import simulate_hepmc, smear_lhe, truth_lhe

    seed = 0 if seed is None else seed
    detector_card = load_card(card)
    provenance = Provenance.capture(seeds={"seed": seed}, input_paths=[source, *([card] if card else [])])
    recipe = {"parton": smear_lhe, "none": truth_lhe, "builtin": simulate_hepmc}[backend]
    n_events = recipe(source, detector_card, output, seed=seed, provenance=provenance, chunk_events=chunk_size)
    log.info("wrote %s: %d events (%s detector, card %s)", output, n_events, backend, detector_card.source)
