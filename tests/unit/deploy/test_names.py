"""Every name the template generates stays within its service's limit for any value the Launch Stack
form accepts, and account-global names carry the region (issue 16, point 7).

The longest accepted ProjectName follows from its AllowedPattern and MaxLength; the longest region
name comes from botocore's endpoint data (every partition). The limits are CloudFormation's resource
schemas (cfn-lint's copy) where they state one, else the service documentation, as noted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore
import pytest
from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

from allstore.local.template import load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
PARAMETERS = TEMPLATE["Parameters"]
STACK_NAME_LIMIT = 128  # CloudFormation's limit; the Launch Stack form accepts any such name


def _schema_limit(resource_type: str, prop: str) -> int:
    properties = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema["properties"]
    schema = properties[prop]
    if "maxLength" in schema:
        return schema["maxLength"]
    return int(re.search(r"\{1,(\d+)\}", schema["pattern"]).group(1))


def _longest_region() -> str:
    endpoints = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_text())
    regions = [region for partition in endpoints["partitions"] for region in partition["regions"]]
    return max(regions, key=len)


# (resource type, property path) -> (limit, where the limit is stated)
NAME_LIMITS: dict[tuple[str, str], tuple[int, str]] = {
    ("AWS::CloudFront::Function", "Name"): (_schema_limit("AWS::CloudFront::Function", "Name"), "schema"),
    ("AWS::CloudFront::OriginAccessControl", "OriginAccessControlConfig.Name"): (
        64,
        "CloudFront API: up to 64",
    ),
    ("AWS::Serverless::Function", "FunctionName"): (
        _schema_limit("AWS::Lambda::Function", "FunctionName"),
        "schema",
    ),
    ("AWS::OpenSearchService::Domain", "DomainName"): (28, "OpenSearch guide: 3 to 28 characters"),
    ("AWS::SageMaker::NotebookInstance", "NotebookInstanceName"): (63, "SageMaker API (schema says 64)"),
    ("AWS::Cognito::IdentityPool", "IdentityPoolName"): (
        _schema_limit("AWS::Cognito::IdentityPool", "IdentityPoolName"),
        "schema",
    ),
    ("AWS::Logs::LogGroup", "LogGroupName"): (_schema_limit("AWS::Logs::LogGroup", "LogGroupName"), "schema"),
    ("AWS::Logs::ResourcePolicy", "PolicyName"): (
        _schema_limit("AWS::Logs::ResourcePolicy", "PolicyName"),
        "schema",
    ),
}
NAME_LIMITS[("AWS::SSM::Parameter", "Name")] = (
    1011 - len(f"arn:aws-us-gov:ssm:{_longest_region()}:123456789012:parameter"),
    "schema: 1011 characters including the ARN before the name",
)
ACCOUNT_GLOBAL = {
    ("AWS::CloudFront::Function", "Name"),
    ("AWS::CloudFront::OriginAccessControl", "OriginAccessControlConfig.Name"),
}


def _longest_value(parameter: str) -> str:
    definition = PARAMETERS[parameter]
    limit = int(definition["MaxLength"])
    value = "a" * limit
    assert re.fullmatch(definition["AllowedPattern"], value), f"{parameter}: {value!r} must be accepted"
    return value


def _get(properties: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        properties = properties.get(part, {}) if isinstance(properties, dict) else {}
    return properties or None


def _generated_names() -> list[tuple[str, str, str]]:
    """(logical id, property path, Fn::Sub string) of every name property the template sets."""
    names = []
    for logical_id, resource in RESOURCES.items():
        for (resource_type, path), _ in NAME_LIMITS.items():
            if resource["Type"] == resource_type:
                value = _get(resource.get("Properties", {}), path)
                if value is not None:
                    assert isinstance(value, dict) and "Fn::Sub" in value, f"{logical_id}.{path}: {value!r}"
                    names.append((logical_id, path, value["Fn::Sub"]))
    return names


def _expand(pattern: str) -> str:
    values = {
        "ProjectName": _longest_value("ProjectName"),
        "AWS::Region": _longest_region(),
        "AWS::StackName": "s" * STACK_NAME_LIMIT,
    }
    return re.sub(r"\$\{([^}]+)\}", lambda match: values[match.group(1)], pattern)


def test_project_name_is_bounded_by_pattern_and_max_length() -> None:
    project = PARAMETERS["ProjectName"]
    assert int(project["MaxLength"]) == 12
    assert re.fullmatch(project["AllowedPattern"], "a" * 12)
    assert not re.fullmatch(project["AllowedPattern"], "a" * 13)


def test_every_name_property_is_checked() -> None:
    """A name property of a type missing from NAME_LIMITS would escape the length check."""
    checked_types = {resource_type for resource_type, _ in NAME_LIMITS}
    for logical_id, resource in RESOURCES.items():
        properties = json.dumps(resource.get("Properties", {}))
        if re.search(r'"(\w*Name)": \{"Fn::Sub": "[^"]*\$\{(ProjectName|AWS::StackName)', properties):
            if resource["Type"] in {"AWS::EC2::VPC", "AWS::EC2::Subnet"}:
                continue  # Name tags (256 characters), not resource names
            assert resource["Type"] in checked_types, (
                f"{logical_id} ({resource['Type']}) sets a generated name"
            )


@pytest.mark.parametrize(("logical_id", "path", "pattern"), _generated_names(), ids=lambda value: str(value))
def test_the_longest_generated_name_fits(logical_id: str, path: str, pattern: str) -> None:
    resource_type = RESOURCES[logical_id]["Type"]
    limit, source = NAME_LIMITS[(resource_type, path)]
    longest = _expand(pattern)
    assert len(longest) <= limit, (
        f"{logical_id}.{path} can be {len(longest)} characters; the limit is {limit} ({source})"
    )
    if (resource_type, path) in ACCOUNT_GLOBAL:
        assert "${AWS::Region}" in pattern, f"{logical_id}.{path} is account-global: it must name the region"


def test_the_longest_region_is_a_real_one() -> None:
    region = _longest_region()
    assert len(region) >= len("ap-southeast-2") and region.count("-") >= 2
