"""The store's child processes never inherit the user's secrets: each gets an allow-listed environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from allstore.local.lambda_runtime import FunctionRuntime
from allstore.local.provision import FunctionSpec
from allstore.local.service_process import ServiceProcess

SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAREALUSERKEY00000",
    "AWS_SECRET_ACCESS_KEY": "real-user-secret-do-not-leak",
    "AWS_SESSION_TOKEN": "real-user-session-token",
    "AWS_PROFILE": "production",
    "GITHUB_TOKEN": "ghp_realtokendonotleak",
    "NPM_TOKEN": "npm-real-token",
}
HANDLER = """
import os

def handler(event, context):
    return {"environ": dict(os.environ), "pid": os.getpid()}
"""


@pytest.fixture
def user_secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The user's shell as it might be: real keys and tokens exported."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return SECRETS


def process_environment(pid: int) -> dict[str, str]:
    """What the kernel says process `pid` was started with."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(entry.split("=", 1) for entry in raw.decode().split("\0") if "=" in entry)


def assert_no_user_secret(environment: dict[str, str]) -> None:
    leaked = sorted(name for name, value in environment.items() if value in SECRETS.values())
    assert not leaked, f"the child inherited the user's secrets: {leaked}"
    assert "GITHUB_TOKEN" not in environment and "AWS_PROFILE" not in environment
    assert environment.get("AWS_SHARED_CREDENTIALS_FILE") == os.devnull, "no ~/.aws/credentials either"


@pytest.mark.parametrize("kind", ["search", "personalize"])
def test_service_children_start_without_the_users_secrets(
    kind: str, tmp_path: Path, user_secrets: dict[str, str]
) -> None:
    service = ServiceProcess(
        kind, tmp_path / kind, tmp_path / f"{kind}.log", environment={"AWS_ENDPOINT_URL_S3": "http://x"}
    )
    service.start()
    try:
        service.wait_until_serving()
        assert service.pid is not None
        environment = process_environment(service.pid)
    finally:
        service.stop()
    assert_no_user_secret(environment)
    assert environment["PATH"] == os.environ["PATH"], "the host basics a process needs are there"
    assert environment["AWS_ENDPOINT_URL_S3"] == "http://x", "and what the runner gives it on purpose"


def test_a_function_worker_sees_only_its_configuration_and_the_stores_keys(
    tmp_path: Path, user_secrets: dict[str, str]
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    spec = FunctionSpec(
        "Fn", "fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", code, "app.handler", 30, 128, {}
    )
    configuration = {"Environment": {"Variables": {"TABLE": "allstore-Items"}}}
    store_keys = {"AWS_ACCESS_KEY_ID": "ASIASTORE", "AWS_SECRET_ACCESS_KEY": "store-secret"}
    runtime = FunctionRuntime(spec, lambda name: configuration, store_keys, tmp_path)
    try:
        answer = runtime.invoke({})
        kernel_view = process_environment(answer["pid"])
    finally:
        runtime.stop()
    for environment in (answer["environ"], kernel_view):
        assert_no_user_secret(environment)
        assert environment["TABLE"] == "allstore-Items"
        assert environment["AWS_SECRET_ACCESS_KEY"] == "store-secret", "the store's own keys, not the user's"
        assert environment["AWS_MAX_ATTEMPTS"] == "1", "a dead local server fails the call at once"
