"""The service behind the wire protocol: the state, the APIs by resource family, and the dispatch of
each operation of the three botocore APIs to the method that implements it.

`handle(api, operation, params)` is the edge where a request is parsed, once: params are validated
against botocore's model, then passed as keyword arguments with Python names (`datasetGroupArn`
becomes `dataset_group_arn`, botocore's own `xform_name`), as moto's backends take them. A method
declares the members it supports; members the model defines and it does not take are ignored, and
a parameter the model does not define is refused when the service starts. The result is cut to
the model's output shape, so the HTTP layer only moves bytes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore import xform_name

from allstore.personalize import apimodel
from allstore.personalize.api.actions import ActionsApi
from allstore.personalize.api.algorithms import AlgorithmsApi
from allstore.personalize.api.batch import BatchApi
from allstore.personalize.api.campaigns import CampaignsApi
from allstore.personalize.api.data_jobs import DataJobsApi
from allstore.personalize.api.datasets import DatasetsApi
from allstore.personalize.api.events import EventsApi
from allstore.personalize.api.metric_attributions import MetricAttributionsApi
from allstore.personalize.api.recommenders import RecommendersApi
from allstore.personalize.api.runtime import RuntimeApi
from allstore.personalize.api.solutions import SolutionsApi
from allstore.personalize.api.tags import TagsApi
from allstore.personalize.errors import ServiceError, invalid_input
from allstore.personalize.state.jobs import hour_seconds
from allstore.personalize.state.resources import REQUEST_REGION, region
from allstore.personalize.state.service_state import ServiceState
from allstore.state_dir import StateDirectoryInUse as StateDirectoryInUse  # raised by __init__


@dataclass(frozen=True)
class Operation:
    """An operation's method and the request members it takes, by member name -> parameter name."""

    method: Callable[..., dict[str, Any]]
    parameters: dict[str, str]

    @classmethod
    def bind(cls, api: str, name: str, method: Callable[..., dict[str, Any]]) -> Operation:
        input_shape = apimodel.operation(api, name).input_shape
        members = {xform_name(member): member for member in (input_shape.members if input_shape else ())}
        taken = inspect.signature(method).parameters
        undefined = set(taken) - set(members)
        if undefined:
            raise TypeError(f"{method.__qualname__} takes {sorted(undefined)}, which {name} does not define")
        return cls(method, {members[parameter]: parameter for parameter in taken})

    def __call__(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.method(
            **{
                self.parameters[member]: value
                for member, value in params.items()
                if member in self.parameters and value is not None  # null is absent, as validation has it
            }
        )


class PersonalizeService:
    """All state lives under `state_dir`, so a new instance on the same directory carries on."""

    def __init__(self, state_dir: str | Path, workers: int = 2) -> None:
        self.state = ServiceState(Path(state_dir), workers)
        self.directory_lock = self.state.directory_lock
        self._operations: dict[tuple[str, str], Operation] = {}
        self.tags = TagsApi(self.state)
        actions = ActionsApi(self.state)  # the runtime's and the events API's action operations
        solutions = SolutionsApi(self.state)
        families = {
            apimodel.CONTROL_PLANE: (
                DatasetsApi(self.state),
                solutions,
                CampaignsApi(self.state),
                BatchApi(self.state),
                RecommendersApi(self.state),
                DataJobsApi(self.state),
                MetricAttributionsApi(self.state),
                AlgorithmsApi(self.state),
                self.tags,
            ),
            apimodel.RUNTIME: (RuntimeApi(self.state), actions),
            apimodel.EVENTS: (EventsApi(self.state), actions),
        }
        for api, implementations in families.items():
            for operation in apimodel.service_model(api).operation_names:
                for implementation in implementations:
                    method = getattr(implementation, xform_name(operation), None)
                    if method is not None:
                        self._operations[(api, operation)] = Operation.bind(api, operation, method)
        self.state.recover()
        # Automatic training is checked at start and every minute (of the scaled clock).
        self.state.jobs.every(max(0.05, hour_seconds() / 60), solutions.auto_train)

    def handle(self, api: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Serve one operation in the request's region: its SigV4 scope's (server.py sets it), else
        the configured one (AWS_REGION, AWS_DEFAULT_REGION, us-east-1) for a call made in-process,
        so no operation sees every region's resources; only jobs and recovery do."""
        token = REQUEST_REGION.set(region())
        try:
            return self._handle(api, operation, params)
        finally:
            REQUEST_REGION.reset(token)

    def _handle(self, api: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        bound = self._operations.get((api, operation))
        if bound is None:
            raise invalid_input(f"{operation} is not supported by the local Personalize service.")
        try:
            apimodel.validate(api, operation, params)
            tagged = operation.startswith("Create") and "tags" in params
            if tagged:
                self.tags.check_creation_tags(params["tags"])
            result = bound(params)
            if operation.startswith("Create"):
                self._record_creation_tags(api, operation, result, params.get("tags"))
        except ServiceError as error:
            listed = apimodel.error_names(api, operation)
            if error.code not in listed and "InvalidInputException" in listed:
                # The service answers only with its modelled classes (PutEvents with an unknown
                # trackingId is an InvalidInputException), so botocore raises a class it knows.
                raise invalid_input(error.message) from None
            raise
        # Control-plane answers carry whole resources (`wire()`), which List operations' summary
        # shapes cut down; the runtime and events APIs build their answers in shape already (and
        # are latency-bound).
        return apimodel.output(api, operation, result) if api == apimodel.CONTROL_PLANE else result

    def _record_creation_tags(
        self, api: str, operation: str, result: dict[str, Any], tags: list | None
    ) -> None:
        """The created resource's tags are the ones it was created with (none drops any an earlier
        resource of the same ARN had)."""
        output = apimodel.operation(api, operation).output_shape
        arn_member = next((name for name in (output.members if output else ()) if name.endswith("Arn")), None)
        if arn_member and result.get(arn_member):
            self.tags.created(result[arn_member], tags)

    def close(self) -> None:
        """Finish the running jobs (queued ones are dropped: the next start marks them interrupted)."""
        self.state.close()
