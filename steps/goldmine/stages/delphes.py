"""``goldmine delphes``: showered HepMC (or LHE, parton level) → Delphes-layout ROOT
(:func:`goldmine.api.detector`)."""

from __future__ import annotations

from pathlib import Path

import click

from goldmine.stages.options import seed_option

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
    from goldmine.api import detector

    detector(output, hepmc=hepmc, lhe=lhe, config=config, backend=backend, card=card, delphes=delphes_path,
             seed=0 if seed is None else seed, chunk_size=chunk_size)
