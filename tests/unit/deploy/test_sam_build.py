"""`sam build` of the real template works without Docker and without a local python3.13."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from allstore.local.template import load_template

REPO = Path(__file__).resolve().parents[3]
LOCK = REPO / "functions" / "common" / "requirements.txt"
LEFT_TO_THE_RUNTIME = {"boto3", "botocore", "s3transfer"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_distributions() -> dict[str, str]:
    """name -> version of every distribution in the layer's lock file."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ \\\n]+)", LOCK.read_text(), re.MULTILINE)
    return {_normalise(name): version for name, version in pins}


def test_the_layer_lock_pins_every_dependency_with_hashes() -> None:
    text = LOCK.read_text()
    requirements = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    assert requirements and all(
        re.fullmatch(r"[A-Za-z0-9._-]+(\[[a-z,]+\])?==\S+ \\", line) for line in requirements
    )
    assert text.count("--hash=sha256:") >= len(requirements)
    assert "--python-version 3.13 --python-platform aarch64-manylinux_2_34" in text
    locked = locked_distributions()
    direct = re.findall(
        r"^([A-Za-z0-9._-]+)(?:\[[a-z,]+\])?==(\S+)", (LOCK.parent / "requirements.in").read_text(), re.M
    )
    for name, version in direct:
        assert locked[_normalise(name)] == version, f"{name} in requirements.in is not what the lock pins"
    # transitive dependencies are pinned too (a lock of only the direct ones would not be one)
    assert {"aws-xray-sdk", "wrapt", "requests", "urllib3", "certifi"} <= set(locked)
    assert not LEFT_TO_THE_RUNTIME & set(locked), "boto3/botocore/s3transfer come from the Lambda runtime"
    makefile = (REPO / "functions" / "Makefile").read_text()
    assert "--no-deps --require-hashes" in makefile and "-r requirements.txt" in makefile


def test_sam_build_packages_every_function_and_the_layer(tmp_path: Path) -> None:
    sam = Path(sys.executable).parent / "sam"
    assert sam.exists() or shutil.which("sam"), "sam comes with requirements/dev.txt (aws-sam-cli)"
    build_dir = tmp_path / "build"
    environment = {**os.environ, "SAM_CLI_TELEMETRY": "0", "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    result = subprocess.run(
        [
            str(sam if sam.exists() else "sam"),
            "build",
            "--template-file",
            "template.yaml",
            "--build-dir",
            str(build_dir),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=environment,
        timeout=540,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    functions = [
        name
        for name, resource in load_template()["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    ]
    for name in functions:
        assert (build_dir / name / "app.py").is_file(), f"{name} was not built"
        assert not list((build_dir / name).glob("**/__pycache__"))
    layer = build_dir / "CommonLayer" / "python"
    assert (layer / "allstore_common" / "search_client.py").is_file()
    assert (layer / "aws_lambda_powertools").is_dir()
    assert (layer / "opensearchpy").is_dir()
    assert (build_dir / "template.yaml").is_file()
    installed = {
        _normalise(match.group(1)): match.group(2)
        for match in (
            re.fullmatch(r"(.+)-([^-]+)\.dist-info", path.name) for path in layer.glob("*.dist-info")
        )
        if match
    }
    assert installed == locked_distributions(), "the layer must hold exactly the locked distributions"
