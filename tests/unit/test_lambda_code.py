"""load_handler imports a function's app.py the way the Lambda runtime would, afresh each time."""

from __future__ import annotations

from pathlib import Path

import pytest

from allstore.local.lambda_code import load_handler

APP = """
from __future__ import annotations

import os
from dataclasses import dataclass

CAMPAIGN_ARN = os.environ.get("CAMPAIGN_ARN", "")


@dataclass
class Answer:
    campaign: str


def lambda_handler(event, context):
    return Answer(CAMPAIGN_ARN).campaign
"""


def test_a_fresh_load_sees_the_current_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.setenv("CAMPAIGN_ARN", "first")
    first = load_handler(tmp_path)
    monkeypatch.setenv("CAMPAIGN_ARN", "second")
    second = load_handler(tmp_path, "app.lambda_handler")
    assert first({}, None) == "first"
    assert second({}, None) == "second"


def test_missing_module_or_function_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"app\.py does not exist"):
        load_handler(tmp_path)
    (tmp_path / "app.py").write_text("handler = 1\n")
    with pytest.raises(AttributeError, match="no handler function 'lambda_handler'"):
        load_handler(tmp_path)
