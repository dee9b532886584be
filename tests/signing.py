"""Clients for the local search endpoints that sign as the functions do (SigV4, service `es`)."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch, RequestsHttpConnection
from requests_aws4auth import AWS4Auth

from allstore.credentials import StoreCredentials
from allstore.local.aws import REGION


def search_auth(credentials: StoreCredentials) -> AWS4Auth:
    """A `requests` auth signing with `credentials`, as allstore_common.search_client signs."""
    return AWS4Auth(credentials.access_key_id, credentials.secret_access_key, REGION, "es")


def signed_search_client(url: str, credentials: StoreCredentials, **options: Any) -> OpenSearch:
    """opensearch-py for `url`, each request signed with `credentials`."""
    return OpenSearch(
        hosts=[url],
        http_auth=search_auth(credentials),
        connection_class=RequestsHttpConnection,
        **{"timeout": 30, **options},
    )
