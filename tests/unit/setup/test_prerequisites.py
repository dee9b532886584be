"""Custom::AccountPrerequisites and Custom::AvailabilityZones against moto: what a fresh account gets,
what an account that already has the settings keeps, and the failures CloudFormation is told about."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest import REGION

LINKED_ROLE = "AWSServiceRoleForAmazonOpenSearchService"
LINKED_ROLE_PATH = "/aws-service-role/opensearchservice.amazonaws.com/"


@pytest.fixture
def logs_role() -> str:
    """The stack's ApiGatewayCloudWatchRole."""
    iam = boto3.client("iam", region_name=REGION)
    document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    return iam.create_role(RoleName="stack-ApiGatewayCloudWatchRole", AssumeRolePolicyDocument=document)[
        "Role"
    ]["Arn"]


def _account_role() -> str | None:
    return boto3.client("apigateway", region_name=REGION).get_account().get("cloudwatchRoleArn")


def _opensearch_linked_roles() -> list[str]:
    roles = boto3.client("iam", region_name=REGION).list_roles(PathPrefix=LINKED_ROLE_PATH)["Roles"]
    return [role["RoleName"] for role in roles]


class Recorder:
    """Wraps a boto3 client, recording the operations called and optionally failing some first."""

    def __init__(self, client: Any, failures: dict[str, list[ClientError]] | None = None) -> None:
        self._client = client
        self.failures = failures or {}
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            if self.failures.get(name):
                raise self.failures[name].pop(0)
            return method(**kwargs)

        return call


def _bad_request(message: str) -> ClientError:
    return ClientError({"Error": {"Code": "BadRequestException", "Message": message}}, "UpdateAccount")


def test_a_fresh_account_gets_both_prerequisites(setup_function, logs_role) -> None:
    assert _account_role() is None and _opensearch_linked_roles() == []

    answer = setup_function.request(
        "Custom::AccountPrerequisites", {"ApiGatewayCloudWatchRoleArn": logs_role}
    )

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"OpenSearchServiceLinkedRole": "created", "ApiGatewayCloudWatchRole": "set"}
    assert _account_role() == logs_role
    assert len(_opensearch_linked_roles()) == 1


def test_a_second_run_changes_nothing(setup_function, logs_role) -> None:
    first = setup_function.request("Custom::AccountPrerequisites", {"ApiGatewayCloudWatchRoleArn": logs_role})
    apigateway = Recorder(setup_function.module["apigateway"])
    setup_function.module["apigateway"] = apigateway

    again = setup_function.request(
        "Custom::AccountPrerequisites",
        {"ApiGatewayCloudWatchRoleArn": logs_role},
        request_type="Update",
        old_properties={"ApiGatewayCloudWatchRoleArn": logs_role},
        physical_id=first["PhysicalResourceId"],
    )

    assert again["Status"] == "SUCCESS", again["Reason"]
    assert again["Data"] == {"OpenSearchServiceLinkedRole": "present", "ApiGatewayCloudWatchRole": "present"}
    assert apigateway.calls == ["get_account"]
    assert len(_opensearch_linked_roles()) == 1


def test_an_account_with_its_own_settings_keeps_them(setup_function, logs_role) -> None:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName=LINKED_ROLE, Path=LINKED_ROLE_PATH, AssumeRolePolicyDocument="{}")
    theirs = iam.create_role(RoleName="their-logs-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("apigateway", region_name=REGION).update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": theirs}]
    )
    recorded = Recorder(setup_function.module["iam"])
    setup_function.module["iam"] = recorded

    answer = setup_function.request(
        "Custom::AccountPrerequisites", {"ApiGatewayCloudWatchRoleArn": logs_role}
    )

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"OpenSearchServiceLinkedRole": "present", "ApiGatewayCloudWatchRole": "present"}
    assert _account_role() == theirs, "an existing CloudWatch role must never be overwritten"
    assert recorded.calls == ["get_role"], "no service-linked role is created when one exists"
    assert _opensearch_linked_roles() == [LINKED_ROLE]


def test_a_role_api_gateway_refuses_at_first_is_retried(setup_function, logs_role) -> None:
    setup_function.module["ROLE_PROPAGATION_RETRY_SECONDS"] = 0.01
    apigateway = Recorder(
        setup_function.module["apigateway"],
        {
            "update_account": [
                _bad_request("The role ARN does not have required permissions set to API Gateway")
            ]
            * 2
        },
    )
    setup_function.module["apigateway"] = apigateway

    answer = setup_function.request(
        "Custom::AccountPrerequisites", {"ApiGatewayCloudWatchRoleArn": logs_role}
    )

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert apigateway.calls == ["get_account", "update_account", "update_account", "update_account"]
    assert _account_role() == logs_role


def test_a_role_refused_until_the_deadline_fails_with_the_reason(setup_function, logs_role) -> None:
    setup_function.module["ROLE_PROPAGATION_RETRY_SECONDS"] = 0.5
    refusal = _bad_request("The role ARN does not have required permissions set to API Gateway")
    setup_function.module["apigateway"] = Recorder(
        setup_function.module["apigateway"], {"update_account": [refusal] * 1000}
    )

    answer = setup_function.request(
        "Custom::AccountPrerequisites", {"ApiGatewayCloudWatchRoleArn": logs_role}, timeout_seconds=31.5
    )

    assert answer["Status"] == "FAILED"
    assert f"cannot set API Gateway's CloudWatch Logs role {logs_role}" in answer["Reason"]
    assert "does not have required permissions" in answer["Reason"]


def test_delete_leaves_the_account_settings(setup_function, logs_role) -> None:
    created = setup_function.request(
        "Custom::AccountPrerequisites", {"ApiGatewayCloudWatchRoleArn": logs_role}
    )

    deleted = setup_function.request(
        "Custom::AccountPrerequisites",
        {"ApiGatewayCloudWatchRoleArn": logs_role},
        request_type="Delete",
        physical_id=created["PhysicalResourceId"],
    )

    assert deleted["Status"] == "SUCCESS"
    assert _account_role() == logs_role
    assert len(_opensearch_linked_roles()) == 1


SERVICES = [f"com.amazonaws.{REGION}.personalize-runtime", f"com.amazonaws.{REGION}.xray"]


def test_zones_offering_every_endpoint_service(setup_function) -> None:
    answer = setup_function.request("Custom::AvailabilityZones", {"ServiceNames": SERVICES, "Count": "2"})

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"Zone0": f"{REGION}a", "Zone1": f"{REGION}b"}


class LimitedEndpointServices:
    """moto's EC2 with the endpoint services offered only in some zones (as in some real regions)."""

    def __init__(self, client: Any, zones: dict[str, list[str]]) -> None:
        self._client = client
        self._zones = zones

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def describe_vpc_endpoint_services(self, ServiceNames: list[str]) -> dict[str, Any]:
        details = self._client.describe_vpc_endpoint_services(ServiceNames=ServiceNames)["ServiceDetails"]
        for detail in details:
            detail["AvailabilityZones"] = self._zones.get(detail["ServiceName"], detail["AvailabilityZones"])
        return {"ServiceDetails": details}


def test_only_zones_that_offer_every_service_are_chosen(setup_function) -> None:
    setup_function.module["ec2"] = LimitedEndpointServices(
        setup_function.module["ec2"],
        {
            SERVICES[0]: [f"{REGION}b", f"{REGION}c", f"{REGION}d"],
            SERVICES[1]: [f"{REGION}a", f"{REGION}c", f"{REGION}d"],
        },
    )

    answer = setup_function.request("Custom::AvailabilityZones", {"ServiceNames": SERVICES, "Count": "2"})

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"Zone0": f"{REGION}c", "Zone1": f"{REGION}d"}


def test_too_few_zones_fail_naming_them(setup_function) -> None:
    setup_function.module["ec2"] = LimitedEndpointServices(
        setup_function.module["ec2"], {SERVICES[0]: [f"{REGION}b"], SERVICES[1]: [f"{REGION}b", f"{REGION}c"]}
    )

    answer = setup_function.request("Custom::AvailabilityZones", {"ServiceNames": SERVICES, "Count": "2"})

    assert answer["Status"] == "FAILED"
    assert (
        f"only 1 zone(s) ({REGION}b) offer all of {SERVICES[0]}, {SERVICES[1]}; the stack needs 2"
        in answer["Reason"]
    )


def test_a_service_the_region_lacks_fails(setup_function) -> None:
    answer = setup_function.request(
        "Custom::AvailabilityZones", {"ServiceNames": [f"com.amazonaws.{REGION}.no-such-service"]}
    )

    assert answer["Status"] == "FAILED"
    assert "no-such-service" in answer["Reason"]
