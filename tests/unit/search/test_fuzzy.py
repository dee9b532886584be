"""Fuzzy expansion: the vectorised edit distance, and Lucene-like scoring of expanded terms."""

from __future__ import annotations

import random

import pytest

from allstore.search.fuzzy import _make_bucket, edit_distances


def textbook_distance(a: str, b: str, transpositions: bool) -> int:
    """Levenshtein distance; with transpositions, optimal string alignment distance."""
    table = [[max(i, j) if not i or not j else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(
                table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if transpositions and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[-1][-1]


@pytest.mark.parametrize("transpositions", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_bit_parallel_distance_equals_the_textbook_one(seed, transpositions):
    rng = random.Random(seed)
    letters = "abcdeé"
    for _ in range(60):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(1, 14)))
        terms = ["".join(rng.choice(letters[:5]) for _ in range(rng.randint(1, 16))) for _ in range(30)]
        bucket = _make_bucket([(term, 1) for term in terms])
        distances = edit_distances(word, bucket.alphabet, bucket.letters, bucket.lengths, transpositions)
        assert [int(d) for d in distances] == [
            textbook_distance(word, t, transpositions) for t in bucket.terms
        ]


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
