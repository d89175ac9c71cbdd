"""``goldmine run``: the whole chain as the yadage workflow, locally or in containers
(:func:`goldmine.api.run`)."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["run"]

@click.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("goldmine-run"),
              show_default=True, help="Run directory; a previous goldmine run there is removed first.")
@click.option("--backend", type=click.Choice(["local", "podman", "docker"]), default="local", show_default=True,
              help="local: each step's command in this environment; podman/docker: the stage images.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Steps run at once.")
@click.option("--events", type=click.IntRange(min=0), default=0,
              help="Events per generation job [default: the config's].")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Device of train and evaluate.")
@click.option("--toplevel", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Checkout holding workflows/ and specs/ [default: the one goldmine is installed from].")
@click.option("--status", is_flag=True,
              help="Only say what state the run in --workdir is in (running, finished, failed, killed with "
                   "processes left running, ...) and its steps per stage; start nothing.")
def run(config: Path | None, workdir: Path, backend: str, jobs: int, events: int, device: str,
        toplevel: Path | None, status: bool) -> None:
    """Run the workflow (workflows/goldmine.yml) on CONFIG [default: examples/wh-builtin.yml
    of the checkout], show per-stage progress, check every output, say where the plots are."""
    if status:
        from goldmine.workflow.status import read_status

        click.echo("\n".join(read_status(workdir.resolve()).lines()))
        return
    from goldmine.api import run as run_workflow

    result = run_workflow(config, workdir, backend=backend, jobs=jobs, events=events, device=device,
                          toplevel=toplevel, report=click.echo)
    minutes, seconds = divmod(round(result.seconds), 60)
    steps = ", ".join(f"{stage} {n}" for stage, n in result.steps.items())
    click.echo(f"finished in {minutes} min {seconds:02d} s ({steps} steps)")
    click.echo(f"results: {result.results}")
    click.echo(f"plots:   {result.plots}")
    click.echo(f"summary: {result.summary}")
