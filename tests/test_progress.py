"""Progress of long work: a bar on a terminal, periodic log lines in logs, nothing when off;
the stages report it."""

from __future__ import annotations

import logging

import pytest

from goldmine import progress as progress_module
from goldmine.progress import Progress


def test_without_a_terminal_a_line_every_interval_with_rate_and_time_left(monkeypatch, caplog) -> None:
    monkeypatch.setenv("GOLDMINE_PROGRESS", "log")
    clock = iter([0.0, 10.0, 20.0, 40.0, 70.0])
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    with caplog.at_level(logging.INFO, logger="goldmine.progress"):
        with Progress(1000, "observables events.root", "events", interval=30.0) as progress:
            progress.update(100)  # t = 10 s: within the interval, quiet
            progress.update(100)  # t = 20 s: quiet
            progress.update(200)  # t = 40 s: a line
            progress.update(100)  # t = 70 s: 30 s after the last line: a line
    lines = [r.getMessage() for r in caplog.records if r.name == "goldmine.progress"]
    assert lines[0] == "observables events.root: 400 of 1000 events (40 %), 10 events/s, 1 min 00 s left"
    assert lines[1] == "observables events.root: 500 of 1000 events (50 %), 7.14 events/s, 1 min 10 s left"
    assert len(lines) == 2


def test_an_unknown_total_gives_the_rate_only() -> None:
    progress = Progress(None, "detector events.hepmc.gz", "events")
    progress.done = 3000
    assert progress.line(2.0) == "detector events.hepmc.gz: 3000 events, 1.5e+03 events/s"


def test_on_a_terminal_a_bar_and_off_nothing(monkeypatch, capsys, caplog) -> None:
    monkeypatch.setenv("GOLDMINE_PROGRESS", "bar")
    with Progress(50, "train", "epochs") as progress:
        progress.update(25)
        progress.update(25)
    assert "train" in capsys.readouterr().err
    monkeypatch.setenv("GOLDMINE_PROGRESS", "off")
    with caplog.at_level(logging.INFO, logger="goldmine.progress"), Progress(5, "train", "epochs",
                                                                               interval=0.0) as progress:
        progress.update(5)
    assert not [r for r in caplog.records if r.name == "goldmine.progress"] and not capsys.readouterr().err


@pytest.mark.parametrize("mode", ["log", "bar"])
def test_a_stage_reports_its_progress(mode, tmp_path, monkeypatch, caplog, capsys, examples, wh_fixtures) -> None:
    """observables on MadGraph's LHE reports its events: a bar on a terminal, log lines
    under goldmine run (here one per chunk)."""
    import yaml

    from goldmine import api

    raw = yaml.safe_load((examples / "wh-madgraph.yml").read_text())
    for key in ("generation", "backgrounds", "detector"):
        raw.pop(key)
    raw["systematics"] = []
    raw["observables"] = [{"name": "pt_w", "expression": "(l[0] + nu[0]).pt", "required": True}]
    raw["cuts"] = []
    config = tmp_path / "byo.yml"
    config.write_text(yaml.safe_dump(raw))
    api.configure(config, tmp_path / "setup.h5", tmp_path / "plan.yml")
    monkeypatch.setenv("GOLDMINE_PROGRESS", mode)
    monkeypatch.setattr(progress_module, "INTERVAL_SECONDS", 0.0)
    capsys.readouterr()
    with caplog.at_level(logging.INFO, logger="goldmine.progress"):
        api.observables(tmp_path / "setup.h5", config, wh_fixtures / "events_sm.lhe.gz", tmp_path / "events.h5",
                        sampling_benchmark="sm", chunk_size=1000)
    lines = [r.getMessage() for r in caplog.records if r.name == "goldmine.progress"]
    if mode == "log":
        assert lines[-1].startswith("observables events_sm.lhe.gz: 3000 of 3000 events (100 %)"), lines
        assert len(lines) == 3  # one per chunk of 1000
    else:
        assert "observables events_sm.lhe.gz" in capsys.readouterr().err and not lines
