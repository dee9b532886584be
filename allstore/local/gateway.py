"""The local store's one HTTP origin on 127.0.0.1: it routes each request to one of three apps.

- `/<Stage>/...` — the API, as API Gateway's REST proxy integration (api_gateway), open to any page;
- `/aws/<service>/...` — the click-tracking proxy for the web UI and the Lambda API (aws_proxy);
- everything else — the web UI and product images (static_files).

The server binds at construction, so its URL can go into the functions' environment before the
stack exists; `start()` takes the apps, built once the stack is provisioned.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.message import Message
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from allstore.credentials import StoreCredentials
from allstore.local.api_gateway import ApiGatewayProxy, ApiRoute, json_response, render_error
from allstore.local.aws_guard import AwsGuard
from allstore.local.aws_proxy import LAMBDA_PREFIX, BrowserAwsProxy, LambdaApi, LocalAws
from allstore.local.lambda_runtime import FunctionRuntime
from allstore.local.static_files import StaticFiles
from allstore.loopback import LoopbackServer, Response, loopback_origins


class Gateway:
    """The store's origin; `url` is known at once, `start(...)` serves once the stack exists."""

    def __init__(
        self, *, port: int, credentials: StoreCredentials, web_dir: Path | None, images_dir: Path | None
    ) -> None:
        # Origins are checked per app: the API is public, the AWS proxy is the store's own.
        self._server = LoopbackServer(
            self._route, port=port, name="gateway", render_error=render_error, trusted_origins=None
        )
        self.url = self._server.url + "/"
        self.origins = loopback_origins(self._server.port)
        self.credentials = credentials
        self._static = StaticFiles(web_dir, images_dir)
        self._api: ApiGatewayProxy | None = None
        self._browser_aws: BrowserAwsProxy | None = None
        self._lambda_api: LambdaApi | None = None

    def start(
        self,
        *,
        routes: list[ApiRoute],
        runtimes: dict[str, FunctionRuntime],
        moto_url: str,
        stream_names: Iterable[str],
        identity_pools: Iterable[str],
    ) -> str:
        """Serve the API's `routes`, the web UI's proxy to its streams and pools, and the Lambda API."""
        local_aws = LocalAws(moto_url, self.credentials)
        guard = AwsGuard(self.credentials, self.origins)
        guard.hosts = self._server.hosts
        self._api = ApiGatewayProxy(routes, runtimes)
        self._browser_aws = BrowserAwsProxy(local_aws, self.origins, stream_names, identity_pools)
        self._lambda_api = LambdaApi(local_aws, guard, runtimes)
        self._server.start()
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def _route(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        if self._api is None or self._browser_aws is None or self._lambda_api is None:
            return json_response(HTTPStatus.SERVICE_UNAVAILABLE, {"message": "the store is starting"})
        path = urlsplit(target).path
        if path == LAMBDA_PREFIX or path.startswith(LAMBDA_PREFIX + "/"):
            return self._lambda_api(method, target, headers, body)
        if path.startswith("/aws/"):
            return self._browser_aws(method, target, headers, body)
        if self._api.stage_of(target.partition("?")[0]) is not None:  # `//Prod/x` too
            return self._api(method, target, headers, body)
        return self._static(method, target, headers, body)
