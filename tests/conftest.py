"""Test-wide settings: fake AWS credentials and a fixed region, so no test can reach real AWS; every AWS
call a function or notebook makes is checked against its role (tests/unit/iam/least_privilege.py)."""

import os

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


@pytest.fixture(autouse=True)
def _aws_calls_within_their_roles(request: pytest.FixtureRequest):
    """A test fails naming every call its functions or notebooks made that their role would refuse."""
    yield
    refused = RECORDER.take() + least_privilege.kernel_refusals()
    if refused and not request.node.get_closest_marker("outside_the_role"):
        pytest.fail("least privilege: " + "\n".join(dict.fromkeys(refused)), pytrace=False)
