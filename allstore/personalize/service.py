"""The service behind the wire protocol: the state, the APIs by resource family, and the dispatch of
each operation of the three botocore APIs to the method that implements it.

`handle(api, operation, params)` validates params against botocore's model, runs the operation and
shapes the result with the model's output shape, so the HTTP layer only moves bytes and the APIs
only see requests the model accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from allstore.personalize import apimodel
from allstore.personalize.api.campaigns import CampaignsApi
from allstore.personalize.api.datasets import DatasetsApi
from allstore.personalize.api.events import EventsApi
from allstore.personalize.api.runtime import RuntimeApi
from allstore.personalize.api.solutions import SolutionsApi
from allstore.personalize.errors import invalid_input
from allstore.personalize.state.service_state import ServiceState
from allstore.state_dir import StateDirectoryInUse as StateDirectoryInUse  # raised by __init__


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class PersonalizeService:
    """All state lives under `state_dir`, so a new instance on the same directory carries on."""

    def __init__(self, state_dir: str | Path, workers: int = 2) -> None:
        self.state = ServiceState(Path(state_dir), workers)
        self.directory_lock = self.state.directory_lock
        self._operations: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {}
        families = {
            apimodel.CONTROL_PLANE: (
                DatasetsApi(self.state),
                SolutionsApi(self.state),
                CampaignsApi(self.state),
            ),
            apimodel.RUNTIME: (RuntimeApi(self.state),),
            apimodel.EVENTS: (EventsApi(self.state),),
        }
        for api, implementations in families.items():
            for operation in apimodel.service_model(api).operation_names:
                for implementation in implementations:
                    method = getattr(implementation, _snake_case(operation), None)
                    if method is not None:
                        self._operations[(api, operation)] = method
        self.state.recover()

    def handle(self, api: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        method = self._operations.get((api, operation))
        if method is None:
            raise invalid_input(f"{operation} is not supported by the local Personalize service.")
        apimodel.validate(api, operation, params)
        result = method(params)
        # Control-plane documents carry internal fields, so they are cut to the API's shape; the
        # runtime and events APIs build their answers in shape already (and are latency-bound).
        return apimodel.output(api, operation, result) if api == apimodel.CONTROL_PLANE else result

    def close(self) -> None:
        """Finish the running jobs (queued ones are dropped: the next start marks them interrupted)."""
        self.state.close()
