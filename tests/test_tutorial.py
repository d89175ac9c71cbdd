"""The tutorial (docs/tutorial): every notebook, executed in order from a clean work folder
as a reader runs them; a cell that raises fails the test, naming the notebook and cell."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial"
NOTEBOOKS = sorted(TUTORIAL.glob("[0-9][0-9]-*.ipynb"))


def test_the_chapters_are_numbered_and_stored_without_outputs() -> None:
    import nbformat

    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(1, len(NOTEBOOKS) + 1)]
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        code = [cell for cell in book.cells if cell.cell_type == "code"]
        assert code and all(not cell.outputs and cell.execution_count is None for cell in code), path.name


@pytest.fixture(scope="module")
def work() -> Path:
    """The tutorial's work folder, emptied first: the chapters build on each other."""
    folder = TUTORIAL / "work"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_chapter_runs(path: Path, work: Path) -> None:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(TUTORIAL)}})
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name}: {error}", pytrace=False)
