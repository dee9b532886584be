"""A local, boto3-compatible stand-in for Amazon Personalize with real recommendation models."""
