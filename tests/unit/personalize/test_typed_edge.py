"""Requests are parsed once at the edge into keyword arguments, and each resource kind is shaped for
the wire in one place (service.Operation, state.resources.Shaped)."""

from __future__ import annotations

import pytest

from allstore.personalize import apimodel
from allstore.personalize.service import Operation
from allstore.personalize.state.kinds import Campaign, CampaignUpdate, SolutionVersion

VERSION_ARN = "arn:aws:personalize:us-east-1:123456789012:solution/shop/0a1b2c3d"


def test_members_arrive_as_python_keyword_arguments() -> None:
    received = {}

    def create_solution(name: str, dataset_group_arn: str, perform_auto_ml: bool = False) -> dict:
        received.update(name=name, dataset_group_arn=dataset_group_arn, perform_auto_ml=perform_auto_ml)
        return {}

    bound = Operation.bind(apimodel.CONTROL_PLANE, "CreateSolution", create_solution)
    # tags is a member the method does not take; a null member is absent (its default applies)
    bound({"name": "s", "datasetGroupArn": "arn:g", "performAutoML": None, "tags": [{"tagKey": "k"}]})
    assert received == {"name": "s", "dataset_group_arn": "arn:g", "perform_auto_ml": False}


def test_a_parameter_the_model_does_not_define_stops_the_binding() -> None:
    def create_filter(name: str, dataset_group_arn: str, filter_expresion: str) -> dict:  # typo
        return {}

    with pytest.raises(TypeError, match="filter_expresion"):
        Operation.bind(apimodel.CONTROL_PLANE, "CreateFilter", create_filter)


def test_internal_fields_are_persisted_but_never_answered() -> None:
    version = SolutionVersion(
        arn=VERSION_ARN,
        solution_arn=VERSION_ARN.rsplit("/", 1)[0],
        dataset_group_arn="arn:g",
        perform_hpo=True,
        tuned_hpo_params={"algorithmHyperParameters": {"hidden_dimension": "64"}},
        metrics={"coverage": 0.5},
    )
    wire = version.wire()
    assert wire["solutionVersionArn"] == VERSION_ARN
    assert wire["performHPO"] is True and "tunedHPOParams" in wire
    assert not any("etrics" in member for member in wire)
    assert version.document()["_metrics"] == {"coverage": 0.5}
    assert SolutionVersion.from_document(version.document()) == version


def test_a_document_written_before_the_dataclasses_loads() -> None:
    """The JSON files of an existing state directory (with "_arn", members in the API's names)."""
    document = {
        "_arn": "arn:aws:personalize:us-east-1:123456789012:campaign/shop",
        "campaignArn": "arn:aws:personalize:us-east-1:123456789012:campaign/shop",
        "name": "shop",
        "solutionVersionArn": VERSION_ARN,
        "minProvisionedTPS": 2,
        "campaignConfig": {},
        "status": "ACTIVE",
        "creationDateTime": 1.0,
        "lastUpdatedDateTime": 2.0,
        "latestCampaignUpdate": {
            "solutionVersionArn": VERSION_ARN,
            "minProvisionedTPS": 2,
            "campaignConfig": {},
            "status": "CREATE PENDING",
            "creationDateTime": 2.0,
            "lastUpdatedDateTime": 2.0,
        },
    }
    campaign = Campaign.from_document(document)
    assert campaign.min_provisioned_tps == 2
    assert isinstance(campaign.latest_campaign_update, CampaignUpdate)
    assert campaign.latest_campaign_update.failed("boom").wire()["failureReason"] == "boom"
    assert campaign.wire() == {key: value for key, value in document.items() if key != "_arn"}
