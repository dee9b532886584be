"""What local AWS accepts: requests from boto3 and the CLI signed with the store's key, never pages.

The same rules guard moto (wrapped around its WSGI app) and the gateway's Lambda API: the `Host`
must be the server's own (no DNS rebinding), an `Origin` other than the store's is refused (no web
page, and no CORS), the SigV4 signature must be made with the store's credentials, and a function
configuration may not set variables that change how a process starts (function_environment).
Refusals are answered in the protocol of the service addressed, so botocore raises the usual
`ClientError` with AWS's code.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from allstore.credentials import SignatureRejected, StoreCredentials
from allstore.local.function_environment import environment_error
from allstore.loopback import METHODS

log = logging.getLogger(__name__)

# CreateFunction and UpdateFunctionConfiguration: the operations that set a function's environment.
LAMBDA_CONFIGURATION = re.compile(
    r"^(POST /2015-03-31/functions/?|PUT /2015-03-31/functions/[^/]+/configuration/?)$"
)
XML_SERVICES_WITHOUT_JSON = ("s3",)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str

    def render(self, headers: Mapping[str, str], service: str | None) -> tuple[dict[str, str], bytes]:
        """The refusal in the request's protocol: JSON (with `__type`) or the XML of S3 / query APIs."""
        content_type = {name.lower(): value for name, value in headers.items()}.get("content-type", "")
        target = any(name.lower() == "x-amz-target" for name in headers)
        reply = {"x-amzn-ErrorType": self.code}
        if target or "json" in content_type or service == "lambda":
            body = {"__type": self.code, "message": self.message, "Type": "User"}
            return {**reply, "Content-Type": "application/json"}, json.dumps(body).encode()
        message = self.message.replace("&", "&amp;").replace("<", "&lt;")
        if service in XML_SERVICES_WITHOUT_JSON:
            xml = f"<Error><Code>{self.code}</Code><Message>{message}</Message></Error>"
        else:
            xml = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{self.code}</Code>"
                f"<Message>{message}</Message></Error></ErrorResponse>"
            )
        return {**reply, "Content-Type": "application/xml"}, xml.encode()


class AwsGuard:
    """Checks one request against the rules; `hosts` and `origins` are the accepted values."""

    def __init__(self, credentials: StoreCredentials, trusted_origins: Iterable[str]) -> None:
        self.credentials = credentials
        self.trusted_origins = frozenset(origin.lower() for origin in trusted_origins)
        self.hosts: frozenset[str] = frozenset()

    def check(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes, path_prefix: str = ""
    ) -> tuple[Refusal | None, str | None]:
        """(None, service) when the request may go on, else (the refusal, the service if known)."""
        refusal = self.check_head(method, target, headers)
        if refusal is not None:
            return refusal, None
        try:
            service = self.credentials.verify(method, target, headers, body)
        except SignatureRejected as rejected:
            return Refusal(403, rejected.code, rejected.message), None
        path = urlsplit(target).path.removeprefix(path_prefix)
        if service == "lambda" and LAMBDA_CONFIGURATION.match(f"{method} {path}"):
            reason = _configuration_refusal(body)
            if reason is not None:
                return Refusal(400, "InvalidParameterValueException", reason), service
        return None, service

    def check_head(self, method: str, target: str, headers: Mapping[str, str]) -> Refusal | None:
        """The rules that need no body (method, path, Host, Origin): checked before one is read,
        so no page and no rebound name can make local AWS read a body at all."""
        lowered = {name.lower(): value for name, value in headers.items()}
        if method not in METHODS:
            return Refusal(405, "MethodNotAllowed", f"The method {method} is not allowed here.")
        if b"\x00" in unquote_to_bytes(urlsplit(target).path):
            return Refusal(400, "InvalidURI", "The request path contains a NUL character.")
        if lowered.get("host", "").lower() not in self.hosts:
            return Refusal(403, "AccessDeniedException", "This server answers only its own address.")
        origin = lowered.get("origin")
        if origin is not None and origin.lower() not in self.trusted_origins:
            return Refusal(403, "AccessDeniedException", f"Requests from web pages on {origin} are refused.")
        return None


def _configuration_refusal(body: bytes) -> str | None:
    try:
        configuration = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError):
        return None  # not a configuration: Lambda answers the parse error itself
    return environment_error(configuration)


def guarded_wsgi(app: Callable[..., Any], guard: AwsGuard) -> Callable[..., Any]:
    """moto's WSGI app behind `guard`: a refused request never reaches moto."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        headers = _wsgi_headers(environ)
        target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        early = guard.check_head(environ["REQUEST_METHOD"], target, headers)
        if early is not None:  # refused unread: the connection is closed, so its body is never a request
            log.info("local AWS refused %s %s: %s", environ["REQUEST_METHOD"], target, early.message)
            return _answer(start_response, early, headers, None)
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            body = stream.read(int(length))
        elif environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        refusal, service = guard.check(environ["REQUEST_METHOD"], target, headers, body)
        if refusal is None:

            def without_cors(status: str, response_headers: list[tuple[str, str]], *args: Any) -> Any:
                kept = [(name, value) for name, value in response_headers if not _is_cors(name)]
                return start_response(status, kept, *args)

            try:
                return app(environ, without_cors)
            except (ValueError, RecursionError):  # moto parsing a body that is not JSON, or too deep
                refusal = Refusal(400, "SerializationException", "The request body could not be parsed.")
            except (KeyError, TypeError, AttributeError):  # moto reading a parameter that is missing
                log.info("local AWS: %s %s is malformed", environ["REQUEST_METHOD"], target, exc_info=True)
                refusal = Refusal(
                    400,
                    "ValidationException",
                    "The request misses a required parameter or has a malformed one.",
                )
            except Exception:  # a moto failure: werkzeug would answer its HTML page
                log.exception("local AWS: %s %s failed", environ["REQUEST_METHOD"], target)
                refusal = Refusal(
                    500, "InternalFailure", "Internal failure; the store's log has the details."
                )
        else:
            log.info("local AWS refused %s %s: %s", environ["REQUEST_METHOD"], target, refusal.message)
        return _answer(start_response, refusal, headers, service)

    return application


def _answer(
    start_response: Callable[..., Any], refusal: Refusal, headers: Mapping[str, str], service: str | None
) -> list[bytes]:
    reply, payload = refusal.render(headers, service)
    start_response(
        f"{refusal.status} {HTTPStatus(refusal.status).phrase}",
        [*reply.items(), ("Content-Length", str(len(payload))), ("Connection", "close")],
    )
    return [payload]


def _is_cors(name: str) -> bool:
    """moto allows every origin; local AWS is not for pages, so it sends no CORS header at all."""
    return name.lower().startswith("access-control-")


def _wsgi_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers
