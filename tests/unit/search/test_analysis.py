"""The `standard` tokenizer's word boundaries (Unicode UAX #29), as OpenSearch's standard analyzer
splits these texts (each expectation is what the real node's `_analyze` answers; the differential
test tests/opensearch/test_differential.py asks the node itself)."""

from __future__ import annotations

import pytest

from allstore.search.analysis import analyze


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Bluetooth 5.3 with 1,000.5 lumens", ["bluetooth", "5.3", "with", "1,000.5", "lumens"]),
        ("don't U.S. Army O'Neil's", ["don't", "u.s", "army", "o'neil's"]),
        ("3.x a.b.c 1.2.3 x...y", ["3", "x", "a.b.c", "1.2.3", "x", "y"]),
        ("e-mail foo_bar R2-D2 5.3kg", ["e", "mail", "foo_bar", "r2", "d2", "5.3kg"]),
        ("12:30 a:b end. Start", ["12", "30", "a:b", "end", "start"]),
        ("中文字 ひらがな カタカナ", ["中", "文", "字", "ひ", "ら", "が", "な", "カタカナ"]),
        ("Ⅻ ٣٫٥ emoji 😀 ok über", ["ⅻ", "٣٫٥", "emoji", "😀", "ok", "über"]),
    ],
)
def test_words_split_as_the_standard_tokenizer_splits_them(text: str, tokens: list[str]) -> None:
    assert analyze(text) == tokens


def test_a_search_for_a_digit_does_not_find_a_decimal(client) -> None:
    client.index(index="p", id="1", body={"f": "Bluetooth 5.3"}, refresh=True)
    client.index(index="p", id="2", body={"f": "Ages 3 and up"}, refresh=True)
    hits = client.search(index="p", body={"query": {"match": {"f": "3"}}})["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["2"]
    hits = client.search(index="p", body={"query": {"match_phrase": {"f": "bluetooth 5.3"}}})["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["1"]
