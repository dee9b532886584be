"""The local store's own AWS credentials: a secret per store, and SigV4 checks of requests made with it.

Local AWS (moto), the Lambda API and the Personalize service act on the user's behalf (run code,
delete campaigns), so they answer only requests signed with this store's key — not the well-known dummy keys every emulator accepts, which any
process or web page could use. The key is made at the store's first start and kept in its state
directory, readable by the user only (0600); `allstore local env` prints it for boto3 and the CLI.
The signature is checked as AWS does (botocore computes the expected one), within AWS's 15 minutes
of clock skew.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import shlex
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

CREDENTIALS_FILE = "credentials.json"
MAX_CLOCK_SKEW = timedelta(minutes=15)
ALGORITHM = "AWS4-HMAC-SHA256"
AMZ_DATE = re.compile(r"\d{8}T\d{6}Z", re.ASCII)


def export_lines(variables: Mapping[str, str]) -> list[str]:
    """`export NAME=value` lines a shell can `eval` (values quoted)."""
    return [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]


class SignatureRejected(Exception):
    """The request is not signed with the store's key; `code` is AWS's error code for the reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class StoreCredentials:
    """The store's own access key pair (0600 in the state directory), and SigV4 checks with it."""

    access_key_id: str
    secret_access_key: str

    @classmethod
    def generate(cls) -> StoreCredentials:
        alphabet = string.ascii_uppercase + string.digits
        return cls(
            access_key_id="ASIA" + "".join(secrets.choice(alphabet) for _ in range(16)),
            secret_access_key=secrets.token_urlsafe(30),
        )

    @classmethod
    def for_state_dir(cls, state_dir: Path) -> StoreCredentials:
        """The store's credentials, made (0600, owner only) the first time."""
        return cls.for_file(state_dir / CREDENTIALS_FILE)

    @classmethod
    def for_file(cls, path: Path) -> StoreCredentials:
        """The credentials kept in `path`, made (0600, owner only) when it does not exist yet."""
        try:
            return cls.read_file(path)
        except FileNotFoundError:
            pass
        credentials = cls.generate()
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another start wrote it first
            return cls.read_file(path)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(credentials.environment(), file)
        return credentials

    @classmethod
    def read(cls, state_dir: Path) -> StoreCredentials:
        """The credentials of the store in `state_dir` (FileNotFoundError before its first start)."""
        return cls.read_file(state_dir / CREDENTIALS_FILE)

    @classmethod
    def read_file(cls, path: Path) -> StoreCredentials:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        saved = json.loads(path.read_text(encoding="utf-8"))
        return cls(saved["AWS_ACCESS_KEY_ID"], saved["AWS_SECRET_ACCESS_KEY"])

    def environment(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}

    # ------------------------------------------------------------------ signing

    def sign(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, service: str, region: str
    ) -> dict[str, str]:
        """`headers` plus this key's SigV4 signature, for forwarding a request to local AWS."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        SigV4Auth(Credentials(self.access_key_id, self.secret_access_key), service, region).add_auth(request)
        return dict(request.headers.items())

    def verify(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> str:
        """Check the request (raw request target, headers as received) is signed with this key;
        returns the signed service name, raises SignatureRejected otherwise."""
        query = dict(parse_qsl(urlsplit(target).query, keep_blank_values=True))
        if "AWSAccessKeyId" in query and "Signature" in query:
            return self._verify_s3_v2_query(method, target, query)
        fields, query_auth = _authorization(target, headers)
        scope = fields.get("Credential", "").split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise SignatureRejected("IncompleteSignature", "The request signature is missing or malformed.")
        access_key, day, region, service, _ = scope
        self._check_key(access_key)
        timestamp = fields.get("X-Amz-Date") or ""
        try:  # fromisoformat reads the basic format 5x faster than strptime; the pattern keeps it strict
            if not AMZ_DATE.fullmatch(timestamp):
                raise ValueError(timestamp)
            signed_at = datetime.fromisoformat(timestamp)
        except ValueError:
            raise SignatureRejected("IncompleteSignature", "The request has no valid X-Amz-Date.") from None
        if abs(datetime.now(UTC) - signed_at) > MAX_CLOCK_SKEW or not timestamp.startswith(day):
            raise SignatureRejected("InvalidSignatureException", "Signature expired or not yet valid.")
        expected = self._signature(method, target, headers, body, fields, service, region, query_auth)
        if not hmac.compare_digest(expected, fields.get("Signature", "")):
            raise SignatureRejected(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided.",
            )
        return service

    def verify_for(
        self, service: str, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> None:
        """`verify`, and the signature's scope must be `service` (a server that speaks one service)."""
        if self.verify(method, target, headers, body) != service:
            raise SignatureRejected(
                "InvalidSignatureException", f"Credential should be scoped to correct service: '{service}'."
            )

    def _check_key(self, access_key: str) -> None:
        if not hmac.compare_digest(access_key.encode(), self.access_key_id.encode()):
            raise SignatureRejected(
                "UnrecognizedClientException",
                "The security token included in the request is invalid: use the credentials "
                "`allstore local env` prints.",
            )

    def _verify_s3_v2_query(self, method: str, target: str, query: dict[str, str]) -> str:
        """An S3 URL pre-signed with signature version 2 (boto3's default for generate_presigned_url)."""
        from botocore.auth import HmacV1Auth
        from botocore.awsrequest import HTTPHeaders
        from botocore.credentials import Credentials

        self._check_key(query["AWSAccessKeyId"])
        expires = query.get("Expires", "")
        if not expires.isdigit() or int(expires) < datetime.now(UTC).timestamp():
            raise SignatureRejected("AccessDenied", "Request has expired.")

        class Signer(HmacV1Auth):
            def _get_date(self) -> str:  # a pre-signed URL signs its expiry where a request signs its date
                return expires

        signer = Signer(Credentials(self.access_key_id, self.secret_access_key))
        expected = signer.get_signature(method, urlsplit(target), HTTPHeaders(), expires=expires)
        if not hmac.compare_digest(expected, query["Signature"]):
            raise SignatureRejected(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        return "s3"

    def _signature(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        fields: dict[str, str],
        service: str,
        region: str,
        query_auth: bool,
    ) -> str:
        from botocore.awsrequest import AWSRequest, HTTPHeaders
        from botocore.credentials import Credentials

        signed_names = [name for name in fields.get("SignedHeaders", "").split(";") if name]
        signed = HTTPHeaders()
        lowered = {name.lower(): value for name, value in headers.items()}
        for name in signed_names:
            signed[name] = lowered.get(name, "")
        url = urlsplit(target)
        if query_auth:  # a pre-signed URL: its own signature is not part of what it signs
            kept = [(key, value) for key, value in parse_qsl(url.query, True) if key != "X-Amz-Signature"]
            target = url._replace(query=urlencode(kept, quote_via=_quote)).geturl()
        request = AWSRequest(method=method, url=f"http://local{target}", data=body, headers=signed)
        claimed = lowered.get("x-amz-content-sha256", "")
        hashed = claimed and claimed != "UNSIGNED-PAYLOAD" and not claimed.startswith("STREAMING-")
        if hashed and not hmac.compare_digest(claimed, hashlib.sha256(body).hexdigest()):
            raise SignatureRejected(  # the signature covers the claimed hash, not this body
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        if query_auth or claimed:
            request.headers["X-Amz-Content-SHA256"] = lowered.get("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        request.context["timestamp"] = fields["X-Amz-Date"]
        request.context["signed_headers"] = signed
        verifier = _verifier(service == "s3")(
            Credentials(self.access_key_id, self.secret_access_key), service, region
        )
        canonical = verifier.canonical_request(request)
        return verifier.signature(verifier.string_to_sign(request, canonical), request)


@cache
def _verifier(s3: bool) -> type:
    """botocore's signer, computing the signature over the headers the request says it signed."""
    from botocore.auth import S3SigV4Auth, SigV4Auth

    class Verifier(S3SigV4Auth if s3 else SigV4Auth):  # type: ignore[misc]
        def headers_to_sign(self, request: Any) -> Any:
            return request.context["signed_headers"]

    return Verifier


def _quote(value: str, safe: str = "", encoding: str | None = None, errors: str | None = None) -> str:
    from urllib.parse import quote

    return quote(value, safe="-_.~")


def _authorization(target: str, headers: Mapping[str, str]) -> tuple[dict[str, str], bool]:
    """The signature's fields (Credential, SignedHeaders, Signature, X-Amz-Date) from the
    Authorization header or a pre-signed URL's query; whether they came from the query."""
    lowered = {name.lower(): value for name, value in headers.items()}
    header = lowered.get("authorization", "")
    if header.startswith(ALGORITHM + " "):
        fields = {}
        for part in header[len(ALGORITHM) :].split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        fields["X-Amz-Date"] = lowered.get("x-amz-date", "")
        return fields, False
    query = dict(parse_qsl(urlsplit(target).query, keep_blank_values=True))
    if query.get("X-Amz-Algorithm") == ALGORITHM:
        return {
            "Credential": query.get("X-Amz-Credential", ""),
            "SignedHeaders": query.get("X-Amz-SignedHeaders", ""),
            "Signature": query.get("X-Amz-Signature", ""),
            "X-Amz-Date": query.get("X-Amz-Date", ""),
        }, True
    raise SignatureRejected(
        "MissingAuthenticationToken",
        "Request is missing Authentication Token: sign it with the credentials `allstore local env` prints.",
    )
