"""Fuzzy expansion: the vectorised edit distance, and Lucene-like scoring of expanded terms."""

from __future__ import annotations

import random

import pytest

from allstore.search.fuzzy import _make_bucket, edit_distances


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, letter_a in enumerate(a, 1):
        current = [i]
        for j, letter_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (letter_a != letter_b)))
        previous = current
    return previous[-1]


@pytest.mark.parametrize("seed", range(5))
def test_bit_parallel_distance_equals_the_textbook_one(seed):
    rng = random.Random(seed)
    letters = "abcdeé"
    for _ in range(40):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(1, 14)))
        terms = ["".join(rng.choice(letters[:5]) for _ in range(rng.randint(1, 16))) for _ in range(30)]
        bucket = _make_bucket([(term, 1) for term in terms])
        distances = edit_distances(word, bucket.alphabet, bucket.letters, bucket.lengths)
        assert list(distances) == [levenshtein(word, term) for term in bucket.terms]


def test_common_correct_word_is_not_buried_by_a_rare_misspelling_in_the_index(client):
    documents = [{"title": f"tennis ball pack {n}"} for n in range(30)] + [{"title": "tenis ball pack"}]
    documents += [{"title": f"golf club {n}"} for n in range(300)]
    body = "".join(
        f'{{"index": {{"_index": "shop", "_id": "{n}"}}}}\n{{"title": "{doc["title"]}"}}\n'
        for n, doc in enumerate(documents)
    )
    client.bulk(body=body, refresh=True)
    response = client.search(
        index="shop",
        body={"size": 50, "query": {"match": {"title": {"query": "tenis", "fuzziness": "AUTO"}}}},
    )
    scores = {hit["_id"]: hit["_score"] for hit in response["hits"]["hits"]}
    assert len(scores) == 31
    typo, correct = scores["30"], scores["0"]
    # Lucene blends document frequencies across expansions: the exact (typo) term keeps a similarity
    # of 1 against 0.8 for "tennis", instead of a rare term's far larger IDF.
    assert typo > correct > 0.7 * typo


def test_expansions_follow_new_terms_after_a_refresh(client):
    client.index(index="shop", id="1", body={"title": "lantern"}, refresh=True)
    fuzzy = {"query": {"match": {"title": {"query": "lanterm", "fuzziness": "AUTO"}}}}
    assert [hit["_id"] for hit in client.search(index="shop", body=fuzzy)["hits"]["hits"]] == ["1"]
    client.index(index="shop", id="2", body={"title": "lanterns"}, refresh=True)
    assert {hit["_id"] for hit in client.search(index="shop", body=fuzzy)["hits"]["hits"]} == {"1", "2"}
