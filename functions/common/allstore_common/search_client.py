"""One way to reach the product search index, shared by the search API and the indexer.

Every request is signed with SigV4 (service `es`) using the function's credentials, refreshed as
they rotate. On AWS the endpoint is an Amazon OpenSearch Service domain (`https://...`) whose access
policy admits only the functions' roles; locally it is AllStore's search server (or its front for a
real node) on `http://127.0.0.1:<port>`, which admits only the store's key, the one the function's
environment carries there. The handlers never know which: the endpoint comes from that environment.
"""

from __future__ import annotations

import os
from functools import cache
from urllib.parse import urlparse

import boto3
from opensearchpy import OpenSearch, RequestsHttpConnection
from requests_aws4auth import AWS4Auth

DEFAULT_INDEX = "items"


def index_name() -> str:
    """The product index, from `SEARCH_INDEX` (default `items`)."""
    return os.environ.get("SEARCH_INDEX") or DEFAULT_INDEX


@cache
def search_client(endpoint: str, timeout: float = 10.0) -> OpenSearch:
    """An OpenSearch client for `endpoint` (a URL; a bare host name means HTTPS)."""
    if not endpoint:
        raise ValueError("SEARCH_ENDPOINT is not set: the function has no search domain configured")
    url = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
    if url.scheme not in {"http", "https"} or not url.hostname:
        raise ValueError(f"SEARCH_ENDPOINT {endpoint!r} is not an http(s) URL")
    use_ssl = url.scheme == "https"
    session = boto3.Session()
    credentials = session.get_credentials()
    auth = None  # no credentials at all: unsigned, and the domain answers 403 naming the reason
    if credentials is not None:
        auth = AWS4Auth(region=session.region_name, service="es", refreshable_credentials=credentials)
    return OpenSearch(
        hosts=[{"host": url.hostname, "port": url.port or (443 if use_ssl else 80)}],
        http_auth=auth,
        use_ssl=use_ssl,
        verify_certs=use_ssl,
        connection_class=RequestsHttpConnection,
        timeout=timeout,
        max_retries=2,
        retry_on_timeout=True,
    )
