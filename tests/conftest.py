"""Shared fixtures: the repository's paths, the real-tool fixtures, madminer's venv."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"
EXAMPLES = REPO / "examples"


@pytest.fixture(autouse=True)
def _seed() -> None:
    np.random.seed(1234)


@pytest.fixture(scope="session")
def wh_fixtures() -> Path:
    """../shared/fixtures/mg5-wh-ewdim6; a missing folder is an error, not a skip."""
    path = SHARED_FIXTURES / "mg5-wh-ewdim6"
    if not path.is_dir():
        pytest.fail(f"real-tool fixtures not found at {path}; check out shared/ beside the repository")
    return path


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """../shared/fixtures (the real-tool fixtures); missing is an error, not a skip."""
    if not SHARED_FIXTURES.is_dir():
        pytest.fail(f"real-tool fixtures not found at {SHARED_FIXTURES}; check out shared/ beside the repository")
    return SHARED_FIXTURES


class MadMiner:
    """Runs Python snippets with madminer 0.9.6 in its own virtual environment."""

    def __init__(self, python: str) -> None:
        self.python = python

    def run(self, script: str, **arguments: object) -> dict:
        """Run ``script`` with ``ARGS`` (a dict) defined; it must print one JSON object last."""
        code = f"import json\nARGS = json.loads({json.dumps(json.dumps(arguments))})\n{script}"
        completed = subprocess.run([self.python, "-c", code], capture_output=True, text=True, timeout=600)
        if completed.returncode != 0:
            pytest.fail(f"madminer script failed:\n{completed.stderr[-3000:]}")
        return json.loads(completed.stdout.strip().splitlines()[-1])


def _madminer_from(variable: str) -> MadMiner:
    """madminer 0.9.6 from the interpreter in ``variable``. CI always sets it, and there
    a missing interpreter fails the test; elsewhere the test is skipped with the reason."""
    python = os.environ.get(variable)
    if not python:
        if os.environ.get("CI"):
            pytest.fail(f"CI must set {variable} (see .ci/run)")
        pytest.skip(f"{variable} is not set (see README: reference environment)")
    if not Path(python).exists():
        pytest.fail(f"{variable}={python} does not exist")
    return MadMiner(python)


@pytest.fixture(scope="session")
def madminer() -> MadMiner:
    """madminer 0.9.6 beside numpy 2 (GOLDMINE_MADMINER_PYTHON)."""
    return _madminer_from("GOLDMINE_MADMINER_PYTHON")


@pytest.fixture(scope="session")
def madminer_delphes() -> MadMiner:
    """madminer 0.9.6 beside numpy < 2, for its DelphesReader (GOLDMINE_MADMINER_DELPHES_PYTHON)."""
    return _madminer_from("GOLDMINE_MADMINER_DELPHES_PYTHON")


@pytest.fixture(scope="session")
def examples() -> Path:
    return EXAMPLES
