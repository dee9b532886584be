"""The template's platform choices are current: what the search domain, the notebook instance and the
VPC endpoints run on (issue 16, point 8). Checked against botocore's service models where they list
the valid values, so a retired or misspelt value fails here rather than in CloudFormation."""

from __future__ import annotations

import botocore.session

from allstore.local.template import load_template

RESOURCES = load_template()["Resources"]
MODELS = botocore.session.get_session()


def _enum(service: str, shape: str) -> list[str]:
    model = MODELS.get_service_model(service)
    shape_model = model.shape_for(shape)
    return list(shape_model.enum) if shape_model.enum else []


def test_search_instance_type_runs_opensearch_3() -> None:
    cluster = RESOURCES["SearchDomain"]["Properties"]["ClusterConfig"]
    version = RESOURCES["SearchDomain"]["Properties"]["EngineVersion"]
    assert version.startswith("OpenSearch_3."), "the local real-OpenSearch tests run 3.x"
    assert cluster["InstanceType"] in _enum("opensearch", "OpenSearchPartitionInstanceType")
    # T2/T3 (burstable, x86) do not run OpenSearch 3.x; Graviton M6g runs every OpenSearch version.
    assert not cluster["InstanceType"].startswith(("t2.", "t3."))
    assert cluster["InstanceType"].split(".")[0] in {"m6g", "m7g", "r6g", "r7g", "c6g", "c7g"}


def test_notebook_platform_is_pinned_to_amazon_linux_2023() -> None:
    platform = RESOURCES["NotebookInstance"]["Properties"]["PlatformIdentifier"]
    assert platform == "notebook-al2023-v1"
    pattern = MODELS.get_service_model("sagemaker").shape_for("PlatformIdentifier").metadata["pattern"]
    assert platform in pattern.strip("^$()").split("|")


def test_interface_endpoints_sit_in_zones_that_offer_them() -> None:
    zones = RESOURCES["EndpointZones"]
    assert zones["Type"] == "Custom::AvailabilityZones"
    services = {service["Fn::Sub"].rsplit(".", 1)[1] for service in zones["Properties"]["ServiceNames"]}
    interface_endpoints = {
        name: resource["Properties"]
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::EC2::VPCEndpoint"
        and resource["Properties"]["VpcEndpointType"] == "Interface"
    }
    assert {
        props["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1] for props in interface_endpoints.values()
    } == services
    subnets = set()
    for props in interface_endpoints.values():
        subnets.update(subnet["Ref"] for subnet in props["SubnetIds"])
    zone_of = {name: RESOURCES[name]["Properties"]["AvailabilityZone"] for name in subnets}
    assert sorted(zone["Fn::GetAtt"][1] for zone in zone_of.values()) == ["Zone0", "Zone1"]
    assert all(zone["Fn::GetAtt"][0] == "EndpointZones" for zone in zone_of.values())
