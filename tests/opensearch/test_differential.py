"""The embedded search server against the real OpenSearch node: same index, documents and requests.

Every request the handlers send (functions/api/search, functions/streaming/update_search_cluster,
allstore_common.search_index) goes to both engines, over a synthetic catalogue indexed as the stream
handler indexes it. They must agree on the hit sets, on the order of the top results wherever the
real node's scores are not tied, on the response keys and on the error types. The differences kept
on purpose are in docs/search.md ("Engines"); each is asserted here as exactly that difference.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from allstore_common.search_index import INDEX_MAPPING, ensure_index, search_document
from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError

from allstore.local.lambda_code import load_handler
from allstore.search.analysis import analyze

API_SEARCH_DIR = Path(__file__).parents[2] / "functions" / "api" / "search"
INDEX = "differential-items"
WRITES_INDEX = "differential-writes"
ALL_HITS = 500  # more than the catalogue: every match comes back, with its score
TOP = 10  # the handler's default page
TIE = 1e-4  # relative score difference below which two hits are tied
ITEMS_SAMPLED = 10


@pytest.fixture(scope="module")
def product_query() -> Callable[[str, int], dict[str, Any]]:
    """The search handler's own request body builder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ITEMS_TABLE", "differential-items")
        handler = load_handler(API_SEARCH_DIR)
    return inspect.unwrap(handler).__globals__["product_query"]


@pytest.fixture(scope="module")
def clients(embedded_url: str, opensearch_url: str, catalogue: list[dict[str, Any]]) -> dict[str, OpenSearch]:
    """Both engines, each with the index created as the indexer creates it and the catalogue bulk-loaded."""
    engines = {
        "embedded": OpenSearch(hosts=[embedded_url], timeout=30, max_retries=0),
        "opensearch": OpenSearch(hosts=[opensearch_url], timeout=30, max_retries=0),
    }
    body: list[dict[str, Any]] = []
    for item in catalogue:  # the lines UpdateSearchCluster sends for INSERTs
        body += [{"index": {"_index": INDEX, "_id": item["asin"]}}, search_document(item)]
    for client in engines.values():
        for index in (INDEX, WRITES_INDEX):
            if client.indices.exists(index=index):
                client.indices.delete(index=index)
        assert ensure_index(client, INDEX) is True
        response = client.bulk(body=body)
        assert response["errors"] is False
        client.indices.refresh(index=INDEX)
    return engines


def call(client: OpenSearch, request: Callable[[OpenSearch], Any]) -> Any:
    """The response, or for an error {"status", "error"} as opensearch-py reports it."""
    try:
        return request(client)
    except TransportError as error:
        return {"exception": type(error).__name__, "status": error.status_code, "error": error.info["error"]}


def both(clients: dict[str, OpenSearch], request: Callable[[OpenSearch], Any]) -> tuple[Any, Any]:
    return call(clients["embedded"], request), call(clients["opensearch"], request)


def shape(value: Any) -> Any:
    """The keys of a response, recursively, without its values (lists by their first element)."""
    if isinstance(value, dict):
        return {key: shape(child) for key, child in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__ if not isinstance(value, int | float) or isinstance(value, bool) else "number"


# ------------------------------------------------------------------------- the queries


def _misspelt(word: str, rng: random.Random) -> str:
    """One letter dropped after the first (the first letter stays: see the deliberate difference)."""
    if len(word) < 5:
        return word
    cut = rng.randrange(1, len(word) - 1)
    return word[:cut] + word[cut + 1 :]


def _words(text: str) -> list[str]:
    return text.replace(",", " ").split()


QUERY_KINDS: dict[str, Callable[[dict[str, Any], random.Random], str]] = {
    "exact title": lambda item, rng: item["title"],
    "lower-case title": lambda item, rng: item["title"].lower(),
    "first two title words": lambda item, rng: " ".join(_words(item["title"])[:2]),
    "every title word misspelt": lambda item, rng: " ".join(_misspelt(w, rng) for w in _words(item["title"])),
    "brand": lambda item, rng: item["brand"],
    "misspelt brand": lambda item, rng: _misspelt(item["brand"], rng),
    "last title word": lambda item, rng: _words(item["title"])[-1],
    "feature phrase": lambda item, rng: item["feature"][0],
    "words across fields": lambda item, rng: (
        f"{item['brand']} {item['category'].lower()} {_words(item['title'])[-1]}"
    ),
    "description sentence": lambda item, rng: item["description"][0],
}


def texts_of(kind: str, catalogue: list[dict[str, Any]]) -> list[str]:
    rng = random.Random(kind)
    sampled = catalogue[:: len(catalogue) // ITEMS_SAMPLED][:ITEMS_SAMPLED]
    return [QUERY_KINDS[kind](item, rng) for item in sampled]


def with_prefix_length(query: dict[str, Any], prefix_length: int) -> dict[str, Any]:
    """The handler's query with `prefix_length` on its fuzzy clause (the embedded server's rule)."""
    fuzzy = dict(query["query"]["bool"]["should"][0]["multi_match"], prefix_length=prefix_length)
    should = [{"multi_match": fuzzy}, *query["query"]["bool"]["should"][1:]]
    return {**query, "query": {"bool": {**query["query"]["bool"], "should": should}}}


def scores(response: dict[str, Any]) -> dict[str, float]:
    return {hit["_id"]: hit["_score"] for hit in response["hits"]["hits"]}


def ranked_above(hit_scores: dict[str, float], doc: str) -> set[str]:
    """The hits scored clearly higher than `doc` (ties within TIE are not an order)."""
    return {other for other, score in hit_scores.items() if score > hit_scores[doc] * (1 + TIE)}


def disagreements(embedded: dict[str, Any], real: dict[str, Any]) -> list[str]:
    """Where two responses to one query differ in hit set, total, or order of the real node's top hits."""
    embedded_scores, real_scores = scores(embedded), scores(real)
    problems = []
    if set(embedded_scores) != set(real_scores):
        problems.append(
            f"hit sets: only embedded {sorted(set(embedded_scores) - set(real_scores))[:5]}, "
            f"only OpenSearch {sorted(set(real_scores) - set(embedded_scores))[:5]}"
        )
    elif embedded["hits"]["total"] != real["hits"]["total"]:
        problems.append(f"totals {embedded['hits']['total']} != {real['hits']['total']}")
    else:
        for doc in [hit["_id"] for hit in real["hits"]["hits"][:TOP]]:
            above_embedded, above_real = ranked_above(embedded_scores, doc), ranked_above(real_scores, doc)
            if above_embedded != above_real:
                problems.append(
                    f"{doc} ranked below {sorted(above_embedded)[:5]} (embedded) vs {sorted(above_real)[:5]} (OpenSearch)"
                )
                break
    return problems


@pytest.mark.parametrize("kind", sorted(QUERY_KINDS))
def test_search_agrees_with_the_first_letter_rule(kind, clients, catalogue, product_query):
    """Hit sets, totals and top order match OpenSearch given the embedded server's `prefix_length: 1`."""
    failures = {}
    for text in texts_of(kind, catalogue):
        query = product_query(text, ALL_HITS)
        embedded = clients["embedded"].search(index=INDEX, body=query)
        real = clients["opensearch"].search(index=INDEX, body=with_prefix_length(query, 1))
        if problems := disagreements(embedded, real):
            failures[text] = problems
    assert failures == {}


@pytest.mark.parametrize("kind", sorted(QUERY_KINDS))
def test_the_first_letter_rule_only_ever_drops_fuzzy_matches(kind, clients, catalogue, product_query):
    """With the handler's query unchanged (prefix_length 0), the embedded hits are a subset of OpenSearch's."""
    for text in texts_of(kind, catalogue):
        embedded, real = both(
            clients, lambda client, text=text: client.search(index=INDEX, body=product_query(text, ALL_HITS))
        )
        assert set(scores(embedded)) <= set(scores(real)), text


def test_a_decimal_number_is_one_token(clients, writes_index, product_query):
    documents = {"P1": "Bluetooth 5.3 with a stable connection", "P2": "Ages 3 and up"}
    for client in clients.values():
        for doc_id, feature in documents.items():
            client.index(
                index=WRITES_INDEX, id=doc_id, body={"asin": doc_id, "feature": [feature]}, refresh=True
            )
    embedded, real = both(
        clients, lambda client: client.search(index=WRITES_INDEX, body=product_query("3", 10))
    )
    assert disagreements(embedded, real) == []  # OpenSearch finds P2 only


def test_a_search_response_has_opensearch_keys(clients, catalogue, product_query):
    for text in (catalogue[0]["title"], "zzqxv"):  # hits, and none
        embedded, real = both(
            clients, lambda client, text=text: client.search(index=INDEX, body=product_query(text, TOP))
        )
        assert shape(embedded) == shape(real), text


# ------------------------------------------------------------------------- index and document requests


def test_the_mapping_reads_back_the_same(clients):
    embedded, real = both(clients, lambda client: client.indices.get_mapping(index=INDEX))
    assert embedded == real


def test_exists_and_creating_an_existing_index_agree(clients):
    assert both(clients, lambda client: client.indices.exists(index=INDEX)) == (True, True)
    assert both(clients, lambda client: client.indices.exists(index="differential-none")) == (False, False)
    embedded, real = both(clients, lambda client: client.indices.create(index=INDEX, body=INDEX_MAPPING))
    assert (
        (embedded["status"], embedded["error"]["type"])
        == (real["status"], real["error"]["type"])
        == (
            400,
            "resource_already_exists_exception",
        )
    )
    assert shape(embedded) == shape(real)
    assert both(clients, lambda client: ensure_index(client, INDEX)) == (False, False)  # the indexers' race


def test_searching_an_index_not_created_yet_fails_alike(clients, product_query):
    embedded, real = both(
        clients, lambda client: client.search(index="differential-none", body=product_query("tent", TOP))
    )
    assert embedded["exception"] == real["exception"] == "NotFoundError"
    assert embedded["error"]["type"] == real["error"]["type"] == "index_not_found_exception"
    assert shape(embedded) == shape(real)


@pytest.fixture
def writes_index(clients) -> Iterator[None]:
    for client in clients.values():
        ensure_index(client, WRITES_INDEX)
    yield
    for client in clients.values():
        client.indices.delete(index=WRITES_INDEX)


def test_the_indexers_bulk_requests_answer_alike(clients, writes_index, catalogue):
    first, second = (search_document(item) for item in catalogue[:2])
    body = [
        {"index": {"_index": WRITES_INDEX, "_id": first["asin"]}},
        first,
        {"index": {"_index": WRITES_INDEX, "_id": first["asin"]}},  # a MODIFY
        {**first, "title": "Renamed"},
        {"index": {"_index": WRITES_INDEX, "_id": "BAD"}},
        {**second, "price": "cheap"},  # rejected by the mapping
        {"index": {"_index": WRITES_INDEX, "_id": "BIG"}},
        {**second, "popularity": 1 << 31},  # out of range for an integer field
        {"index": {"_index": WRITES_INDEX, "_id": "TRUNCATED"}},
        {**second, "popularity": "7.9"},  # coerced to 7
        {"delete": {"_index": WRITES_INDEX, "_id": first["asin"]}},
        {"delete": {"_index": WRITES_INDEX, "_id": "NEVER"}},  # a REMOVE the index never had
    ]
    embedded, real = both(clients, lambda client: client.bulk(body=body))
    assert embedded["errors"] is real["errors"] is True

    def outcome(item: dict[str, Any]) -> tuple:
        ((action, result),) = item.items()
        return action, result["status"], result.get("result"), result.get("error", {}).get("type")

    assert [outcome(item) for item in embedded["items"]] == [outcome(item) for item in real["items"]]
    for embedded_item, real_item in zip(embedded["items"], real["items"], strict=True):
        (embedded_result,), (real_result,) = embedded_item.values(), real_item.values()
        assert shape({**embedded_result, "error": embedded_result.get("error", {})}) == shape(
            {**real_result, "error": real_result.get("error", {})}
        )


def test_text_is_tokenized_as_the_standard_tokenizer_does(clients, catalogue):
    """The catalogue's text and the cases UAX #29 decides (decimals, apostrophes, abbreviations,
    Han, letter numbers, emoji) split as the node's `standard` analyzer splits them."""
    texts = [
        "Bluetooth 5.3, 1,000 lumens; don't U.S. O'Neil's 3.x e-mail foo_bar R2-D2 5.3kg",
        "12:30 a:b x...y end. Start $19.99 (20% off!) user@example.com 中文字 ひらがな カタカナ Ⅻ ٣٫٥ 😀",
    ]
    for item in catalogue[:40]:
        for value in (item.get("title"), item.get("description"), item.get("feature")):
            texts += (
                [value] if isinstance(value, str) else [part for part in value or [] if isinstance(part, str)]
            )
    real = clients["opensearch"]
    for text in filter(None, texts):
        expected = [
            token["token"]
            for token in real.indices.analyze(body={"analyzer": "standard", "text": text})["tokens"]
        ]
        assert analyze(text) == expected, text
