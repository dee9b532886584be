"""The store stays wired across redeploys: what the notebooks wire survives re-provisioning.

The local store's redeploy is what its restart does: fresh local AWS, every resource provisioned
again from template.yaml, then the saved state loaded into it. The wiring parameters must come back
as a CloudFormation stack update leaves them: the notebooks' values kept, unless the template's own
value for a parameter changed (then the template wins, as an update of that resource would).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from allstore.local.aws import REGION
from allstore.local.provision import StackProvisioner
from allstore.local.snapshot import Snapshot
from allstore.local.template import TEMPLATE_PATH, load_template
from allstore.workshop import wiring

CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/allstore-workshop-user-personalization"
SIMS = "arn:aws:personalize:us-east-1:123456789012:campaign/allstore-workshop-sims"


def clients(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def provision(parameters: dict[str, str] | None = None) -> StackProvisioner:
    provisioner = StackProvisioner(
        load_template(), clients, template_dir=TEMPLATE_PATH.parent, parameters=parameters or {}
    )
    provisioner.provision()
    return provisioner


@pytest.fixture
def deployed(tmp_path: Path) -> Snapshot:
    """A deployed store the notebooks wired (as notebooks 1-3 do), saved as at shutdown."""
    with mock_aws():
        provisioner = provision()
        ssm = clients("ssm")
        wiring.wire(ssm, "allstore", wiring.RECOMMENDATIONS, campaignArn=CAMPAIGN)
        wiring.wire(ssm, "allstore", wiring.SIMILAR_ITEMS, campaignArn=SIMS)
        wiring.wire(ssm, "allstore", wiring.CLICK_TRACKING, trackingId="tracking-1")
        snapshot = Snapshot(tmp_path)
        snapshot.save(provisioner, clients)
    return snapshot


def redeploy(
    snapshot: Snapshot, parameters: dict[str, str] | None = None
) -> tuple[StackProvisioner, dict[str, dict[str, str]]]:
    """Local AWS anew, the stack provisioned from template.yaml again, the saved state restored."""
    with mock_aws():
        provisioner = provision(parameters)
        snapshot.restore(provisioner, clients)
        return provisioner, {c: wiring.wiring(clients("ssm"), "allstore", c) for c in wiring.KEYS}


def test_the_notebooks_wiring_survives_a_redeploy(deployed) -> None:
    provisioner, wired = redeploy(deployed)

    assert wired[wiring.RECOMMENDATIONS] == {"campaignArn": CAMPAIGN, "filterArn": ""}
    assert wired[wiring.SIMILAR_ITEMS]["campaignArn"] == SIMS
    assert wired[wiring.CLICK_TRACKING] == {"trackingId": "tracking-1"}
    assert wired[wiring.SEARCH_RANKING] == {"campaignArn": "", "filterArn": ""}  # never wired
    # the functions read those very parameters
    environment = provisioner.functions["GetRecommendationsFunction"].environment
    assert environment["WIRING_PARAMETER"] == wiring.parameter_name("allstore", wiring.RECOMMENDATIONS)
    assert "CAMPAIGN_ARN" not in environment


def test_a_changed_template_value_wins_as_a_stack_update_would(deployed) -> None:
    _, wired = redeploy(deployed, {"ExistingBaseCampaignName": "hosts-own-campaign"})

    assert wired[wiring.RECOMMENDATIONS]["campaignArn"].endswith(":campaign/hosts-own-campaign")
    assert wired[wiring.SIMILAR_ITEMS]["campaignArn"] == SIMS  # its template value did not change


def test_the_template_seeds_the_parameters_from_the_existing_stack_parameters() -> None:
    with mock_aws():
        provision({"ExistingSimsCampaignName": "sims-of-old", "ExistingTrackingId": "abc-123"})
        ssm = clients("ssm")
        assert wiring.wiring(ssm, "allstore", wiring.SIMILAR_ITEMS)["campaignArn"] == (
            "arn:aws:personalize:us-east-1:123456789012:campaign/sims-of-old"
        )
        assert wiring.wiring(ssm, "allstore", wiring.CLICK_TRACKING) == {"trackingId": "abc-123"}
        assert json.loads(
            ssm.get_parameter(Name=wiring.parameter_name("allstore", wiring.RECOMMENDATIONS))["Parameter"][
                "Value"
            ]
        ) == {"campaignArn": "", "filterArn": ""}


def test_the_seeds_cannot_break_the_parameters_json() -> None:
    """The Existing* values are spliced into JSON: their patterns refuse quotes and backslashes."""
    parameters = load_template()["Parameters"]
    for name in ("ExistingBaseCampaignName", "ExistingSearchCampaignName", "ExistingSimsCampaignName"):
        pattern = parameters[name]["AllowedPattern"]
        assert re.fullmatch(pattern, "") and re.fullmatch(pattern, "allstore-workshop_sims-2")
        assert not re.fullmatch(pattern, 'x", "filterArn": "y') and not re.fullmatch(pattern, "x\\")
    tracking = parameters["ExistingTrackingId"]["AllowedPattern"]
    assert re.fullmatch(tracking, "") and re.fullmatch(tracking, "3f2a6b1c-0d9e-4b8a-9c7d-5e4f3a2b1c0d")
    assert not re.fullmatch(tracking, 'x"}')
