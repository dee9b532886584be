"""Every IAM policy of template.yaml as AWS would see it: after the SAM transform, intrinsics resolved.

The SAM transform is samtranslator's (what `sam deploy` runs), fed the template as `sam package` leaves
it (code URIs in S3). Intrinsic functions are then resolved by the local store's `Resolver`, with each
resource's physical name taken from `names` (logical id → name, e.g. bound from a function's
environment) or made up as `<stack>-<LogicalId>`, and its ARN built the way the service writes it;
`names` may give parameters' values too (else their defaults).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from allstore.local.aws import ACCOUNT_ID, REGION
from allstore.local.intrinsics import Resolver
from allstore.local.template import load_template

STACK = "allstore"
STREAM_LABEL = "2026-01-01T00:00:00.000"

# How each referenced type's Ref and Arn look; {name} is the physical name.
_ARNS = {
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:{region}:{account}:table/{name}",
    "AWS::S3::Bucket": "arn:aws:s3:::{name}",
    "AWS::Kinesis::Stream": "arn:aws:kinesis:{region}:{account}:stream/{name}",
    "AWS::SQS::Queue": "arn:aws:sqs:{region}:{account}:{name}",
    "AWS::Lambda::Function": "arn:aws:lambda:{region}:{account}:function:{name}",
    "AWS::IAM::Role": "arn:aws:iam::{account}:role/{name}",
    "AWS::Logs::LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}:*",
    "AWS::CloudFront::Distribution": "arn:aws:cloudfront::{account}:distribution/{name}",
}
_NAME_PROPERTIES = (
    "TableName",
    "BucketName",
    "FunctionName",
    "RoleName",
    "QueueName",
    "Name",
    "LogGroupName",
    "DomainName",
)


@dataclass(frozen=True)
class PolicyDocument:
    """One policy: where it is in the template, whether it is a resource policy, and its document."""

    resource: str  # logical id of the role (or of the resource carrying a resource policy)
    name: str
    document: dict[str, Any]
    resource_policy: bool = False

    def __str__(self) -> str:
        return f"{self.resource}/{self.name}"


@cache
def transformed_template() -> dict[str, Any]:
    """template.yaml after the SAM transform, as CloudFormation receives it."""
    template = load_template()
    for logical_id, resource in template["Resources"].items():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = f"s3://packaged-artefacts/{logical_id}.zip"
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=REGION))
    return translator.translate(template, parameter_values={}, get_managed_policy_map=lambda: {})


class _Names:
    """Ref and GetAtt answers for a template's resources, with names made up or bound by the caller."""

    def __init__(self, template: dict[str, Any], names: dict[str, str], stack: str) -> None:
        self.template = template
        self.names = names
        self.stack = stack
        declared = template.get("Parameters", {})
        self.resolver = Resolver(
            template,
            self.lookup,
            parameters={name: value for name, value in names.items() if name in declared},
            region=REGION,
            account_id=ACCOUNT_ID,
            stack_name=stack,
        )

    def name(self, logical_id: str) -> str:
        if logical_id in self.names:
            return self.names[logical_id]
        properties = self.template["Resources"][logical_id].get("Properties", {})
        for key in _NAME_PROPERTIES:
            if isinstance(properties.get(key), str | dict):
                return str(self.resolver.resolve(properties[key]))
        name = f"{self.stack}-{logical_id}"  # as the local store names them (buckets in lower case)
        return name.lower() if self.template["Resources"][logical_id]["Type"] == "AWS::S3::Bucket" else name

    def lookup(self, logical_id: str, attribute: str | None) -> Any:
        resource_type = self.template["Resources"][logical_id]["Type"]
        name = self.name(logical_id)
        arn = _ARNS.get(resource_type, "arn:aws:unknown:{region}:{account}:{name}").format(
            region=REGION, account=ACCOUNT_ID, name=name
        )
        if attribute is None:
            if resource_type == "AWS::SQS::Queue":
                return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
            return arn if resource_type == "AWS::Lambda::LayerVersion" else name
        if attribute == "Arn":
            return arn  # a log group's Arn ends in ":*", as CloudFormation returns it
        if attribute == "StreamArn":
            return f"{arn}/stream/{STREAM_LABEL}"
        return f"{name}-{attribute.lower().replace('.', '-')}"


def physical_name(logical_id: str, names: dict[str, str] | None = None, stack: str = STACK) -> str:
    """The name resource `logical_id` has, given `names` (as `role_policies` resolves it)."""
    return _Names(transformed_template(), dict(names or {}), stack).name(logical_id)


def arn_pattern(logical_id: str) -> str:
    """A regular expression for resource `logical_id`'s ARN, its name in group `name`."""
    resource_type = transformed_template()["Resources"][logical_id]["Type"]
    template = _ARNS.get(resource_type, "arn:aws:unknown:{region}:{account}:{name}")
    before, _, after = template.format(region=REGION, account=ACCOUNT_ID, name="\0").partition("\0")
    return re.escape(before) + "(?P<name>.+)" + re.escape(after)


def role_policies(names: dict[str, str] | None = None, stack: str = STACK) -> dict[str, list[PolicyDocument]]:
    """Inline policies of every IAM role, by the role's logical id (SAM's `<Function>Role` included)."""
    template = transformed_template()
    resolver = _Names(template, dict(names or {}), stack).resolver
    roles: dict[str, list[PolicyDocument]] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        policies = resource["Properties"].get("Policies", [])
        roles[logical_id] = [
            PolicyDocument(logical_id, policy["PolicyName"], resolver.resolve(policy["PolicyDocument"]))
            for policy in policies
        ]
    return roles


def resource_policies(stack: str = STACK) -> list[PolicyDocument]:
    """Bucket policies, the search domain's access policy and CloudWatch Logs resource policies."""
    template = transformed_template()
    resolver = _Names(template, {}, stack).resolver
    found = []
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        document = {
            "AWS::S3::BucketPolicy": properties.get("PolicyDocument"),
            "AWS::OpenSearchService::Domain": properties.get("AccessPolicies"),
            "AWS::Logs::ResourcePolicy": properties.get("PolicyDocument"),
        }.get(resource["Type"])
        if document is None:
            continue
        resolved = resolver.resolve(copy.deepcopy(document))
        if isinstance(resolved, str):
            resolved = json.loads(resolved)
        found.append(PolicyDocument(logical_id, resource["Type"], resolved, resource_policy=True))
    return found


def function_roles() -> dict[str, str]:
    """Each Lambda function's role logical id, by the function's logical id."""
    template = transformed_template()
    return {
        logical_id: resource["Properties"]["Role"]["Fn::GetAtt"][0]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
