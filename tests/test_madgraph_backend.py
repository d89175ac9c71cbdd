"""The madgraph backend's cards against the cards of the real MG5_aMC fixture runs, and its
runner against a stand-in ``mg5_aMC`` (MadGraph itself is not installable in CI)."""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import sys
import zlib
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from example_configs import madgraph_example
from goldmine.cli import cli
from goldmine.config.loader import parse_config
from goldmine.errors import ConfigError, GoldmineError
from goldmine.generate.card_values import LHAValue
from goldmine.generate.madgraph import find_mg5, lhe_cross_section
from goldmine.generate.madgraph_cards import (
    launch_script,
    param_card,
    process_card,
    reweight_card,
    run_card,
)
from goldmine.io.hepmc import iter_hepmc
from goldmine.io.lhe_events import iter_lhe_events

pytestmark = pytest.mark.fixtures

THETA = {"sm": (0.0, 0.0), "w_pos": (10.0, 0.0), "w_neg": (-10.0, 0.0), "pw_pos": (0.0, 10.0), "pw_neg": (0.0, -10.0),
         "mixed": (10.0, 10.0), "val_1": (5.0, -3.0), "val_2": (-15.0, 8.0), "val_3": (20.0, 20.0)}


def _values(name: str) -> tuple[LHAValue, ...]:
    cw, cpw = THETA[name]
    return LHAValue("dim6", 2, cw), LHAValue("dim6", 5, cpw)


def _launches(text: str) -> dict[str, list[str]]:
    """launch name → its set lines, from a reweight card."""
    blocks: dict[str, list[str]] = {}
    for line in text.splitlines():
        if match := re.match(r"\s*launch\s+--rwgt_name=(\S+)", line):
            current = blocks.setdefault(match.group(1), [])
        elif line.strip().startswith("set"):
            current.append(" ".join(line.split()))
    return blocks


@pytest.mark.parametrize(("sampling", "suffix", "n_events", "seed"), [("sm", "", 3000, 11), ("w_pos", "_w_pos", 1500, 12)])
def test_cards_equal_the_fixture_runs(wh_fixtures, examples, sampling, suffix, n_events, seed) -> None:
    cards, templates = wh_fixtures / "cards", examples / "cards" / "wh-ewdim6"
    written_run = run_card(templates.joinpath("run_card.dat").read_text(), n_events=n_events, seed=seed, beam_energy=6500.0)
    assert written_run == cards.joinpath(f"run_card{suffix}.dat").read_text()

    written_param = param_card(templates.joinpath("param_card.dat").read_text(), _values(sampling))
    fixture_param = cards.joinpath(f"param_card{suffix}.dat").read_text()
    strip = lambda text: [" ".join(line.split()) for line in text.splitlines()]
    assert strip(written_param) == strip(fixture_param)

    others = [(name, _values(name)) for name in THETA if name != sampling]
    written_reweight = reweight_card(Path("/tmp/rwgt"), others, sampling=sampling)
    fixture_reweight = cards.joinpath(f"reweight_card{suffix}.dat").read_text()
    assert _launches(written_reweight) == _launches(fixture_reweight)
    assert list(_launches(written_reweight)) == list(_launches(fixture_reweight))  # same order
    assert "change rwgt_dir /tmp/rwgt" in written_reweight


def test_process_card_and_launch_script(wh_fixtures, tmp_path) -> None:
    text = process_card(wh_fixtures.joinpath("cards/proc_card.dat").read_text(), tmp_path / "process")
    assert "generate p p > w+ h NP=2, w+ > l+ vl" in text
    assert len(re.findall(r"^output ", text, re.MULTILINE)) == 1 and text.rstrip().endswith(f"output {tmp_path / 'process'}")
    script = launch_script(tmp_path / "process", [tmp_path / "param_card.dat"])
    assert script.splitlines()[0] == f"launch {tmp_path / 'process'}"
    assert {"shower=OFF", "reweight=ON", "madspin=OFF"} <= set(script.splitlines())


def test_missing_param_card_entry_is_named(examples) -> None:
    template = examples.joinpath("cards/wh-ewdim6/param_card.dat").read_text()
    with pytest.raises(ConfigError, match="no entry DIM6 9"):
        param_card(template, [LHAValue("dim6", 9, 1.0)], source="param_card.dat")
    with pytest.raises(ConfigError, match="no '= nevents' entry"):
        run_card("  6500.0 = ebeam1\n", n_events=1, seed=1, beam_energy=6500.0)


def test_cross_section_from_the_lhe_init_block(wh_fixtures, shared_fixtures) -> None:
    assert lhe_cross_section(wh_fixtures / "events_sm.lhe.gz") == (0.1392, 0.00043267)
    # two processes (`generate` + `add process`), one <init> line each: σ is their sum, as
    # MadGraph's own "Integrated weight (pb) : 136.4476" in the same header
    value, error = lhe_cross_section(shared_fixtures / "mg5-backgrounds" / "tt_semilep_500.lhe.gz")
    assert value == pytest.approx(68.2999 + 68.1477, rel=1e-14) and value == pytest.approx(136.4476, rel=1e-12)
    assert error == pytest.approx(math.hypot(0.7402176, 0.5672813), rel=1e-12)


def _stand_in_mg5(folder: Path, body: str) -> Path:
    """A Python ``bin/mg5_aMC`` (with MG5_aMC's own shebang) that notes which interpreter ran
    it (``$MG5_PYTHON_MARK``) in ``folder/ran_on`` and then runs the shell ``body``."""
    executable = folder / "bin" / "mg5_aMC"
    executable.parent.mkdir(parents=True)
    executable.write_text(
        "#!/usr/bin/env python3\n"
        "import os, subprocess, sys\n"
        f"with open({str(folder / 'ran_on')!r}, 'a') as f: f.write(os.environ.get('MG5_PYTHON_MARK', sys.executable) + '\\n')\n"
        f"sys.exit(subprocess.call(['/bin/sh', '-c', {body!r}, 'mg5_aMC', *sys.argv[1:]]))\n")
    executable.chmod(0o755)
    return executable


def _python_shim(path: Path, mark: str) -> Path:
    """An executable ``path`` that runs this test's Python with MG5_PYTHON_MARK=``mark``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nMG5_PYTHON_MARK={mark} exec {sys.executable} \"$@\"\n")
    path.chmod(0o755)
    return path


def test_missing_mg5_is_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("MG5_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GoldmineError, match="MadGraph5_aMC not found"):
        find_mg5(None)
    monkeypatch.setenv("MG5_HOME", str(tmp_path / "mg5"))
    _stand_in_mg5(tmp_path / "mg5", "exit 0\n")
    assert find_mg5(None) == tmp_path / "mg5" / "bin" / "mg5_aMC"


def test_failing_madgraph_shows_its_log_and_keeps_the_run(tmp_path, examples) -> None:
    failing = 'echo "reading $1"\necho "Error detected in generate: unknown model"\nexit 3\n'
    result = _madgraph_job(tmp_path, examples, failing, seed="5", events="10")
    assert result.exit_code == 1
    assert "MadGraph5_aMC failed (exit 3)" in result.output and "unknown model" in result.output
    run_dir = tmp_path / ".job.mg5"
    assert (run_dir / "mg5.log").is_file() and (run_dir / "cards" / "reweight_card.dat").is_file()
    assert not (tmp_path / "job").exists()


_LAUNCH_WRITES = """\
case "$1" in
  *launch.mg5)
    process=$(head -n 1 "$1" | cut -d' ' -f2)
    mkdir -p "$process/Events/run_01"
    cp "{lhe}" "$process/Events/run_01/unweighted_events.lhe.gz"
    echo "INFO: Original cross-section: 0.1392 +- 0.0004327 pb";;
  *) echo "reading $1";;
esac
"""


def _madgraph_job(tmp_path: Path, examples: Path, mg5_body: str, *, seed: str = "11", events: str = "20",
                  python: list[str] | None = None, config_python: str | None = None,
                  sample: tuple[str, str] = ("--benchmark", "sm"), scale_systematics: bool = False) -> object:
    """Configure the madgraph example and run one job (of ``sample``) with a stand-in mg5_aMC
    running ``mg5_body``, on ``--mg5-python`` this test's Python unless ``python`` gives
    other arguments; without the example's scale systematics (the shared fixtures were made
    without MadGraph's systematics weights) unless ``scale_systematics``."""
    raw = madgraph_example(scale_systematics=scale_systematics)
    if config_python:
        raw["generation"]["madgraph"]["python"] = config_python
    config = tmp_path / "analysis.yml"
    config.write_text(yaml.safe_dump(raw))
    setup = tmp_path / "setup.h5"
    assert CliRunner().invoke(cli, ["configure", str(config), "--output", str(setup),
                                    "--plan", str(tmp_path / "plan.yml")]).exit_code == 0
    mg5 = _stand_in_mg5(tmp_path / "mg5", mg5_body)
    return CliRunner().invoke(cli, ["generate", "--setup", str(setup), "--config", str(config), *sample,
                                    "--seed", seed, "--events", events, "--output", str(tmp_path / "job"),
                                    "--mg5", str(mg5), *(["--mg5-python", sys.executable] if python is None else python)])


def test_madgraph_job_takes_madgraphs_lhe_and_showers_it(tmp_path, examples, wh_fixtures) -> None:
    """A stand-in mg5_aMC that 'generates' the fixture run: the job checks its weights,
    reads σ from its <init>, showers 20 events with every weight, removes MG's folder."""
    result = _madgraph_job(tmp_path, examples, _LAUNCH_WRITES.format(lhe=wh_fixtures / "events_sm.lhe.gz"))
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "job" / "generate.json").read_text())
    assert summary["cross_section_pb"] == {"value": 0.1392, "error": 0.00043267}
    assert summary["showered_events"] == 20 and summary["versions"]["mg5_amc"] == "unknown"
    hepmc = list(iter_hepmc(tmp_path / "job" / "events.hepmc.gz"))
    assert hepmc[0].weight_names == ("Weight", *[n for n in THETA if n != "sm"])
    assert sum(len(chunk) for chunk in hepmc) == 20
    assert not (tmp_path / ".job.mg5").exists()


def test_lhe_without_reweighting_weights_is_an_error(tmp_path, examples, wh_fixtures) -> None:
    """MG5_aMC exits 0 even when its reweighting module fails to compile: the job checks."""
    with gzip.open(wh_fixtures / "events_sm.lhe.gz", "rt") as stream:
        text = stream.read()
    unweighted = re.sub(r"<initrwgt>.*?</initrwgt>|<rwgt>.*?</rwgt>\n", "", text, flags=re.DOTALL)
    lhe = tmp_path / "unweighted.lhe.gz"
    with gzip.open(lhe, "wt") as stream:
        stream.write(unweighted)
    result = _madgraph_job(tmp_path, examples, _LAUNCH_WRITES.format(lhe=lhe))
    assert result.exit_code == 1
    assert "wrote no reweighting weights for w_pos, w_neg" in result.output
    assert (tmp_path / ".job.mg5" / "mg5.log").is_file() and not (tmp_path / "job").exists()


def test_truncated_madgraph_lhe_names_the_last_complete_event(tmp_path, examples, wh_fixtures) -> None:
    data = (wh_fixtures / "events_sm.lhe.gz").read_bytes()
    lhe = tmp_path / "truncated.lhe.gz"
    lhe.write_bytes(data[: len(data) // 2])
    result = _madgraph_job(tmp_path, examples, _LAUNCH_WRITES.format(lhe=lhe))
    assert result.exit_code == 1
    last = int(re.search(r"unweighted_events.lhe.gz: truncated or corrupt after event (\d+)", result.output).group(1))
    complete = zlib.decompressobj(wbits=31).decompress(data[: len(data) // 2]).decode().count("</event>")
    assert last == complete - 1 > 1000
    assert not (tmp_path / "job").exists()


@pytest.fixture()
def wrong_python_first(tmp_path, monkeypatch) -> Path:
    """PATH as a step sees it under ``goldmine run``: goldmine's own interpreter folder
    first, and before it a ``python3`` that stands for any other wrong interpreter."""
    wrong = _python_shim(tmp_path / "wrong" / "python3", "wrong")
    monkeypatch.setenv("PATH", os.pathsep.join([str(wrong.parent), str(Path(sys.executable).parent),
                                                os.environ.get("PATH", "")]))
    monkeypatch.delenv("MG5_PYTHON", raising=False)
    return wrong


@pytest.mark.parametrize("source", ["--mg5-python", "config", "MG5_PYTHON"])
def test_madgraph_runs_on_the_named_python_whatever_path_says(tmp_path, examples, wh_fixtures, wrong_python_first,
                                                               monkeypatch, source) -> None:
    right = str(_python_shim(tmp_path / "mg5python" / "python", "right"))
    if source == "MG5_PYTHON":
        monkeypatch.setenv("MG5_PYTHON", right)
    result = _madgraph_job(tmp_path, examples, _LAUNCH_WRITES.format(lhe=wh_fixtures / "events_sm.lhe.gz"),
                           python=["--mg5-python", right] if source == "--mg5-python" else [],
                           config_python=right if source == "config" else None)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mg5" / "ran_on").read_text().split() == ["right", "right"]  # output, then launch


def test_madgraph_python_skips_goldmines_environment_on_path(tmp_path, examples, wh_fixtures, wrong_python_first,
                                                             monkeypatch) -> None:
    """Named nowhere, MadGraph's Python is the first python3 on PATH outside the folder of
    goldmine's interpreter, which `goldmine run` puts first on every step's PATH."""
    right = _python_shim(tmp_path / "system" / "python3", "right")
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), str(right.parent), "/usr/bin", "/bin"]))
    result = _madgraph_job(tmp_path, examples, _LAUNCH_WRITES.format(lhe=wh_fixtures / "events_sm.lhe.gz"), python=[])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mg5" / "ran_on").read_text().split() == ["right", "right"]


def test_a_missing_madgraph_python_is_named(tmp_path, examples, wh_fixtures) -> None:
    result = _madgraph_job(tmp_path, examples, "exit 0\n", python=["--mg5-python", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert f"MadGraph's Python {tmp_path / 'nope'} (from --mg5-python or generation.madgraph.python)" in result.output
    assert not (tmp_path / "mg5" / "ran_on").exists() and not (tmp_path / "job").exists()


BACKGROUND_LHE = {"ttbar": "tt_semilep_500.lhe.gz", "wbb": "wpbb_500.lhe.gz"}

_BACKGROUND_LAUNCH_WRITES = """\
case "$1" in
  *launch.mg5)
    cp "$1" "{seen}/launch.mg5"; ls "$(dirname "$1")" > "{seen}/cards"
    process=$(head -n 1 "$1" | cut -d' ' -f2)
    mkdir -p "$process/Events/run_01"
    cp "{lhe}" "$process/Events/run_01/unweighted_events.lhe.gz";;
  *) echo "reading $1";;
esac
"""


@pytest.mark.parametrize("background", list(BACKGROUND_LHE))
def test_madgraph_background_job_has_the_nominal_weight_at_every_benchmark(tmp_path, examples, shared_fixtures,
                                                                        background) -> None:
    """A stand-in mg5_aMC that 'generates' the real background fixture run: MadGraph is
    launched without reweighting and without a param card (the model's own); the job's LHE
    is MadGraph's with every benchmark's weight the nominal one, bit for bit, its HepMC
    carries them, σ is MadGraph's over all its processes."""
    source = shared_fixtures / "mg5-backgrounds" / BACKGROUND_LHE[background]
    seen = tmp_path / "seen"
    seen.mkdir()
    result = _madgraph_job(tmp_path, examples, _BACKGROUND_LAUNCH_WRITES.format(seen=seen, lhe=source),
                           events="25", sample=("--background", background))
    assert result.exit_code == 0, result.output
    launch = (seen / "launch.mg5").read_text().splitlines()
    assert "reweight=OFF" in launch and "reweight=ON" not in launch
    assert (seen / "cards").read_text().split() == ["launch.mg5", "proc_card.dat", "run_card.dat"]

    summary = json.loads((tmp_path / "job" / "generate.json").read_text())
    assert (summary["backend"], summary["background"], summary["benchmark"]) == ("madgraph", background, None)
    assert summary["cross_section_pb"] == dict(zip(("value", "error"), lhe_cross_section(source), strict=True))
    assert summary["weight_names"] == ["Weight", *THETA]

    (header, written), = iter_lhe_events(tmp_path / "job" / "events.lhe.gz")
    (_, original), = iter_lhe_events(source)
    assert header.weight_names == tuple(THETA) and header.event_norm == "average"
    assert np.array_equal(written.nominal, original.nominal)
    assert np.array_equal(written.weights, np.repeat(original.nominal[:, None], len(THETA), axis=1))
    assert ak.all(written.particles.px == original.particles.px) and ak.all(written.particles.pid == original.particles.pid)

    hepmc = list(iter_hepmc(tmp_path / "job" / "events.hepmc.gz"))
    assert hepmc[0].weight_names == ("Weight", *THETA)
    weights = np.concatenate([chunk.weights for chunk in hepmc])
    assert len(weights) == 25 and np.array_equal(weights, np.repeat(weights[:, :1], 1 + len(THETA), axis=1))
    assert not (tmp_path / ".job.mg5").exists()


def test_madgraph_background_config_errors_name_the_key(tmp_path, shared_fixtures) -> None:
    raw = madgraph_example()
    ttbar = raw["backgrounds"][0]

    def error(**changes: object) -> str:
        entry = {**ttbar, **changes}
        with pytest.raises(ConfigError) as caught:
            parse_config(yaml.safe_dump({**raw, "backgrounds": [{k: v for k, v in entry.items() if v is not None}]}))
        return str(caught.value)

    assert "backgrounds[0].process" in error(process="w_jets") and "builtin backend only" in error(process="w_jets")
    assert "backgrounds[0].pt_hat_min" in error(pt_hat_min=50)
    assert "backgrounds[0].madgraph" in error(backend="builtin", process="w_jets")
    assert "backgrounds[0]" in error(madgraph=None) and "madgraph" in error(madgraph=None)
    assert "backgrounds[0].madgraph.run_card" in error(madgraph={**ttbar["madgraph"], "run_card": "nope.dat"})


def test_a_background_job_takes_no_backend_option(tmp_path, examples) -> None:
    result = _madgraph_job(tmp_path, examples, "exit 0\n", sample=("--background", "ttbar"),
                           python=["--backend", "builtin"])
    assert result.exit_code == 2 and "backgrounds[].backend" in result.output
    assert not (tmp_path / "job").exists()


def test_example_background_cards_are_the_fixture_runs(examples, shared_fixtures, tmp_path) -> None:
    """The example's process cards generate what the fixture runs generated (MadGraph's own
    copies of their cards, with its `set` defaults and a wrapped line), with the same run cards."""
    def commands(text: str) -> list[str]:
        joined = text.replace("\\\n", "")
        return [line for line in joined.splitlines()
                if line.strip() and not line.startswith(("#", "set ", "output ", "define"))]

    fixture = shared_fixtures / "mg5-backgrounds" / "cards"
    for name, folder in (("tt_semilep", "tt-semileptonic"), ("wpbb", "wpbb")):
        written = process_card((examples / "cards" / folder / "proc_card.dat").read_text(), tmp_path / name)
        assert commands(written) == commands((fixture / f"{name}_proc_card.dat").read_text())
        assert (examples / "cards" / folder / "run_card.dat").read_text() == (fixture / f"{name}_run_card.dat").read_text()


SYSTEMATICS_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mg5-systematics"

_LAUNCH_KEEPS_RUN_CARD = """\
case "$1" in
  *launch.mg5)
    cp "$(dirname "$1")/run_card.dat" "{seen}/run_card.dat"
    process=$(head -n 1 "$1" | cut -d' ' -f2)
    mkdir -p "$process/Events/run_01"
    cp "{lhe}" "$process/Events/run_01/unweighted_events.lhe.gz";;
  *) echo "reading $1";;
esac
"""

#: The example's scale systematic mu (factors 0.5, 2): its nuisance benchmarks and MadGraph's
#: weights for them in the fixture files (MUR = MUF = 2: id 8; MUR = MUF = 0.5: id 1).
MU_WEIGHTS = {"mu_nuisance_param_0_benchmark_0": "8", "mu_nuisance_param_0_benchmark_1": "1"}


def _systematics_job(tmp_path: Path, examples: Path, fixture: str, events: str, sample: tuple[str, str]) -> str:
    """One job of the example with its scale systematic on the real MG5 run ``fixture`` of
    tests/fixtures/mg5-systematics; the run card goldmine handed MadGraph."""
    seen = tmp_path / "seen"
    seen.mkdir()
    result = _madgraph_job(tmp_path, examples, _LAUNCH_KEEPS_RUN_CARD.format(seen=seen, lhe=SYSTEMATICS_FIXTURES / fixture),
                           events=events, sample=sample, scale_systematics=True)
    assert result.exit_code == 0, result.output
    return (seen / "run_card.dat").read_text()


def test_madgraph_signal_job_takes_the_scale_variations_from_madgraphs_systematics(tmp_path, examples) -> None:
    """The example with its scale systematic, a job sampled at w_pos on the real MG5 run of
    tests/fixtures/mg5-systematics: goldmine switched MadGraph's systematics on for μ × ½, 2;
    the job's LHE holds MadGraph's reweighting weights and, at each nuisance benchmark, the
    reference benchmark's (sm) weight times MadGraph's variation over XWGTUP; HepMC carries
    them; generate.json names MadGraph's weights."""
    source = SYSTEMATICS_FIXTURES / "wh_wpos_syst_200.lhe.gz"
    card = _systematics_job(tmp_path, examples, source.name, "30", ("--benchmark", "w_pos"))
    assert re.search(r"^\s*True\s*=\s*use_syst\b", card, re.MULTILINE)
    assert "'--mur=0.5,1.0,2.0', '--muf=0.5,1.0,2.0', '--together=mur,muf', '--dyn=-1', '--pdf=central'" in card

    summary = json.loads((tmp_path / "job" / "generate.json").read_text())
    others = [name for name in THETA if name != "w_pos"]
    assert summary["weight_names"] == ["Weight", *others, *MU_WEIGHTS]
    assert summary["madgraph_systematics_weights"] == MU_WEIGHTS
    (header, written), = iter_lhe_events(tmp_path / "job" / "events.lhe.gz")
    (original_header, original), = iter_lhe_events(source)
    column = {name: original.weights[:, original_header.weight_names.index(name)] for name in original_header.weight_names}
    assert header.weight_names == (*others, *MU_WEIGHTS)
    assert np.array_equal(written.weights[:, : len(others)], np.column_stack([column[name] for name in others]))
    for offset, madgraph_id in enumerate(MU_WEIGHTS.values()):
        np.testing.assert_allclose(written.weights[:, len(others) + offset],
                                   column["sm"] * column[madgraph_id] / original.nominal, rtol=1e-10)
    hepmc = list(iter_hepmc(tmp_path / "job" / "events.hepmc.gz"))
    assert hepmc[0].weight_names == ("Weight", *others, *MU_WEIGHTS)
    assert not (tmp_path / ".job.mg5").exists()


def test_madgraph_background_job_varies_the_nominal_weight(tmp_path, examples) -> None:
    """A tt̄ background job on the real MG5 run with systematics weights: every physics
    benchmark's weight is XWGTUP as written, each nuisance benchmark's XWGTUP times
    MadGraph's variation over it (σ × 0.77 at μ × 2)."""
    source = SYSTEMATICS_FIXTURES / "tt_semilep_syst_200.lhe.gz"
    card = _systematics_job(tmp_path, examples, source.name, "20", ("--background", "ttbar"))
    assert re.search(r"^\s*True\s*=\s*use_syst\b", card, re.MULTILINE)
    (header, written), = iter_lhe_events(tmp_path / "job" / "events.lhe.gz")
    (original_header, original), = iter_lhe_events(source)
    assert header.weight_names == (*THETA, *MU_WEIGHTS)
    assert np.array_equal(written.weights[:, : len(THETA)], np.repeat(original.nominal[:, None], len(THETA), axis=1))
    up = written.weights[:, len(THETA)]
    np.testing.assert_allclose(up, original.weights[:, original_header.weight_names.index("8")], rtol=1e-10)
    assert up.sum() / written.nominal.sum() == pytest.approx(0.77, abs=0.01)
    assert json.loads((tmp_path / "job" / "generate.json").read_text())["madgraph_systematics_weights"] == MU_WEIGHTS


def test_madgraph_lhe_without_the_declared_variations_is_an_error(tmp_path, examples, wh_fixtures) -> None:
    """MG5_aMC exits 0 when its systematics module cannot load LHAPDF: a run whose LHE lacks
    the declared variations fails, naming them, and keeps MadGraph's run directory."""
    result = _madgraph_job(tmp_path, examples, _LAUNCH_WRITES.format(lhe=wh_fixtures / "events_sm.lhe.gz"),
                           scale_systematics=True)
    assert result.exit_code == 1
    assert ("no single MadGraph systematics weight for mu_nuisance_param_0_benchmark_0 (MUR=2, MUF=2), "
            "mu_nuisance_param_0_benchmark_1 (MUR=0.5, MUF=0.5)") in result.output
    assert "fail to load lhapdf" in result.output
    assert (tmp_path / ".job.mg5" / "mg5.log").is_file() and not (tmp_path / "job").exists()
