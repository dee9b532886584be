"""The shared record parser: every raw format the project reads, and the field accessors."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pytest
from allstore_common import records
from allstore_common.records import BadRows, iter_records

REVIEWS_2018 = [
    {
        "overall": 5.0,
        "reviewTime": "06 17, 2018",
        "reviewerID": "U1",
        "asin": "B1",
        "unixReviewTime": 1529193600,
    },
    {"overall": 3.0, "reviewTime": "06 14, 2018", "reviewerID": "U2", "asin": "B2"},
]


def write_lines(path, lines, *, gzipped=False, bom=False):
    data = ("\ufeff" if bom else "") + "\n".join(lines) + "\n"
    raw = data.encode("utf-8")
    path.write_bytes(gzip.compress(raw) if gzipped else raw)
    return path


class Unpeekable:
    """Like botocore's StreamingBody: only `read(n)`."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def test_json_lines_plain_and_gzip_give_the_same_records(tmp_path):
    lines = [json.dumps(review) for review in REVIEWS_2018]
    plain = write_lines(tmp_path / "reviews.json", lines)
    zipped = write_lines(tmp_path / "reviews.json.gz", lines, gzipped=True)
    assert list(iter_records(plain)) == REVIEWS_2018
    assert list(iter_records(zipped)) == REVIEWS_2018


def test_gzip_is_recognised_by_magic_bytes_whatever_the_name(tmp_path):
    path = write_lines(tmp_path / "reviews.json", [json.dumps(r) for r in REVIEWS_2018], gzipped=True)
    assert list(iter_records(path)) == REVIEWS_2018


def test_stream_without_peek_or_name_is_sniffed(tmp_path):
    data = gzip.compress("\n".join(json.dumps(r) for r in REVIEWS_2018).encode())
    assert list(iter_records(Unpeekable(data))) == REVIEWS_2018
    assert list(iter_records(Unpeekable(b"ITEM_ID,TITLE\nB1,Tent\n"))) == [{"ITEM_ID": "B1", "TITLE": "Tent"}]


def test_name_drives_the_format_of_a_stream():
    body = Unpeekable(b'"asin","title"\n"B1","{not json}"\n')
    assert list(iter_records(body, name="s3://bucket/items.csv")) == [{"asin": "B1", "title": "{not json}"}]


def test_byte_order_mark_is_dropped_in_csv_and_json(tmp_path):
    csv_path = write_lines(tmp_path / "allitem.csv", ["asin,title,imUrl", "B1,Tent,http://x/a.jpg"], bom=True)
    assert list(iter_records(csv_path)) == [{"asin": "B1", "title": "Tent", "imUrl": "http://x/a.jpg"}]
    json_path = write_lines(tmp_path / "items.json.gz", ['{"asin": "B1"}'], gzipped=True, bom=True)
    assert list(iter_records(json_path)) == [{"asin": "B1"}]


def test_ucsd_2014_python_literal_lines(tmp_path):
    lines = [
        "{'asin': '0000031852', 'title': 'Girls Ballet Tutu', 'categories': "
        "[['Sports & Outdoors', 'Other Sports', 'Dance'], ['Clothing']], 'price': 3.17, "
        "'salesRank': {'Toys & Games': 211836}}",
        "{'reviewerID': 'A1', 'asin': '0000031852', 'overall': 5.0, 'helpful': [0, 0], "
        "'reviewText': \"It's ok\"}",
    ]
    path = write_lines(tmp_path / "meta_Sports_and_Outdoors.json.gz", lines, gzipped=True)
    product, review = list(iter_records(path))
    assert records.category_path(product) == ["Sports & Outdoors", "Other Sports", "Dance"]
    assert records.price(product) == pytest.approx(3.17)
    assert review["reviewText"] == "It's ok"
    assert records.user_id(review) == "A1"


def test_malformed_lines_are_counted_with_line_numbers_and_skipped(tmp_path):
    lines = ['{"asin": "B1"}', "", '{"asin": "B2",', "[1, 2]", "garbage", '{"asin": "B3"}']
    bad = BadRows()
    got = list(iter_records(write_lines(tmp_path / "x.jsonl", lines), bad_rows=bad))
    assert [r["asin"] for r in got] == ["B1", "B3"]
    assert bad.count == 3
    assert [line for line, _ in bad.examples] == [3, 4, 5]
    assert "expected an object" in bad.examples[1][1]
    assert bad.summary().startswith("3 bad rows (line 3: not JSON")


def test_bad_rows_keeps_only_the_first_examples():
    bad = BadRows(keep=2)
    for line in range(1, 6):
        bad.add(line, "broken")
    assert bad.count == 5 and bad.examples == [(1, "broken"), (2, "broken")]
    assert bad.summary().endswith(", ...)")
    assert not BadRows() and BadRows().summary() == "no bad rows"


def test_csv_rows_with_wrong_field_counts_are_bad_rows(tmp_path):
    lines = [
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE",
        "u1,i1,1600000000,purchase,1.0",
        "u2,i2,1600000001",
        "",
        '"u3","i3 with, comma",1600000002,click,',
    ]
    bad = BadRows()
    got = list(iter_records(write_lines(tmp_path / "interactions.csv.gz", lines, gzipped=True), bad_rows=bad))
    assert [records.item_id(r) for r in got] == ["i1", "i3 with, comma"]
    assert bad.examples == [(3, "3 fields, header has 5")]
    assert records.value(got[1]) is None and records.event_type(got[1]) == "click"


def test_tab_separated_header_is_detected(tmp_path):
    path = write_lines(tmp_path / "events.tsv", ["USER_ID\tITEM_ID", "u1\ti1"])
    assert list(iter_records(path)) == [{"USER_ID": "u1", "ITEM_ID": "i1"}]


def test_explicit_format_overrides_the_name_and_unknown_formats_are_refused(tmp_path):
    path = write_lines(tmp_path / "data.bin", ['{"asin": "B1"}'])
    assert list(iter_records(path, format="json")) == [{"asin": "B1"}]
    with pytest.raises(ValueError, match="unknown record format"):
        list(iter_records(path, format="parquet"))


def test_invalid_utf8_does_not_stop_the_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes(b'{"title": "caf\xe9"}\n{"title": "ok"}\n')
    assert [r["title"] for r in iter_records(path)] == ["caf\ufffd", "ok"]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"asin": "B1", "id": "x"}, "B1"),
        ({"ITEM_ID": " B2 "}, "B2"),
        ({"item_id": 42}, "42"),
        ({"itemID": "B3"}, "B3"),
        ({"ID": "B4"}, "B4"),
        ({"asin": "", "ITEM_ID": "B5"}, "B5"),
        ({"title": "no id"}, None),
    ],
)
def test_item_id(record, expected):
    assert records.item_id(record) == expected


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"reviewerID": "A1"}, "A1"),
        ({"USER_ID": "u"}, "u"),
        ({"userID": "v"}, "v"),
        ({"user_id": 7}, "7"),
        ({}, None),
    ],
)
def test_user_id(record, expected):
    assert records.user_id(record) == expected


def test_title_decodes_entities_and_accepts_the_original_csv_column():
    assert records.title({"title": "  Tent &amp; Poles\n 2-person "}) == "Tent & Poles 2-person"
    assert records.title({"TITLE": "Bike light"}) == "Bike light"
    assert records.title({"title": "   "}) is None
    assert records.title({}) is None


def test_image_url_takes_the_first_and_the_full_size_image():
    thumb = "https://images-na.ssl-images-amazon.com/images/I/317ZQtCvFzL._SX38_SY50_CR,0,0,38,50_.jpg"
    assert records.image_url({"image": ["", thumb, "other"]}) == (
        "https://images-na.ssl-images-amazon.com/images/I/317ZQtCvFzL.jpg"
    )
    assert records.image_url({"imUrl": "http://ecx.images-amazon.com/images/I/51Rt._SY300_.jpg"}) == (
        "http://ecx.images-amazon.com/images/I/51Rt._SY300_.jpg"
    )
    assert records.image_url({"IMGURL": "/images/tents-1.svg"}) == "/images/tents-1.svg"
    assert records.image_url({"image": []}) is None


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"unixReviewTime": 1529193600, "reviewTime": "01 01, 2000"}, 1529193600),
        ({"TIMESTAMP": "1529193600"}, 1529193600),
        ({"timestamp": 1529193600123}, 1529193600),
        ({"reviewTime": "06 17, 2018"}, 1529193600),
        ({"TIMESTAMP": "2018-06-17"}, 1529193600),
        ({"TIMESTAMP": "2018-06-17T00:00:10Z"}, 1529193610),
        ({"TIMESTAMP": "soon"}, None),
        ({"TIMESTAMP": None}, None),
        ({}, None),
    ],
)
def test_timestamp(record, expected):
    assert records.timestamp(record) == expected


def test_value_is_a_rating_or_event_value_never_a_price():
    assert records.value({"overall": 4.0}) == 4.0
    assert records.value({"EVENT_VALUE": "2.5"}) == 2.5
    assert records.value({"rating": "n/a"}) is None
    assert records.value({"price": "$12.99"}) is None


def test_category_path_and_leaf_from_every_source():
    assert records.category_path({"category": ["Gift Cards", "Gift Cards", "Restaurants"]}) == [
        "Gift Cards",
        "Restaurants",
    ]
    assert records.category_path({"categories": [[], ["Sports &amp; Outdoors", "Cycling"]]}) == [
        "Sports & Outdoors",
        "Cycling",
    ]
    assert records.category_path({"GENRE": "Outdoors|Camping|Tents"}) == ["Outdoors", "Camping", "Tents"]
    assert records.category({"CATEGORY": "Tents"}) == "Tents"
    assert records.category({"category": []}) is None


def test_department_from_main_cat_else_a_paths_first_level():
    assert (
        records.department({"main_cat": "Sports &amp; Outdoors", "category": ["Cycling"]})
        == "Sports & Outdoors"
    )
    logo = '<img src="https://images.example/f.png" class="nav-categ-image" alt="AMAZON FASHION"/>'
    assert records.department({"main_cat": logo}) == "AMAZON FASHION"  # UCSD 2018's store logos
    assert records.department({"main_cat": "", "categories": [["Sports & Outdoors", "Cycling"]]}) == (
        "Sports & Outdoors"
    )
    assert records.department({"GENRE": "Outdoors|Camping|Tents"}) == "Outdoors"
    assert records.department({"category": ["Gift Cards"]}) is None  # a lone category is no department
    assert records.department({"main_cat": "<img src='x.png'/>", "category": ["Gift Cards"]}) is None


def test_catalogue_fields():
    product = {
        "brand": "Trail &amp; Co",
        "price": "$1,299.00",
        "description": ["First  paragraph.", ""],
        "feature": ["Waterproof", "Light"],
    }
    assert records.brand(product) == "Trail & Co"
    assert records.price(product) == 1299.0
    assert records.price({"price": "$3.99 - $9.99"}) == 3.99
    assert records.price({"price": ""}) is None
    assert records.description(product) == ["First paragraph."]
    assert records.description({"description": "One string"}) == ["One string"]
    assert records.features(product) == ["Waterproof", "Light"]


def test_numbered_records_carry_their_physical_line(tmp_path):
    path = write_lines(tmp_path / "x.csv", ["ITEM_ID,TITLE", "B1,Tent", "", '"B2","Two', 'lines"', "B3,Pole"])
    numbered = list(records.iter_numbered_records(path))
    assert [(line, record["ITEM_ID"]) for line, record in numbered] == [(2, "B1"), (5, "B2"), (6, "B3")]
    assert numbered[1][1]["TITLE"] == "Two\nlines"


def test_a_row_the_csv_module_rejects_is_a_bad_row_and_reading_goes_on(tmp_path):
    huge = "x" * (csv.field_size_limit() + 10)
    path = write_lines(tmp_path / "items.csv", ["ITEM_ID,TITLE", f"B1,{huge}", "B2,Tent"])
    bad = BadRows()
    assert [r["ITEM_ID"] for r in iter_records(path, bad_rows=bad)] == ["B2"]
    assert bad.count == 1 and bad.examples[0][0] == 2 and "unreadable CSV" in bad.examples[0][1]


def test_column_picks_the_first_known_spelling_in_a_header():
    assert records.column(["user_id", "USER_ID", "x"], records.USER_ID_FIELDS) == "USER_ID"
    assert records.column(["x"], records.USER_ID_FIELDS) is None


def test_original_demo_item_csv_columns(tmp_path):
    path = write_lines(
        tmp_path / "items_w_Metadata.csv.gz",
        ["ITEM_ID,TITLE,IMGURL,GENRE", 'B1,"Dome Tent, 2-Person",http://x/t.jpg,Outdoors|Camping|Tents'],
        gzipped=True,
        bom=True,
    )
    (item,) = iter_records(path)
    assert records.item_id(item) == "B1" and records.title(item) == "Dome Tent, 2-Person"
    assert records.image_url(item) == "http://x/t.jpg" and records.category(item) == "Tents"
