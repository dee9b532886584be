#!/usr/bin/env python3
"""Zip the workshop for the notebook instance: Personalize/ and every project module it imports.

The notebook instance must not depend on a git repository (which may not exist, or hold other
code), so deploy.sh and `make package` ship the workshop with the deployment: this zip goes to the
staging bucket and the notebook lifecycle configuration unpacks it. Paths inside the zip are the
repository's, because `Personalize/util` finds the data layer relative to itself (the repository's
`functions/common` and root). Which project modules go in is computed, not listed: the imports of
the notebooks' code cells and of `Personalize/util`, followed through `allstore.*` and
`allstore_common.*` until closed. Third-party packages (pandas, boto3, matplotlib, tqdm) come from
the instance's conda_python3 environment. Standard library only; run by deploy.sh and package.sh.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKSHOP = REPO / "Personalize"
# Top-level project packages the workshop may import, and the folder each lives in.
PACKAGE_ROOTS = {"allstore": REPO, "allstore_common": REPO / "functions" / "common"}
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # the same sources give the same zip, byte for byte


def _imports(source: str, module: str = "", is_package: bool = False) -> set[str]:
    """Absolute names of the modules `source` imports (relative imports resolved against `module`)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parts = parts if is_package else parts[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def _module_file(name: str) -> Path | None:
    """The file of a project module (`allstore.workshop.cleanup`), or None for anything else."""
    root = PACKAGE_ROOTS.get(name.split(".")[0])
    if root is None:
        return None
    path = root.joinpath(*name.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def _notebook_code(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            lines.extend(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    return "\n".join(lines)


def workshop_files() -> list[Path]:
    """Every file the zip holds: the workshop folder and the closure of the project modules it imports."""
    files = {
        path
        for path in WORKSHOP.rglob("*")
        if path.is_file() and not SKIPPED_PARTS & set(path.relative_to(WORKSHOP).parts)
    }
    pending = set()
    for path in files:
        if path.suffix == ".ipynb":
            pending |= _imports(_notebook_code(path))
        elif path.suffix == ".py":
            pending |= _imports(path.read_text(encoding="utf-8"))
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        module_file = _module_file(name)
        if module_file is None:
            continue
        files.add(module_file)
        parts = name.split(".")
        for depth in range(1, len(parts)):  # parent packages are imported first
            pending.add(".".join(parts[:depth]))
        pending |= _imports(module_file.read_text(encoding="utf-8"), name, module_file.name == "__init__.py")
    return sorted(files)


def write_zip(destination: Path) -> list[str]:
    """Write the workshop zip and return the names in it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    names = []
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in workshop_files():
            name = path.relative_to(REPO).as_posix()
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
            names.append(name)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("destination", type=Path, help="the zip to write, e.g. build/workshop.zip")
    arguments = parser.parse_args(argv)
    names = write_zip(arguments.destination)
    print(f"{arguments.destination}: {len(names)} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
