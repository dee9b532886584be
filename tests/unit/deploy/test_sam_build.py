"""`sam build` of the real template works without Docker and without a local python3.13."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from allstore.local.template import load_template

REPO = Path(__file__).resolve().parents[3]


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
