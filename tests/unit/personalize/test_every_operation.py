"""Every operation of botocore's personalize, personalize-runtime and personalize-events models is
served: each is called over the wire with no parameters (botocore's own checks off) and must answer
either a result or the service's InvalidInputException about its input — never "not supported"
nor the HTTP layer's UnknownOperationException."""

from __future__ import annotations

import boto3
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from allstore.personalize.server import PersonalizeServer
from tests.unit.personalize.conftest import keys

SERVICES = ("personalize", "personalize-runtime", "personalize-events")


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_of_the_model_is_served(server: PersonalizeServer, service: str) -> None:
    config = Config(parameter_validation=False, retries={"max_attempts": 1}, read_timeout=30)
    client = boto3.client(service, endpoint_url=server.url, config=config, **keys(server))
    operations = client.meta.service_model.operation_names
    assert operations, f"botocore's {service} model lists no operations"
    unserved = {}
    for operation in operations:
        try:
            getattr(client, xform_name(operation))()
        except ClientError as error:
            code, message = error.response["Error"]["Code"], error.response["Error"].get("Message", "")
            if code == "UnknownOperationException" or "not supported by the local" in message:
                unserved[operation] = f"{code}: {message}"
            else:
                assert error.response["ResponseMetadata"]["HTTPStatusCode"] < 500, (operation, code, message)
    assert unserved == {}, f"{len(unserved)} of {len(operations)} {service} operations are not served"
