"""Test-wide settings: fake AWS credentials and a fixed region, so no test can reach real AWS."""

import os

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
