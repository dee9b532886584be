"""Test-wide settings: fake AWS credentials and a fixed region, so no test can reach real AWS; every AWS
call a function or notebook makes is checked against its role (tests/unit/iam/least_privilege.py),
in this process, in the local store's function workers and in notebook kernels."""

import os
import tempfile
from pathlib import Path

import pytest

# Set before any test module imports boto3 or Powertools.
for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(variable, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "AllStore",
        "POWERTOOLS_SERVICE_NAME": "allstore-test",
    }
)


from tests.unit.iam import least_privilege  # noqa: E402 - after the environment above

RECORDER = least_privilege.install()
_CALL_LOGS = tempfile.TemporaryDirectory(prefix="allstore-aws-calls-")
WORKERS = least_privilege.start_worker_logs(Path(_CALL_LOGS.name))


def _refused() -> list[str]:
    return list(dict.fromkeys(RECORDER.take() + least_privilege.kernel_refusals() + WORKERS.refusals()))


@pytest.fixture(autouse=True)
def _aws_calls_within_their_roles(request: pytest.FixtureRequest):
    """A test fails naming every call its functions or notebooks made that their role would refuse
    (a store's workers call on their own time: their calls count for the test running when read)."""
    yield
    refused = _refused()
    if refused and not request.node.get_closest_marker("outside_the_role"):
        pytest.fail("least privilege: " + "\n".join(refused), pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Calls made after the last test's check (a store stopping) fail the session."""
    refused = _refused()
    _CALL_LOGS.cleanup()
    if refused:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("least privilege, after the last test: " + "\n".join(refused), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
