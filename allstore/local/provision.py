"""Create the template's resources in local AWS, generically per resource type.

Nothing here names a resource of the AllStore stack: each supported CloudFormation/SAM type has one
creator, and resources are created on first reference (a `Ref`/`GetAtt` of a resource creates it
first), which gives CloudFormation's dependency order without a separate graph. Types with no
local counterpart (VPCs, CloudFront, the notebook instance, ...) are not created; references to
them resolve to inert placeholder names.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allstore.local.aws import ACCOUNT_ID, REGION, AwsClients
from allstore.local.intrinsics import Resolver, TemplateError

log = logging.getLogger(__name__)

LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@dataclass
class Provisioned:
    """What CloudFormation knows of a created resource: its `Ref` value and its `GetAtt` attributes."""

    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)
    created: bool = True


@dataclass
class FunctionSpec:
    """A Lambda function as the local runner needs it; the live environment is in local Lambda."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    timeout: int
    memory_size: int
    events: dict[str, dict[str, Any]]
    environment: dict[str, str] = field(default_factory=dict)  # as provisioned from the template


def expand_sam(template: Mapping[str, Any]) -> dict[str, Any]:
    """Apply the parts of the SAM transform the local stack needs.

    `Globals.Function` is merged into every function (environment variables merged by name), and a
    function without `Role` gets the implicit `<Function>Role` with its `Policies` statements, as SAM
    generates it (the template refers to such roles, e.g. `SearchFunctionRole.Arn`).
    """
    expanded = copy.deepcopy(dict(template))
    resources: dict[str, Any] = expanded["Resources"]
    defaults = expanded.get("Globals", {}).get("Function", {})
    for logical_id, resource in list(resources.items()):
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = {**copy.deepcopy(defaults), **resource.get("Properties", {})}
        variables = {
            **defaults.get("Environment", {}).get("Variables", {}),
            **resource.get("Properties", {}).get("Environment", {}).get("Variables", {}),
        }
        properties["Environment"] = {"Variables": variables}
        if "Role" not in properties:
            role_id = f"{logical_id}Role"
            statements = [s for policy in properties.get("Policies", []) for s in policy.get("Statement", [])]
            role: dict[str, Any] = {"AssumeRolePolicyDocument": LAMBDA_TRUST_POLICY}
            if statements:
                role["Policies"] = [
                    {
                        "PolicyName": f"{logical_id}Policy",
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                    }
                ]
            resources[role_id] = {"Type": "AWS::IAM::Role", "Properties": role}
            properties["Role"] = {"Fn::GetAtt": [role_id, "Arn"]}
        resource["Properties"] = properties
    return expanded


def _dummy_code_zip() -> bytes:
    """Local Lambda holds configurations only; the runner executes the code from its folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "AllStore runs this function's code from its CodeUri folder.\n")
    return buffer.getvalue()


class StackProvisioner:
    """Creates a template's resources in local AWS and answers `Ref`/`GetAtt` for them.

    `local_resources` supplies resources served by AllStore's own local services rather than moto,
    by type (e.g. the search domain → the local search server's endpoint).
    `environment_rewrite(variables)` turns a function's resolved environment into its local one.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        clients: AwsClients,
        *,
        template_dir: Path,
        parameters: Mapping[str, str] | None = None,
        stack_name: str = "allstore",
        local_resources: Mapping[str, Callable[[str, dict[str, Any]], Provisioned]] | None = None,
        environment_rewrite: Callable[[dict[str, str]], dict[str, str]] = dict,
    ) -> None:
        self.template = expand_sam(template)
        self.clients = clients
        self.template_dir = template_dir
        self.stack_name = stack_name
        self.resources: dict[str, Provisioned] = {}
        self.functions: dict[str, FunctionSpec] = {}
        self._in_progress: set[str] = set()
        self._local_resources = dict(local_resources or {})
        self._environment_rewrite = environment_rewrite
        self.resolver = Resolver(
            self.template,
            self.lookup,
            parameters=dict(parameters or {}),
            region=REGION,
            account_id=ACCOUNT_ID,
            stack_name=stack_name,
        )
        self._creators: dict[str, Callable[[str, dict[str, Any]], Provisioned]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::S3::Bucket": self._bucket,
            "AWS::Kinesis::Stream": self._kinesis_stream,
            "AWS::SQS::Queue": self._queue,
            "AWS::Cognito::IdentityPool": self._identity_pool,
            "AWS::IAM::Role": self._role,
            "AWS::Serverless::Function": self._function,
            "AWS::Serverless::Api": self._api,
            "AWS::Serverless::LayerVersion": self._layer,
            "AWS::SSM::Parameter": self._parameter,
        }
        self.parameter_values: dict[str, str] = {}  # SSM parameters' values as the template set them

    @property
    def resource_definitions(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def provision(self) -> None:
        """Create every resource that has a local counterpart (custom resources are run separately)."""
        for logical_id, resource in self.resource_definitions.items():
            if self._is_local(resource) and not self._skipped_by_condition(resource):
                self.lookup(logical_id, None)

    def custom_resources(self) -> dict[str, dict[str, Any]]:
        """Custom resources (`Custom::*`, `AWS::CloudFormation::CustomResource`) in template order."""
        return {
            logical_id: resource
            for logical_id, resource in self.resource_definitions.items()
            if _is_custom(resource["Type"]) and not self._skipped_by_condition(resource)
        }

    def outputs(self) -> dict[str, Any]:
        """The template's Outputs whose values resolve locally."""
        values = {}
        for name, output in self.template.get("Outputs", {}).items():
            try:
                values[name] = self.resolver.resolve(output["Value"])
            except TemplateError as error:
                log.debug("output %s does not resolve locally: %s", name, error)
        return values

    def lookup(self, logical_id: str, attribute: str | None) -> Any:
        """`Ref` (attribute None) or `GetAtt` of a resource, creating the resource on first use."""
        resource = self.resource_definitions.get(logical_id)
        if resource is None:
            raise TemplateError(f"unknown resource {logical_id!r}")
        if logical_id not in self.resources:
            if logical_id in self._in_progress:
                raise TemplateError(f"circular reference through {logical_id}")
            self._in_progress.add(logical_id)
            try:
                self.resources[logical_id] = self._create(logical_id, resource)
            finally:
                self._in_progress.discard(logical_id)
        provisioned = self.resources[logical_id]
        if attribute is None:
            return provisioned.ref
        if attribute not in provisioned.attributes:
            if not provisioned.created:
                return f"{provisioned.ref}-{attribute.lower().replace('.', '-')}"
            raise TemplateError(f"{logical_id} has no attribute {attribute!r} locally")
        return provisioned.attributes[attribute]

    def record(self, logical_id: str, provisioned: Provisioned) -> None:
        """Register a resource created outside the provisioner (a custom resource's answer)."""
        self.resources[logical_id] = provisioned

    # ------------------------------------------------------------------ helpers

    def _is_local(self, resource: dict[str, Any]) -> bool:
        return resource["Type"] in self._creators or resource["Type"] in self._local_resources

    def _skipped_by_condition(self, resource: dict[str, Any]) -> bool:
        condition = resource.get("Condition")
        return condition is not None and not self.resolver.condition(condition)

    def _physical_name(self, logical_id: str, lower: bool = False) -> str:
        name = f"{self.stack_name}-{logical_id}"
        return name.lower() if lower else name

    def _create(self, logical_id: str, resource: dict[str, Any]) -> Provisioned:
        resource_type = resource["Type"]
        creator = self._local_resources.get(resource_type) or self._creators.get(resource_type)
        if creator is None or _is_custom(resource_type):
            return Provisioned(ref=self._physical_name(logical_id), created=False)
        properties = self.resolver.resolve(resource.get("Properties", {}))
        log.debug("creating %s (%s)", logical_id, resource_type)
        return creator(logical_id, properties)

    # ------------------------------------------------------------------ creators, one per type

    def _table(self, logical_id: str, p: dict[str, Any]) -> Provisioned:
        name = p.get("TableName") or self._physical_name(logical_id)
        arguments: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": p["AttributeDefinitions"],
            "KeySchema": p["KeySchema"],
            "BillingMode": p.get("BillingMode", "PROVISIONED"),
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
            if key in p:
                arguments[key] = p[key]
        if "StreamSpecification" in p:
            arguments["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
        table = self.clients("dynamodb").create_table(**arguments)["TableDescription"]
        attributes = {"Arn": table["TableArn"]}
        if "LatestStreamArn" in table:
            attributes["StreamArn"] = table["LatestStreamArn"]
        return Provisioned(ref=name, attributes=attributes)

    def _bucket(self, logical_id: str, p: dict[str, Any]) -> Provisioned:
        name = p.get("BucketName") or self._physical_name(logical_id, lower=True)
        self.clients("s3").create_bucket(Bucket=name)
        return Provisioned(
            ref=name,
            attributes={
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
            },
        )

    def _kinesis_stream(self, logical_id: str, p: dict[str, Any]) -> Provisioned:
        name = p.get("Name") or self._physical_name(logical_id)
        kinesis = self.clients("kinesis")
        kinesis.create_stream(StreamName=name, ShardCount=int(p.get("ShardCount", 1)))
        arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
        return Provisioned(ref=name, attributes={"Arn": arn})

    def _queue(self, logical_id: str, p: dict[str, Any]) -> Provisioned:
        name = p.get("QueueName") or self._physical_name(logical_id)
        sqs = self.clients("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return Provisioned(ref=url, attributes={"Arn": arn, "QueueName": name, "QueueUrl": url})

    def _identity_pool(self, logical_id: str, p: dict[str, Any]) -> Provisioned:
        pool = self.clients("cognito-identity").create_identity_pool(
            IdentityPoolName=p.get("IdentityPoolName") or self._physical_name(logical_id).replace("-", "_"),
            AllowUnauthenticatedIdentities=bool(p.get("AllowUnauthenticatedIdentities", False)),
        )
        return Provisioned(ref=pool["IdentityPoolId"], attributes={"Name": pool["IdentityPoolName"]})

    def _role(self, logical_id: str, p: dict[str, Any]) -> Provisioned:
        name = p.get("RoleName") or self._physical_name(logical_id)
        iam = self.clients("iam")
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(p["AssumeRolePolicyDocument"]),
            Description=p.get("Description", ""),
        )["Role"]
        for policy in p.get("Policies", []):
            iam.put_role_policy(
                RoleName=name,
                PolicyName=policy["PolicyName"],
                PolicyDocument=json.dumps(policy["PolicyDocument"]),
            )
        return Provisioned(ref=name, attributes={"Arn": role["Arn"], "RoleId": role["RoleId"]})

    def _function(self, logical_id: str, p: dict[str, Any]) -> Provisioned:
        name = p.get("FunctionName") or self._physical_name(logical_id)
        variables = {key: str(value) for key, value in p.get("Environment", {}).get("Variables", {}).items()}
        variables = self._environment_rewrite(variables)
        function = self.clients("lambda").create_function(
            FunctionName=name,
            Runtime=p.get("Runtime", "python3.13"),
            Role=p["Role"],
            Handler=p.get("Handler", "app.lambda_handler"),
            Code={"ZipFile": _dummy_code_zip()},
            Description=p.get("Description", ""),
            Timeout=int(p.get("Timeout", 3)),
            MemorySize=int(p.get("MemorySize", 128)),
            Environment={"Variables": variables},
        )
        self.functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=name,
            arn=function["FunctionArn"],
            code_dir=(self.template_dir / p["CodeUri"]).resolve(),
            handler=p.get("Handler", "app.lambda_handler"),
            timeout=int(p.get("Timeout", 3)),
            memory_size=int(p.get("MemorySize", 128)),
            events=p.get("Events", {}),
            environment=variables,
        )
        return Provisioned(ref=name, attributes={"Arn": function["FunctionArn"]})

    def _parameter(self, logical_id: str, p: dict[str, Any]) -> Provisioned:
        name = p.get("Name") or f"/{self._physical_name(logical_id)}"
        self.clients("ssm").put_parameter(
            Name=name,
            Value=str(p["Value"]),
            Type=p.get("Type", "String"),
            Description=p.get("Description", ""),
        )
        self.parameter_values[logical_id] = str(p["Value"])
        return Provisioned(ref=name, attributes={"Type": p.get("Type", "String"), "Value": str(p["Value"])})

    def _api(self, logical_id: str, p: dict[str, Any]) -> Provisioned:
        return Provisioned(ref=logical_id.lower(), attributes={"RootResourceId": "root"})

    def _layer(self, logical_id: str, p: dict[str, Any]) -> Provisioned:
        # The layer's package is installed in the local environment (editable), so nothing to publish.
        return Provisioned(ref=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{logical_id}:1")


# Custom resources about the AWS account and its network, which the local store has no counterpart
# for (no API Gateway account settings, no OpenSearch service-linked role, no VPC zones).
CLOUD_ONLY_CUSTOM_RESOURCES = frozenset({"Custom::AccountPrerequisites", "Custom::AvailabilityZones"})


def _is_custom(resource_type: str) -> bool:
    if resource_type in CLOUD_ONLY_CUSTOM_RESOURCES:
        return False
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"
