"""The deploy scripts run on macOS's stock bash 3.2: no bash-4 features, no bare empty-array expansion.

shellcheck cannot see these (it does not know the target bash version), so a static check reads
every script for them, and the scripts' pure functions are run under `set -u` with empty optional
values, the situation where bash < 4.4 fails with "unbound variable".
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPTS = sorted(
    [REPO / "deploy.sh", REPO / "deploy-webui.sh", REPO / "teardown.sh", *(REPO / "scripts").glob("*.sh")]
)

# An array expanded only when it has elements: ${name[@]+"${name[@]}"} (bash < 4.4 treats an empty
# array as unset under `set -u`). ${#name[@]} (the length) is safe.
GUARDED_EXPANSION = re.compile(r'\$\{(\w+)\[@\]\+"\$\{\1\[@\]\}"\}')
ARRAY_EXPANSION = re.compile(r"\$\{!?(\w+)\[[@*]\][^}]*\}")
BASH4_FEATURES = {
    "associative array (declare -A, bash 4.0)": re.compile(r"\b(declare|local|typeset)\s+-\w*A"),
    "nameref (declare -n, bash 4.3)": re.compile(r"\b(declare|local|typeset)\s+-\w*n\b"),
    "mapfile (bash 4.0)": re.compile(r"\bmapfile\b"),
    "readarray (bash 4.0)": re.compile(r"\breadarray\b"),
    "case conversion ${x,,} / ${x^^} (bash 4.0)": re.compile(r"\$\{\w+(\[[^]]*\])?(,,?|\^\^?)[^}]*\}"),
    "parameter transformation ${x@Q} (bash 4.4)": re.compile(r"\$\{\w+(\[[^]]*\])?@[QEPAaUuLK]\}"),
    "|& (bash 4.0)": re.compile(r"\|&"),
    "&>> (bash 4.0)": re.compile(r"&>>"),
    "coproc (bash 4.0)": re.compile(r"\bcoproc\b"),
    "[[ -v ]] (bash 4.2)": re.compile(r"\[\[\s+(!\s+)?-v\b"),
    "case fall-through ;& or ;;& (bash 4.0)": re.compile(r";;?&"),
    "globstar (bash 4.0)": re.compile(r"shopt\s+-s\s+\w*\s*globstar"),
    "wait -n (bash 4.3)": re.compile(r"\bwait\s+-n\b"),
    "$EPOCHSECONDS / $EPOCHREALTIME (bash 5.0)": re.compile(r"\$\{?EPOCH(SECONDS|REALTIME)"),
    "negative array index (bash 4.3)": re.compile(r"\$\{\w+\[-\d+\]\}"),
}


def _code(line: str) -> str:
    """The line without a trailing comment (a # that starts a word)."""
    return re.sub(r"(^|\s)#.*$", "", line)


def bash32_problems(text: str, name: str = "script") -> list[str]:
    """Every construct in `text` that bash 3.2 rejects, or that fails there under `set -u`."""
    problems = []
    in_heredoc: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if in_heredoc is not None:  # a here-document's body is data (e.g. Python), not bash
            if line.strip() == in_heredoc:
                in_heredoc = None
            continue
        code = _code(line)
        heredoc = re.search(r"<<-?\s*'?\"?(\w+)'?\"?", code)
        if heredoc and "<<<" not in code:
            in_heredoc = heredoc.group(1)
        for feature, pattern in BASH4_FEATURES.items():
            if pattern.search(code):
                problems.append(f"{name}:{number}: {feature}: {line.strip()}")
        for match in ARRAY_EXPANSION.finditer(GUARDED_EXPANSION.sub("", code)):
            if code[max(match.start() - 1, 0) : match.start() + 2] != "${#":
                problems.append(
                    f'{name}:{number}: unguarded array expansion {match.group(0)} (use ${{a[@]+"${{a[@]}}"}}): '
                    f"{line.strip()}"
                )
    return problems


def test_every_deploy_script_is_checked() -> None:
    names = {path.relative_to(REPO).as_posix() for path in SCRIPTS}
    assert {"deploy.sh", "deploy-webui.sh", "teardown.sh", "scripts/lib.sh", "scripts/package.sh"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.relative_to(REPO).as_posix())
def test_scripts_use_only_bash_32_constructs(script: Path) -> None:
    assert bash32_problems(script.read_text(), script.name) == []


@pytest.mark.parametrize(
    "snippet",
    [
        'aws s3 ls "${OPTIONS[@]}"',
        "for x in ${items[*]}; do :; done",
        'echo "${names[@]:1}"',
        "declare -A seen=()",
        "local -A map",
        "local -n ref=$1",
        "mapfile -t lines < file",
        "readarray lines < file",
        'lower="${name,,}"',
        'upper="${name^^}"',
        'echo "${name@Q}"',
        "make |& tee log",
        "echo hi &>> log",
        "coproc worker { cat; }",
        "if [[ -v REGION ]]; then :; fi",
        "  a) echo a ;&",
        "shopt -s globstar",
        "wait -n",
        "echo $EPOCHSECONDS",
        'echo "${args[-1]}"',
    ],
)
def test_the_checker_catches_each_bash4_construct(snippet: str) -> None:
    assert bash32_problems(snippet), f"not caught: {snippet}"


@pytest.mark.parametrize(
    "snippet",
    [
        'aws s3 ls ${OPTIONS[@]+"${OPTIONS[@]}"}',
        "if ((${#POSITIONAL[@]} < 2)); then :; fi",
        'echo "${name}" # a comment with ${x[@]} and declare -A',
        "python3 - <<'PY'\nprint(f'{x[@]}' if a |& b else 0)\nPY\necho done",
        'read -r a b <<<"${line}"',
        "case $1 in a) echo a ;; esac",
    ],
)
def test_the_checker_accepts_bash32_code(snippet: str) -> None:
    assert bash32_problems(snippet) == []


def _source_lib(body: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `body` in bash with scripts/lib.sh sourced under `set -euo pipefail`."""
    script = f'set -euo pipefail\nsource "{REPO / "scripts" / "lib.sh"}"\n{body}\n'
    return subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **env},
    )


def test_pure_functions_run_under_set_u_with_nothing_optional_given() -> None:
    result = _source_lib(
        """
usage() { echo usage; }
parse_options 1 2 mystore
echo "positional=${POSITIONAL[0]} dry=${DRY_RUN} region=[${REGION}] profile=[${PROFILE}]"
REGION=eu-west-1
aws_options
printf 'option=%s\\n' ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
validate_stack_name mystore
require_version node v20.19.0 20.19
require_version python3 3.13.1 3.11
DRY_RUN=true
run aws s3 ls ${AWS_OPTIONS[@]+"${AWS_OPTIONS[@]}"}
echo "output=$(stack_output WebBucket)"
"""
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "positional=mystore dry=false region=[] profile=[]",
        "option=--region",
        "option=eu-west-1",
        "+ aws s3 ls --region eu-west-1",
        "output=<WebBucket>",
    ]


def test_resolve_region_without_a_profile_under_set_u(tmp_path: Path) -> None:
    fake_aws = tmp_path / "aws"
    fake_aws.write_text('#!/bin/sh\necho "$@" > "$AWS_ARGS"\necho ap-south-1\n')
    fake_aws.chmod(0o755)
    result = _source_lib(
        'resolve_region\necho "region=${REGION}"',
        PATH=f"{tmp_path}:/usr/bin:/bin",
        AWS_ARGS=str(tmp_path / "args"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "region=ap-south-1"
    assert (tmp_path / "args").read_text().split() == ["configure", "get", "region"]


@pytest.mark.parametrize("version", ["v20.18.9", "19.99", "abc"])
def test_require_version_refuses_older_or_unreadable_versions(version: str) -> None:
    result = _source_lib(f"require_version node {version} 20.19")
    assert result.returncode == 1
    assert "too old" in result.stderr or "could not read the version" in result.stderr
