"""allstore.workshop is what the notebooks import on the SageMaker instance, where nothing of the
local runtime is installed: every module of it imports with the local stand-ins, moto, tantivy and
the CLI's libraries made unimportable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import allstore.workshop

REPOSITORY = Path(__file__).resolve().parents[3]
UNAVAILABLE = ("allstore.local", "allstore.personalize", "allstore.search", "moto", "tantivy", "typer")
PROGRAM = f"""
import importlib, importlib.abc, pkgutil, sys

class NotOnSageMaker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == root or name.startswith(root + ".") for root in {UNAVAILABLE!r}):
            raise ModuleNotFoundError(f"{{name}} is not installed on the notebook instance", name=name)
        return None

sys.meta_path.insert(0, NotOnSageMaker())
import allstore.workshop
names = [info.name for info in pkgutil.iter_modules(allstore.workshop.__path__, "allstore.workshop.")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_every_workshop_module_imports_without_the_local_runtime() -> None:
    modules = [
        path for path in Path(allstore.workshop.__file__).parent.glob("*.py") if path.name != "__init__.py"
    ]
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip()) == len(modules) >= 5


def test_the_guard_does_refuse_the_local_runtime() -> None:
    """The same guard makes an import of the local runtime fail (so the test above can fail)."""
    program = PROGRAM.replace(
        "import allstore.workshop\n", "import allstore.workshop, allstore.local.store\n", 1
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "not installed on the notebook instance" in result.stderr
