"""A search server given a key pair answers only requests signed with it for `es`, as an Amazon
OpenSearch Service domain with an IAM access policy does; the functions' client signs every request,
so the same handler code reaches both."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import requests
from allstore_common.search_client import search_client
from opensearchpy.exceptions import AuthorizationException

from allstore.credentials import StoreCredentials
from allstore.search import SearchServer
from tests.signing import search_auth, signed_search_client

DOCUMENT = {"asin": "B0001", "title": "Two-person tent"}


@pytest.fixture
def key_pair() -> StoreCredentials:
    return StoreCredentials.generate()


@pytest.fixture
def server(tmp_path: Path, key_pair: StoreCredentials):
    with SearchServer(tmp_path / "search", port=0, credentials=key_pair) as running:
        yield running


def test_signed_requests_are_answered(server: SearchServer, key_pair: StoreCredentials) -> None:
    client = signed_search_client(server.url, key_pair)
    client.index(index="items", id="B0001", body=DOCUMENT, refresh=True)
    assert (
        client.search(index="items", body={"query": {"match": {"title": "tent"}}})["hits"]["total"]["value"]
        == 1
    )


def test_gzip_bodies_are_checked_as_sent(server: SearchServer, key_pair: StoreCredentials) -> None:
    client = signed_search_client(server.url, key_pair, http_compress=True)  # signs the gzip bytes
    client.bulk(body=[{"index": {"_index": "items", "_id": "B0001"}}, DOCUMENT], refresh=True)
    assert client.get(index="items", id="B0001")["_source"] == DOCUMENT


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        (None, "MissingAuthenticationToken"),
        (search_auth(StoreCredentials.generate()), "UnrecognizedClientException"),
        (search_auth(StoreCredentials("ASIA0000", "x")), "UnrecognizedClientException"),
    ],
    ids=["unsigned", "another key", "a guessed key"],
)
def test_other_requests_get_the_domains_403_and_change_nothing(
    server: SearchServer, key_pair: StoreCredentials, auth, code: str
) -> None:
    answer = requests.put(f"{server.url}/items/_doc/B0001", json=DOCUMENT, auth=auth, timeout=10)
    assert answer.status_code == 403 and answer.headers["x-amzn-ErrorType"] == code
    assert set(answer.json()) == {"message"}  # the domain's IAM layer answers, not OpenSearch
    assert not signed_search_client(server.url, key_pair).indices.exists(index="items")


def test_a_wrong_secret_a_changed_body_or_another_service_is_refused(
    server: SearchServer, key_pair: StoreCredentials
) -> None:
    wrong_secret = StoreCredentials(key_pair.access_key_id, "not-the-secret")
    answer = requests.get(f"{server.url}/_cat/indices", auth=search_auth(wrong_secret), timeout=10)
    assert answer.headers["x-amzn-ErrorType"] == "InvalidSignatureException"

    body = json.dumps(DOCUMENT).encode()
    url = f"{server.url}/items/_doc/B0001"
    headers = key_pair.sign("PUT", url, {"Content-Type": "application/json"}, body, "es", "us-east-1")
    changed = requests.put(url, data=body.replace(b"tent", b"bomb"), headers=headers, timeout=10)
    assert changed.status_code == 403, changed.text  # the signature covers the body it was made for

    for_personalize = key_pair.sign("GET", f"{server.url}/", {}, b"", "personalize", "us-east-1")
    answer = requests.get(f"{server.url}/", headers=for_personalize, timeout=10)
    assert answer.status_code == 403 and "'es'" in answer.json()["message"]


def test_the_functions_client_signs_with_the_functions_credentials(tmp_path: Path) -> None:
    """The handlers' client (allstore_common.search_client) signs over plain HTTP too: a server that
    checks the key of the environment (the tests' AWS_ACCESS_KEY_ID) answers it."""
    environment = StoreCredentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    with SearchServer(tmp_path / "search", port=0, credentials=environment) as running:
        client = search_client(running.url)
        client.index(index="items", id="B0001", body=DOCUMENT, refresh=True)
        assert client.get(index="items", id="B0001")["_source"] == DOCUMENT
    stranger = SearchServer(tmp_path / "other", port=0, credentials=StoreCredentials.generate())
    with stranger, pytest.raises(AuthorizationException):
        search_client(stranger.url).indices.exists(index="items")


def test_a_server_with_its_own_key_pair_keeps_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "search"
    with SearchServer(data_dir, port=0, own_credentials=True) as first:
        made = first.credentials
    assert made == StoreCredentials.read(data_dir)
    assert (data_dir / "credentials.json").stat().st_mode & 0o777 == 0o600
    with SearchServer(data_dir, port=0, own_credentials=True) as second:
        assert second.credentials == made
        assert requests.get(second.url, auth=search_auth(made), timeout=10).status_code == 200


def test_a_body_that_is_not_the_one_hashed_is_refused(
    server: SearchServer, key_pair: StoreCredentials
) -> None:
    """requests-aws4auth signs the hash it sends in x-amz-content-sha256, not the body itself: a
    signed request replayed with another body must not pass."""
    signed = requests.Request(
        "PUT", f"{server.url}/items/_doc/B0001", json=DOCUMENT, auth=search_auth(key_pair)
    ).prepare()
    assert "x-amz-content-sha256" in signed.headers
    signed.body = json.dumps({**DOCUMENT, "title": "planted"}).encode()
    signed.headers["Content-Length"] = str(len(signed.body))
    with requests.Session() as session:
        answer = session.send(signed, timeout=10)
    assert answer.status_code == 403 and answer.headers["x-amzn-ErrorType"] == "XAmzContentSHA256Mismatch"
    assert not signed_search_client(server.url, key_pair).indices.exists(index="items")
