"""Local AWS: moto in server mode on 127.0.0.1, and the endpoint table every local client uses.

Handlers, notebooks and the runner reach each service through `AWS_ENDPOINT_URL_<SERVICE>`
variables (honoured by boto3 and the AWS CLI), so the same code runs against AWS and locally.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

import boto3
from botocore.config import Config

from allstore.credentials import StoreCredentials
from allstore.local.aws_guard import AwsGuard, Refusal, guarded_wsgi
from allstore.loopback import IDLE_SECONDS, LOOPBACK_NAMES, listen_backlog

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account

MOTO_SERVICES = (
    "dynamodb",
    "dynamodbstreams",
    "s3",
    "kinesis",
    "cognito-identity",
    "iam",
    "sqs",
    "ssm",
    "sts",
    "cloudwatch",  # where the Personalize service publishes metric attributions
)
PERSONALIZE_SERVICES = ("personalize", "personalize-runtime", "personalize-events")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def endpoint_variable(service: str) -> str:
    """`personalize-runtime` → `AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME`, boto3's service-specific name."""
    return "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")


def endpoint_environment(endpoints: dict[str, str], credentials: StoreCredentials) -> dict[str, str]:
    """The variables that point boto3 at `endpoints` (service → URL), with region and the store's keys."""
    environment = {endpoint_variable(service): url for service, url in endpoints.items()}
    environment.update(credentials.environment())
    environment.update({"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION})
    return environment


def function_configuration(name: str) -> dict[str, Any]:
    """A function's current configuration, read from moto's in-process Lambda state.

    The same answer as GetFunctionConfiguration without an HTTP round trip and moto's wire
    serialisation (several milliseconds), which every local invocation would otherwise pay.
    """
    from moto.awslambda.models import lambda_backends  # moto loads in seconds: only where it runs

    return lambda_backends[ACCOUNT_ID][REGION].get_function(name).get_configuration()


def _build_iam() -> None:
    from moto.iam.models import iam_backends
    from moto.utilities.utils import PARTITION_NAMES

    for partition in PARTITION_NAMES:
        iam_backends[ACCOUNT_ID][partition]


class MotoServer:
    """moto's threaded server on 127.0.0.1, with the fast paths of `moto_speedups`; its state lives
    in this process's memory. It answers only requests signed with `credentials`, addressed to its
    own Host and from no web page but `trusted_origins` (aws_guard)."""

    def __init__(
        self, credentials: StoreCredentials, port: int = 0, trusted_origins: Iterable[str] = ()
    ) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from allstore.local import moto_speedups

        moto_speedups.install()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request

        class NoDelayRequestHandler(MotoRequestHandler):
            # Headers and body leave in two writes: with Nagle's algorithm, the client's delayed
            # ACK holds the body back for 40 ms on every request.
            disable_nagle_algorithm = True
            timeout = IDLE_SECONDS  # a silent connection is closed, as the loopback servers do

            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                """A malformed request line: an AWS JSON error, not Python's HTML page."""
                self.close_connection = True
                text = message or HTTPStatus(code).phrase
                reply, payload = Refusal(code, "BadRequest", text).render({"content-type": "json"}, None)
                phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else ""
                lines = [f"HTTP/1.1 {code} {phrase}", *(f"{name}: {value}" for name, value in reply.items())]
                lines += [f"Content-Length: {len(payload)}", "Connection: close"]
                # Written whole: a request line that failed to parse may have left HTTP/0.9 set,
                # for which BaseHTTPRequestHandler would send no status line at all.
                self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + payload)

        guard = AwsGuard(credentials, trusted_origins)
        application = guarded_wsgi(DomainDispatcherApplication(create_backend_app), guard)
        self._server = make_server(
            "127.0.0.1", port, application, threaded=True, request_handler=NoDelayRequestHandler
        )
        self._server.socket.listen(listen_backlog())  # werkzeug listens with a backlog of 128
        guard.hosts = frozenset(f"{host}:{self._server.server_port}" for host in LOOPBACK_NAMES)
        self._thread: threading.Thread | None = None
        self._iam_config: dict[str, Any] | None = None

    def start(self) -> str:
        """Serve, starting empty: moto's state is per process, and an earlier server's would linger.

        IAM holds AWS's managed policies (moto's MOTO_IAM_LOAD_MANAGED_POLICIES, set here in its
        in-process form so no variable leaks into this process's children), so AttachRolePolicy
        with `arn:aws:iam::aws:policy/AmazonS3FullAccess` works as on AWS; docs/local.md has the cost.
        """
        from moto.core.config import default_user_config
        from moto.moto_api._internal.models import moto_api_backend

        self._iam_config = dict(default_user_config["iam"])
        default_user_config["iam"]["load_aws_managed_policies"] = True
        moto_api_backend.reset()  # in process: the HTTP /moto-api/ is unsigned, so refused
        # moto builds IAM (1,582 policies) for all six partitions on the first signed request:
        # build it now, while the search and Personalize processes start (requests wait on its lock).
        threading.Thread(target=_build_iam, name="moto-iam", daemon=True).start()
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        if self._iam_config is not None:  # moto's setting back as found, for in-process mocks
            from moto.core.config import default_user_config

            default_user_config["iam"] = self._iam_config


class AwsClients:
    """boto3 clients for the local services, one per service, safe to share between threads."""

    def __init__(self, endpoints: dict[str, str], credentials: StoreCredentials) -> None:
        self.endpoints = endpoints
        self._session = boto3.session.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            region_name=REGION,
        )
        self._clients: dict[str, object] = {}

    def __call__(self, service: str):
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service,
                endpoint_url=self.endpoints[service],
                config=Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=50),
            )
        return self._clients[service]
