"""The search server and the Personalize service run in child processes that stop with the runner."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from allstore.local.service_process import ServiceProcess


def test_a_child_serves_until_stopped_and_keeps_its_state(tmp_path: Path) -> None:
    service = ServiceProcess("search", tmp_path / "search", tmp_path / "search.log")
    service.start()
    url = service.wait_until_serving()
    assert url.startswith("http://127.0.0.1:")
    assert requests.put(f"{url}/products", json={}, timeout=30).json()["acknowledged"] is True
    process = service._process
    assert process is not None
    service.stop()
    assert process.returncode == 0, "closing its stdin stops the child cleanly"

    again = ServiceProcess("search", tmp_path / "search", tmp_path / "search.log")
    again.start()
    try:
        answer = requests.get(f"{again.wait_until_serving()}/products", timeout=30).json()
        assert "products" in answer, "the index was saved and is served again"
    finally:
        again.stop()


def test_a_child_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the state directory should be")
    service = ServiceProcess("search", tmp_path / "taken", tmp_path / "search.log")
    service.start()
    with pytest.raises(RuntimeError, match=r"search\.log"):
        service.wait_until_serving()
    assert (tmp_path / "search.log").read_text(), "the child's error is in its log"


def test_only_the_known_services() -> None:
    with pytest.raises(ValueError, match="unknown local service"):
        ServiceProcess("redis", Path("x"), Path("x.log"))
