"""The workshop ships with the deployment (issue 16, point 2): scripts/package_workshop.py zips
Personalize/ and every project module it imports, and the zip alone is enough for the notebooks'
imports; the template copies it to the staging bucket and the notebook lifecycle unpacks it."""

from __future__ import annotations

import re
import site
import subprocess
import sys
import zipfile
from pathlib import Path

from allstore.local.template import load_template

REPO = Path(__file__).resolve().parents[3]
TEMPLATE = load_template()


def _build(tmp_path: Path, name: str = "workshop.zip") -> Path:
    destination = tmp_path / name
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "package_workshop.py"), str(destination)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return destination


def test_the_zip_holds_the_notebooks_util_and_the_modules_they_import(tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(_build(tmp_path)).namelist())
    notebooks = {path.relative_to(REPO).as_posix() for path in (REPO / "Personalize").rglob("*.ipynb")}
    assert notebooks and notebooks <= names
    assert {
        "Personalize/util/__init__.py",
        "Personalize/util/dataformat.py",
        "functions/common/allstore_common/records.py",
        "allstore/__init__.py",
        "allstore/workshop/cleanup.py",
        "allstore/workshop/resources.py",
        "allstore/workshop/polling.py",
    } <= names
    # only what the workshop imports: not the local runtime, the CLI or the Lambda handlers
    assert not any(
        name.startswith(("allstore/local/", "allstore/personalize/", "functions/api/")) for name in names
    )
    assert "allstore/workshop/commands.py" not in names
    assert not any("__pycache__" in name or ".ipynb_checkpoints" in name for name in names)


def test_the_zip_is_reproducible(tmp_path: Path) -> None:
    assert _build(tmp_path, "a.zip").read_bytes() == _build(tmp_path, "b.zip").read_bytes()


def test_the_notebooks_imports_resolve_inside_the_unpacked_zip(tmp_path: Path) -> None:
    """As on the notebook instance: nothing of the project installed, only the unpacked zip."""
    target = tmp_path / "SageMaker" / "allstore"
    zipfile.ZipFile(_build(tmp_path)).extractall(target)
    modules = [
        "util",
        "util.dataformat",
        "util.diagnostic",
        "util.preproc",
        "util.progress",
        "allstore.workshop.cleanup",
        "allstore.workshop.resources",
        "allstore.workshop.wiring",
        "allstore_common.records",
    ]
    script = f"""
import sys
sys.path[:0] = [{str(target / "Personalize")!r}, *{site.getsitepackages()!r}]
import importlib
for name in {modules!r}:
    module = importlib.import_module(name)
    assert module.__file__.startswith({str(target)!r}), (name, module.__file__)
print("ok")
"""
    # -S: no site initialisation, so the editable install's .pth files (this repository) are not read
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


def test_the_stack_copies_the_zip_and_the_notebook_unpacks_it() -> None:
    parameters = TEMPLATE["Parameters"]
    assert parameters["WorkshopSource"]["Default"] == ""
    assert parameters["NotebookRepository"]["Default"] == "", "the git repository is optional"
    resources = TEMPLATE["Resources"]
    copies = resources["InitStagingBucket"]["Properties"]["Copies"]
    workshop = next(copy for copy in copies if copy["From"] == {"Ref": "WorkshopSource"})
    assert workshop["To"] == {"Fn::Sub": "s3://${StagingBucket}/workshop/workshop.zip"}
    script = resources["NotebookLifecycle"]["Properties"]["OnStart"][0]["Content"]["Fn::Base64"]["Fn::Sub"]
    assert "BUNDLE_KEY=workshop/workshop.zip" in script and "python3 -m zipfile -e" in script
    assert resources["NotebookInstance"]["Properties"]["DefaultCodeRepository"] == {
        "Fn::If": ["HasNotebookRepository", {"Ref": "NotebookRepository"}, {"Ref": "AWS::NoValue"}]
    }


FAKE_AWS = """#!/usr/bin/env python3
import os, shutil, sys
args = sys.argv[1:]
with open(os.environ["AWS_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
if args[:2] == ["s3api", "head-object"]:
    etag = os.environ.get("FAKE_ETAG", "")
    if not etag:
        sys.exit(254)  # no workshop in the staging bucket
    print(etag)
elif args[:2] == ["s3", "cp"]:
    assert args[-2] == "s3://staging-bucket-1/workshop/workshop.zip", args
    shutil.copy(os.environ["FAKE_ZIP"], args[-1])
"""


def _lifecycle_script(root: Path) -> str:
    """NotebookLifecycle's OnStart script as CloudFormation renders it, its paths moved under `root`."""
    notebook = TEMPLATE["Resources"]["NotebookLifecycle"]["Properties"]["OnStart"][0]["Content"]
    script = notebook["Fn::Base64"]["Fn::Sub"]
    values = {"AWS::Region": "eu-west-1", "AWS::StackName": "mystore", "StagingBucket": "staging-bucket-1"}
    script = re.sub(
        r"\$\{([A-Za-z0-9:.]+)\}", lambda match: values.get(match.group(1), f"<{match.group(1)}>"), script
    )
    return re.sub(
        r'(?<=[\s="])(/etc/profile\.d|/home/ec2-user|/tmp)(?=/)',
        lambda match: f"{root}{match.group(1)}",
        script,
    )


def test_the_lifecycle_unpacks_the_workshop_once_per_version(tmp_path: Path) -> None:
    root = tmp_path / "instance"
    for folder in ("etc/profile.d", "home/ec2-user/anaconda3/envs/python3", "tmp"):
        (root / folder).mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {"aws": FAKE_AWS, "chown": "#!/bin/sh\n", "systemctl": "#!/bin/sh\n"}.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    script = tmp_path / "on-start.sh"
    script.write_text(_lifecycle_script(root))
    log = tmp_path / "aws.log"
    environment = {
        "PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin",
        "AWS_LOG": str(log),
        "FAKE_ZIP": str(_build(tmp_path)),
    }

    def start(etag: str) -> list[str]:
        log.write_text("")
        result = subprocess.run(
            ["bash", str(script)],
            env={**environment, "FAKE_ETAG": etag},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return [line.split()[1] for line in log.read_text().splitlines()]

    target = root / "home" / "ec2-user" / "SageMaker" / "allstore"
    assert start("") == ["head-object"] and not target.exists()  # no workshop: the instance still starts
    assert start('"v1"') == ["head-object", "cp"]
    assert (target / "Personalize" / "util" / "__init__.py").is_file()
    assert (target / "allstore" / "workshop" / "cleanup.py").is_file()
    assert (target / ".workshop-etag").read_text().strip() == '"v1"'
    (target / "Personalize" / "my-notes.ipynb").write_text("{}")
    assert start('"v1"') == ["head-object"], "an unchanged workshop is not unpacked again"
    assert start('"v2"') == ["head-object", "cp"]
    assert (target / "Personalize" / "my-notes.ipynb").is_file(), "files the user added stay"
    conda_env = root / "home/ec2-user/anaconda3/envs/python3/etc/conda/activate.d/allstore.sh"
    assert 'export STAGING_BUCKET="staging-bucket-1"' in conda_env.read_text()
