"""The ``goldmine`` command: a click group over the stages of the chain."""

from __future__ import annotations

import logging
from typing import Any

import click

from goldmine import __version__
from goldmine.errors import GoldmineError
from goldmine.stages.augment import augment
from goldmine.stages.combine import combine
from goldmine.stages.configure import configure
from goldmine.stages.delphes import delphes
from goldmine.stages.evaluate import evaluate
from goldmine.stages.generate import generate
from goldmine.stages.observables import observables
from goldmine.stages.plot import plot
from goldmine.stages.run import run
from goldmine.stages.train import train

__all__ = ["cli"]

CHAIN = """\
Mining gold from LHC simulations: MadMiner's inference methods as a workflow.

\b
The chain, one stage per command:
  configure -> generate x(benchmark, job) -> delphes -> observables -> combine
  -> augment x method -> train x(method, ensemble member) -> evaluate -> plot

Stages read and write files (HDF5 in MadMiner's layout, YAML, JSON); each
command's --help says which. `goldmine run` runs them all as the yadage workflow.
"""


class _ReportedError(click.ClickException):
    """A goldmine error shown as ``Error: ...`` with the error's own exit code."""

    def __init__(self, error: GoldmineError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        """Commands in the order of the chain, as they are added below."""
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GoldmineError as err:
            raise _ReportedError(err) from err


@click.group(cls=_Group, help=CHAIN)
@click.version_option(__version__, prog_name="goldmine")
@click.option("-v", "--verbose", count=True, help="More log output (-v: debug).")
@click.option("-q", "--quiet", count=True, help="Less log output (-q: warnings, -qq: errors).")
def cli(verbose: int, quiet: int) -> None:
    _configure_logging(max(logging.DEBUG, min(logging.INFO - 10 * verbose + 10 * quiet, logging.CRITICAL)))


def _configure_logging(level: int) -> None:
    """One stderr handler on the ``goldmine`` logger; the root logger is left alone."""
    logger = logging.getLogger("goldmine")
    for handler in [h for h in logger.handlers if getattr(h, "goldmine_cli", False)]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.goldmine_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(level)


cli.add_command(configure)
cli.add_command(generate)
cli.add_command(delphes)
cli.add_command(observables)
cli.add_command(combine)
cli.add_command(augment)
cli.add_command(train)
cli.add_command(evaluate)
cli.add_command(plot)
cli.add_command(run)
