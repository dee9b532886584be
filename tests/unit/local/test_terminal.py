"""What a newcomer sees in the terminal: one-line refusals, quiet function logs, notebooks as root."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from typer.testing import CliRunner

from allstore.cli import app
from allstore.local import commands


def test_a_bad_data_spec_is_refused_in_one_message_before_anything_starts(tmp_path):
    state = tmp_path / "state"
    result = CliRunner().invoke(app, ["local", "up", "--state-dir", str(state), "--data", "bogus"])
    assert result.exit_code == 2
    assert "'bogus' is neither a synthetic size" in " ".join(result.output.replace("│", " ").split())
    assert "Traceback" not in result.output
    assert not state.exists()


def test_function_logs_have_no_powertools_empty_metrics_warning(tmp_path):
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            from aws_lambda_powertools import Metrics
            metrics = Metrics(namespace="Test", service="test")

            @metrics.log_metrics
            def handler(event, context):
                return {"ok": True}
            """
        )
    )
    script = textwrap.dedent(
        f"""
        import threading
        from multiprocessing import Pipe
        from allstore.local.lambda_worker import serve
        parent, child = Pipe()
        worker = threading.Thread(target=serve, args=(child, {str(tmp_path)!r}, "app.handler"), daemon=True)
        worker.start()
        assert parent.recv() == ("ready", None)
        for _ in range(2):
            parent.send(({{}}, "arn:aws:lambda:us-east-1:123456789012:function:test", 5))
            print(parent.recv())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('"ok": true') == 2
    assert "No application metrics to publish" not in result.stderr


def test_notebook_passes_allow_root_when_run_as_root(monkeypatch, tmp_path):
    ran = []
    monkeypatch.setattr(commands, "_store_environment", lambda state_dir: {"AWS_REGION": "us-east-1"})
    monkeypatch.setattr(commands.os, "geteuid", lambda: 0)
    monkeypatch.setattr(
        commands.subprocess,
        "run",
        lambda command, **_: ran.append(command) or subprocess.CompletedProcess(command, 0),
    )
    result = CliRunner().invoke(app, ["local", "notebook", "--state-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert ran[0].count("--allow-root") == 1
    monkeypatch.setattr(commands.os, "geteuid", lambda: 1000)
    CliRunner().invoke(app, ["local", "notebook", "--state-dir", str(tmp_path)])
    assert "--allow-root" not in ran[1]


def test_the_summary_line_says_where_start_up_time_went():
    phases = [("Generating data", 100.0), ("Training the recommenders (User-Personalization, SIMS)", 103.0)]
    assert commands.start_summary(phases, 99.0, 130.0) == (
        "Started in 31 s: generating data 3 s; training the recommenders 27 s"
    )
    assert commands.start_summary([], 0.0, 2.0) == "Started in 2 s"
