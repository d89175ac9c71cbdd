"""The ``goldmine`` command: a click group over the stages of the chain."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

from goldmine import __version__
from goldmine.errors import GoldmineError

__all__ = ["STAGES", "cli"]

#: The commands in the order of the chain; each lives in ``goldmine.stages.<name>``.
STAGES = ("configure", "generate", "delphes", "observables", "combine", "augment", "train", "evaluate", "plot",
          "run")

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
    """Imports a stage's module only when its command runs, so that ``goldmine generate``
    does not pay for torch or scipy.stats (2.5 s of imports for all ten on a 2-core machine)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Commands in the order of the chain."""
        return list(STAGES)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in STAGES:
            return None
        if name not in self.commands:
            module = importlib.import_module(f"goldmine.stages.{name}")
            self.add_command(getattr(module, name))
        return self.commands[name]

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

