"""The notebooks as stored: without outputs (diffs and reviews stay readable, no stale results or
data in git), valid, and with no local-only code (boto3 finds the local store from the environment)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.notebooks.conftest import NOTEBOOKS

ALL_NOTEBOOKS = sorted(NOTEBOOKS.rglob("*.ipynb"))
EXPECTED = {
    "1. Our First Campaign.ipynb",
    "2. Enabling Real-Time Feedback.ipynb",
    "3. Expanding to Other Campaigns.ipynb",
    "4. Improving Relevance.ipynb",
    "0. Data Diagnostic.ipynb",
    "Clean Up.ipynb",
    "util/UCSD Preprocessing.ipynb",
}
LOCAL_ONLY = ("endpoint_url", "127.0.0.1", "localhost", "allstore-local")


def test_the_workshop_notebooks_are_all_there() -> None:
    assert {str(path.relative_to(NOTEBOOKS)) for path in ALL_NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda path: path.name)
def test_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda path: path.name)
def test_no_local_only_code(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert not [word for word in LOCAL_ONLY if word in code]
