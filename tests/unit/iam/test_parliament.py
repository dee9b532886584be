"""parliament over every IAM policy of the template (after the SAM transform, intrinsics resolved).

No action may be unknown, no prefix unknown, and no statement may name resources none of whose
types the action takes (`RESOURCE_MISMATCH`): on AWS such a grant silently allows nothing, as
`personalize:PutEvents` on `event-tracker/*` did. Exceptions are listed with their reason.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from typing import Any

import pytest

from tests.unit.iam.template_policies import PolicyDocument, resource_policies, role_policies

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # parliament imports pkg_resources
    import parliament

REFUSED = {"RESOURCE_MISMATCH", "UNKNOWN_ACTION", "UNKNOWN_PREFIX", "MALFORMED", "MALFORMED_JSON"}


@dataclass(frozen=True)
class Exception_:
    """A finding accepted for one action on resources matching `resources`, and why."""

    issue: str
    action: str
    resources: str  # regular expression every resource of the statement matches
    reason: str


STREAM_ARN = r"arn:aws:dynamodb:[^:]+:\d{12}:table/[^/]+/stream/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}"
PARLIAMENT_STREAM_LABELS = (
    "parliament's strict ARN check refuses a colon after the resource type, but a DynamoDB stream "
    "ARN ends in its label, a timestamp with colons (table/T/stream/2015-05-11T21:21:33.291)"
)
EXCEPTIONS = [
    Exception_("RESOURCE_MISMATCH", f"dynamodb:{action}", STREAM_ARN, PARLIAMENT_STREAM_LABELS)
    for action in ("DescribeStream", "GetRecords", "GetShardIterator")
]


def _policies() -> list[PolicyDocument]:
    return [policy for policies in role_policies().values() for policy in policies] + resource_policies()


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _accepted(issue: str, detail: Any, statement: dict[str, Any]) -> bool:
    actions = [entry.get("action") for entry in detail] if isinstance(detail, list) else [None]
    resources = [str(resource) for resource in _as_list(statement.get("Resource", []))]
    return all(
        any(
            e.issue == issue and e.action == action and all(re.fullmatch(e.resources, r) for r in resources)
            for e in EXCEPTIONS
        )
        for action in actions
    )


def _findings(policy: PolicyDocument) -> list[str]:
    """parliament's refused findings, statement by statement, less the listed exceptions."""
    refused = []
    for number, statement in enumerate(policy.document["Statement"]):
        if policy.resource_policy:  # parliament reads identity policies: leave out the principal
            statement = {key: value for key, value in statement.items() if key != "Principal"}
        document = {"Version": "2012-10-17", "Statement": [statement]}
        for finding in parliament.analyze_policy_string(json.dumps(document)).findings:
            if finding.issue in REFUSED and not _accepted(finding.issue, finding.detail, statement):
                refused.append(f"statement {statement.get('Sid', number)}: {finding.issue} {finding.detail}")
    return refused


@pytest.mark.parametrize("policy", _policies(), ids=str)
def test_no_mismatched_or_unknown_actions(policy: PolicyDocument) -> None:
    refused = _findings(policy)
    assert not refused, f"{policy}: " + "; ".join(refused)


def test_the_lint_sees_every_role() -> None:
    """The transform produced SAM's function roles and the template's own roles, with statements."""
    roles = role_policies()
    assert {"PostClickEventFunctionRole", "NotebookRole", "PersonalizeRole"} <= set(roles)
    assert sum(len(p.document["Statement"]) for ps in roles.values() for p in ps) > 30


def test_the_lint_catches_a_grant_on_the_wrong_resource_type() -> None:
    """The regression this lint exists for: PutEvents granted on event trackers allows nothing."""
    wrong = PolicyDocument(
        "Example",
        "PutEventsOnTrackers",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "personalize:PutEvents",
                    "Resource": "arn:aws:personalize:us-east-1:123456789012:event-tracker/*",
                }
            ],
        },
    )
    assert any("RESOURCE_MISMATCH" in finding for finding in _findings(wrong))


def _takes_a_resource(action: str) -> bool:
    """Whether the Service Authorization Reference (parliament's copy) lists a resource type for it."""
    prefix, name = action.split(":", 1)
    service = next(s for s in parliament.iam_definition if s["prefix"] == prefix)
    privilege = next(p for p in service["privileges"] if p["privilege"].lower() == name.lower())
    return any(resource["resource_type"] for resource in privilege["resource_types"])


@pytest.mark.parametrize("policy", [p for ps in role_policies().values() for p in ps], ids=str)
def test_only_actions_without_resource_types_are_granted_on_star(policy: PolicyDocument) -> None:
    on_star = [
        action
        for statement in policy.document["Statement"]
        if "*" in _as_list(statement.get("Resource", []))
        for action in _as_list(statement["Action"])
        if _takes_a_resource(action)
    ]
    assert not on_star, f"{policy} grants on '*' actions that take a resource ARN: {on_star}"
