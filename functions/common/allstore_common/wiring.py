"""Which Personalize resources the store uses, read from its SSM Parameter Store parameter.

Each function that uses Personalize names one parameter in WIRING_PARAMETER, a JSON object:
`{"campaignArn": ..., "filterArn": ...}` for the API functions, `{"trackingId": ...}` for
PostClickEvent. The template creates the parameters (seeded by its Existing* parameters) and the
workshop notebooks write them. Environment variables would not do: any stack update that touches a
function (a new layer version, say) resets its environment, while CloudFormation leaves a parameter
alone unless its template value changes, so a redeploy keeps the campaigns the notebooks wired.

Values are read with Powertools' Parameters utility and cached for MAX_AGE_SECONDS, so a notebook's
change reaches every warm function within that time without an SSM call per request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError
from botocore.config import Config

PARAMETER_VARIABLE = "WIRING_PARAMETER"
MAX_AGE_SECONDS = 30


class WiringUnavailable(RuntimeError):
    """The wiring parameter could not be read (missing, not allowed, not JSON): a deployment error."""


@dataclass(frozen=True)
class Wiring:
    """What a function is wired to; empty strings mean not configured."""

    campaign_arn: str = ""
    filter_arn: str = ""
    tracking_id: str = ""

    @classmethod
    def from_json(cls, value: Any) -> Wiring:
        if not isinstance(value, dict):
            raise WiringUnavailable("the wiring parameter is not a JSON object")
        fields = {"campaign_arn": "campaignArn", "filter_arn": "filterArn", "tracking_id": "trackingId"}
        return cls(**{name: str(value.get(key) or "").strip() for name, key in fields.items()})


class WiringParameter:
    """One function's wiring parameter (named by WIRING_PARAMETER; none means nothing is wired)."""

    def __init__(self, name: str | None = None) -> None:
        self.name = os.environ.get(PARAMETER_VARIABLE, "").strip() if name is None else name
        # A slow Parameter Store must not stall the page: give up quickly, like the Personalize client.
        config = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2, "mode": "standard"})
        self._provider = SSMProvider(boto_config=config)

    def current(self) -> Wiring:
        """The wiring now (at most MAX_AGE_SECONDS old); WiringUnavailable when it cannot be read."""
        if not self.name:
            return Wiring()
        try:
            value = self._provider.get(self.name, transform="json", max_age=MAX_AGE_SECONDS)
        except (GetParameterError, TransformParameterError) as error:
            raise WiringUnavailable(f"cannot read {self.name}: {error}") from error
        return Wiring.from_json(value)
