"""Interaction files to columnar arrays, in every supported format."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from allstore.data.interactions import detect_format, read_interactions


def test_personalize_csv_with_all_columns(tmp_path):
    path = tmp_path / "interactions.csv"
    path.write_text(
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n"
        "u1,i1,1600000000,purchase,2.5\n"
        "u2,i2,1600000100,click,\n"
        "u1,i3,1600000200,click,1\n",
        encoding="utf-8",
    )
    got = read_interactions(path)
    assert got.format == "csv" and got.has_time and len(got) == 3
    assert got.user_ids.tolist() == ["u1", "u2", "u1"]
    assert got.item_ids.tolist() == ["i1", "i2", "i3"]
    assert got.timestamps.dtype == np.int64 and got.timestamps.tolist() == [
        1600000000,
        1600000100,
        1600000200,
    ]
    assert got.event_types.tolist() == ["purchase", "click", "click"]
    assert got.event_values.dtype == np.float32
    assert got.event_values[0] == pytest.approx(2.5) and np.isnan(got.event_values[1])
    assert not got.bad_rows


def test_csv_rows_without_ids_or_time_are_bad_rows_with_their_lines(tmp_path):
    path = tmp_path / "interactions.csv.gz"
    rows = [
        "USER_ID,ITEM_ID,TIMESTAMP",
        "u1,i1,1600000000",
        ",i2,1600000001",
        "u3,,1600000002",
        "u4,i4,",
        "u5,i5,x",
    ]
    path.write_bytes(gzip.compress("\n".join(rows).encode()))
    got = read_interactions(path)
    assert got.user_ids.tolist() == ["u1"]
    assert sorted(got.bad_rows.examples) == [
        (3, "no user id"),
        (4, "no item id"),
        (5, "no timestamp"),
        (6, "no timestamp"),
    ]


def test_csv_dates_and_millisecond_timestamps_are_converted(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("user_id,item_id,timestamp\nu1,i1,2020-09-13\nu1,i2,1600000000500\n", encoding="utf-8")
    assert read_interactions(path).timestamps.tolist() == [1599955200, 1600000000]


def test_csv_without_time_orders_by_position_in_each_history(tmp_path):
    path = tmp_path / "ordered.csv"
    path.write_text("user_id,item_id,seq_index\nA,x,0\nB,y,0\nA,z,1\nA,x,2\n", encoding="utf-8")
    got = read_interactions(path)
    assert not got.has_time
    assert got.timestamps.tolist() == [0, 0, 1, 2]


def test_csv_without_a_user_column_is_refused_clearly(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("ITEM_ID,TITLE\ni1,Tent\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no user id column"):
        read_interactions(path, format="csv")


def test_ucsd_2018_and_2014_reviews(tmp_path):
    path = tmp_path / "Sports_5.json.gz"
    lines = [
        json.dumps({"reviewerID": "A1", "asin": "B1", "overall": 5.0, "unixReviewTime": 1529193600}),
        json.dumps({"reviewerID": "A2", "asin": "B2", "overall": 3.0, "reviewTime": "06 14, 2018"}),
        "{'reviewerID': 'A3', 'asin': 'B3', 'overall': 4.0, 'unixReviewTime': 1400000000, 'helpful': [1, 2]}",
        "not a review",
        json.dumps({"asin": "B4", "overall": 1.0, "unixReviewTime": 1}),
    ]
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    got = read_interactions(path)
    assert got.format == "ucsd" and got.has_time
    assert got.user_ids.tolist() == ["A1", "A2", "A3"]
    assert got.timestamps.tolist() == [1529193600, 1528934400, 1400000000]
    assert got.event_values.tolist() == [5.0, 3.0, 4.0]
    assert got.event_types.tolist() == ["", "", ""]
    assert [line for line, _ in got.bad_rows.examples] == [4, 5]


def write_p5(folder, sequences, datamaps=None):
    folder.mkdir()
    (folder / "sequential_data.txt").write_text("".join(line + "\n" for line in sequences), encoding="utf-8")
    if datamaps is not None:
        (folder / "datamaps.json").write_text(json.dumps(datamaps), encoding="utf-8")
    return folder


def test_p5_with_datamaps_gives_real_ids_in_order(tmp_path):
    folder = write_p5(
        tmp_path / "p5",
        ["1 1 2 3", "2 3 1", "", "3 9", "4"],
        {
            "id2user": {"1": "A1", "2": "A2", "3": "A3", "4": "A4"},
            "id2item": {"1": "B1", "2": "B2", "3": "B3"},
        },
    )
    got = read_interactions(folder)
    assert got.format == "p5" and not got.has_time
    assert got.user_ids.tolist() == ["A1", "A1", "A1", "A2", "A2"]
    assert got.item_ids.tolist() == ["B1", "B2", "B3", "B3", "B1"]
    assert got.timestamps.tolist() == [0, 1, 2, 0, 1]
    assert np.isnan(got.event_values).all() and got.event_types.tolist() == [""] * 5
    assert got.bad_rows.examples == [(4, "item 9 is not in datamaps.json"), (5, "a user with no items")]
    assert (
        read_interactions(folder / "sequential_data.txt", format="p5").item_ids.tolist()
        == got.item_ids.tolist()
    )


def test_p5_without_datamaps_keeps_the_numbers(tmp_path):
    got = read_interactions(write_p5(tmp_path / "p5", ["7 10 11"]))
    assert got.user_ids.tolist() == ["7", "7"] and got.item_ids.tolist() == ["10", "11"]


def test_format_detection_and_unknown_format(tmp_path):
    folder = write_p5(tmp_path / "p5", ["1 1"], {"id2user": {}, "id2item": {}})
    assert detect_format(folder) == "p5"
    assert detect_format(folder / "sequential_data.txt") == "p5"
    assert detect_format(tmp_path / "x.csv.gz") == "csv"
    assert detect_format(tmp_path / "Gift_Cards_5.json.gz") == "ucsd"
    with pytest.raises(ValueError, match="unknown interactions format"):
        read_interactions(folder, format="parquet")


def test_empty_files(tmp_path):
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert len(read_interactions(tmp_path / "empty.csv")) == 0
    (tmp_path / "empty.json").write_text("\n", encoding="utf-8")
    assert len(read_interactions(tmp_path / "empty.json")) == 0


def test_personalize_style_json_lines_keep_event_types(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"USER_ID": "u1", "ITEM_ID": "i1", "TIMESTAMP": 5, "EVENT_TYPE": "click"}\n'
        '{"USER_ID": "u1", "ITEM_ID": "i2", "TIMESTAMP": 6, "EVENT_TYPE": "purchase", "EVENT_VALUE": 9.5}\n',
        encoding="utf-8",
    )
    got = read_interactions(path)
    assert got.format == "ucsd" and got.event_types.tolist() == ["click", "purchase"]
    assert np.isnan(got.event_values[0]) and got.event_values[1] == pytest.approx(9.5)


def test_sniff_format_tells_the_formats_apart_by_their_first_line(tmp_path):
    from allstore.data.interactions import sniff_format

    (tmp_path / "a.csv").write_text("USER_ID,ITEM_ID,TIMESTAMP\nu,i,1\n")
    (tmp_path / "reviews.json").write_text('{"reviewerID": "u", "asin": "i", "unixReviewTime": 1}\n')
    (tmp_path / "sequential_data.txt").write_text("1 2 3 4\n")
    (tmp_path / "empty.txt").write_text("")
    assert sniff_format(tmp_path / "a.csv") == "csv"
    assert sniff_format(tmp_path / "reviews.json") == "ucsd"
    assert sniff_format(tmp_path) == "p5"  # a P5 folder: its sequences file
    assert sniff_format(tmp_path / "empty.txt") is None
    assert sniff_format(tmp_path / "missing.csv") is None


def test_csv_rows_with_the_wrong_width_are_bad_rows_with_their_lines_and_blank_lines_are_not(tmp_path):
    path = tmp_path / "events.tsv"
    path.write_bytes(
        b"\xef\xbb\xbfuser_id\titem_id\ttimestamp\n"
        b"u1\t i1 \t1600000000\n"
        b"\n"
        b"u2\ti2\n"
        b"u3\ti3\t3\t4\n"
        b"\t\n"
        b'"u 4"\ti4\t 1600000004 \n'
        b"\ti5\t5\n"
    )
    got = read_interactions(path)
    assert got.user_ids.tolist() == ["u1", "u 4"] and got.item_ids.tolist() == ["i1", "i4"]
    assert got.timestamps.tolist() == [1600000000, 1600000004]
    assert got.bad_rows.examples == [
        (4, "2 fields, header has 3"),
        (5, "4 fields, header has 3"),
        (8, "no user id"),
    ]


def test_csv_that_pyarrow_refuses_is_read_by_the_record_parser_with_the_same_results(tmp_path):
    rows = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_VALUE\nu1,i1,5,1.5\nu2,i2\nu3,,7,\nu4,i4,8,x\n"
    clean, broken = tmp_path / "clean.csv", tmp_path / "broken.csv"
    clean.write_text(rows, encoding="utf-8")
    broken.write_bytes(rows.encode() + b"u\xff,i9,9,2\n")  # not UTF-8: pyarrow refuses the file
    fast, fallback = read_interactions(clean), read_interactions(broken)
    assert fallback.user_ids.tolist() == [*fast.user_ids.tolist(), "u\ufffd"]
    assert fallback.timestamps.tolist() == [*fast.timestamps.tolist(), 9]
    assert fallback.event_values.tolist()[:-1] == pytest.approx(fast.event_values.tolist(), nan_ok=True)
    assert (
        fallback.bad_rows.examples
        == fast.bad_rows.examples
        == [
            (3, "2 fields, header has 4"),
            (4, "no item id"),
        ]
    )


def test_ucsd_blocks_give_the_same_rows_and_lines_through_msgspec_as_through_the_record_parser(
    tmp_path, monkeypatch
):

    from allstore.data import interactions

    lines = [
        json.dumps(
            {
                "reviewerID": f" A{k % 7} ",
                "asin": f"B{k % 13}",
                "overall": k % 5 + 0.5,
                "unixReviewTime": 1500000000 + k,
                "style": {"Size:": k} if k % 2 else "x",  # a field of changing type, not read
            }
        )
        for k in range(300)
    ]
    lines[50] = "not a review"
    lines[120] = ""
    lines[130] = "{'reviewerID': 'P', 'asin': 'Q', 'unixReviewTime': 1400000000}"
    lines[140] = json.dumps({"reviewerID": "R", "asin": "S", "reviewTime": "06 14, 2018"})
    lines[150] = json.dumps(
        {"USER_ID": "U", "ITEM_ID": "I", "TIMESTAMP": 1600000000500, "EVENT_TYPE": "click"}
    )
    lines[160] = json.dumps({"reviewerID": "", "USER_ID": "U2", "asin": "T", "unixReviewTime": 5})
    lines[170] = json.dumps({"asin": "T", "unixReviewTime": 5, "EVENT_VALUE": 2})
    lines[250] = json.dumps({"reviewerID": "V", "asin": "W", "unixReviewTime": "not a time"})
    path = tmp_path / "reviews.json.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf" + "\n".join(lines).encode()))
    monkeypatch.setattr(interactions, "JSON_BLOCK_BYTES", 2_000)  # about 15 lines a block
    decoded_block, parsed = interactions._decoded_block, []

    def counted(*args, **kwargs):
        decoded = decoded_block(*args, **kwargs)
        parsed.append(0 if decoded is None else len(decoded[0].lines))
        return decoded

    monkeypatch.setattr(interactions, "_decoded_block", counted)
    fast = read_interactions(path)
    monkeypatch.setattr(interactions, "_decoded_block", _refuse_json)
    slow = read_interactions(path)
    assert sum(parsed) > 200  # most blocks went through msgspec
    for name in ("user_ids", "item_ids", "timestamps", "event_types"):
        assert getattr(fast, name).tolist() == getattr(slow, name).tolist(), name
    assert np.array_equal(fast.event_values, slow.event_values, equal_nan=True)
    assert (
        fast.bad_rows.examples
        == slow.bad_rows.examples
        == [
            (51, "not JSON (Expecting value)"),
            (171, "no user id"),
            (251, "no timestamp"),
        ]
    )
    assert len(fast) == 300 - 4
    assert fast.user_ids[:2].tolist() == ["A0", "A1"] and "P" in fast.user_ids and "U2" in fast.user_ids
    assert fast.timestamps[fast.user_ids == "U"].tolist() == [1600000000]
    assert fast.timestamps[fast.user_ids == "R"].tolist() == [1528934400]


def _csv_rows(count: int, bad_widths: bool) -> str:
    rows = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE"]
    for k in range(count):
        user = f"u{k % 37}" if k % 11 else f" u{k % 37} "  # the same id once stripped
        rows.append(
            f"{user},i{k * 7 % 101},{1600000000 + k},{['click', 'view', ' buy'][k % 3]},{k % 4 or ''}"
        )
    rows[40] = ""
    rows[41] = ",,,,"
    rows[300] = ",i1,1600000300,click,1"
    rows[301] = "u1,,1600000301,click,1"
    rows[302] = "u1,i1,,click,1"
    rows[303] = "u1,i1,2020-09-13,click,1"
    rows[304] = "u1,i1,1600000304000,click,x"
    if bad_widths:
        rows[500] = "u1,i1"
        rows[900] = "u1,i1,1600000900,click,1,extra"
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("bad_widths", [False, True])
def test_csv_read_in_many_blocks_on_every_core_matches_the_record_parser(tmp_path, monkeypatch, bad_widths):
    """Blocks of 1 KiB (each with its own dictionaries, merged in the order ids first appear), read
    on every core; a file with rows of the wrong width is read again on one thread, which numbers
    them. Every column, dtype, bad row and the record count are the record parser's."""
    from allstore.data import interactions

    path = tmp_path / "events.csv"
    path.write_text(_csv_rows(2_000, bad_widths), encoding="utf-8")
    monkeypatch.setattr(interactions, "CSV_BLOCK_BYTES", 1 << 10)
    table_reads, arrow_csv_table = [], interactions._arrow_csv_table

    def counted(*args):
        table_reads.append(args[-1] is None)  # True: the read on every core
        return arrow_csv_table(*args)

    monkeypatch.setattr(interactions, "_arrow_csv_table", counted)
    fast = read_interactions(path)
    assert table_reads == ([True, False] if bad_widths else [True])

    def refuse(*args):
        raise interactions.pa.ArrowInvalid("refused")

    monkeypatch.setattr(interactions, "_arrow_csv_cells", refuse)
    slow = read_interactions(path)
    for name in ("user_ids", "item_ids", "timestamps", "event_types", "event_values"):
        got, expected = getattr(fast, name), getattr(slow, name)
        assert got.dtype.kind == expected.dtype.kind, name
        assert np.array_equal(got, expected, equal_nan=got.dtype.kind == "f"), name
    for name in ("distinct_users", "distinct_items", "distinct_event_types"):
        assert getattr(fast, name).tolist() == getattr(slow, name).tolist(), name
    # The blank line is no record, nor is a row of the wrong width.
    assert fast.records == slow.records == 2_000 - 1 - (2 if bad_widths else 0)
    assert fast.bad_rows.examples == slow.bad_rows.examples
    assert {line for line, _ in fast.bad_rows.examples} == {42, 301, 302, 303} | (
        {501, 901} if bad_widths else set()
    )
    assert len(fast) == fast.records - 4
    # Lines 304 and 305, the 297th and 298th rows kept: a date, milliseconds.
    assert fast.timestamps[297:299].tolist() == [1599955200, 1600000304]


def test_ids_are_codes_into_the_distinct_values_in_the_order_they_first_appear(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n"
        "gone,,1,view\n"  # rejected: its user and its event type appear nowhere else
        "b,x,2,click\n"
        " a ,y,3,click\n"
        "a,x,4,buy\n"
        "b,z,5,click\n",
        encoding="utf-8",
    )
    got = read_interactions(path)
    assert got.bad_rows.examples == [(2, "no item id")]
    assert got.distinct_users.tolist() == ["b", "a"]  # " a " and "a" are one user
    assert got.distinct_items.tolist() == ["x", "y", "z"]
    assert got.distinct_event_types.tolist() == ["click", "buy"]
    assert got.user_codes.dtype == got.item_codes.dtype == got.event_type_codes.dtype == np.int32
    assert got.user_codes.tolist() == [0, 1, 1, 0] and got.item_codes.tolist() == [0, 1, 0, 2]
    assert got.user_ids.tolist() == ["b", "a", "a", "b"] and got.user_ids.dtype.kind == "U"
    assert got.event_types.tolist() == ["click", "click", "buy", "click"]
    again = interactions_from_strings(got)
    assert again.distinct_users.tolist() == ["b", "a"] and again.user_codes.tolist() == [0, 1, 1, 0]


def interactions_from_strings(got):
    from allstore.data.interactions import Interactions

    return Interactions.from_strings(
        got.user_ids, got.item_ids, got.timestamps, got.event_types, got.event_values, "csv", True
    )


def test_json_blocks_merge_their_ids_in_the_order_they_first_appear(tmp_path, monkeypatch):
    """Blocks smaller than a line (each read to the end of its last line), ids that differ only
    in surrounding whitespace across blocks, a BOM and no newline at the end: the same rows, lines
    and distinct values as the record parser gives."""
    from allstore.data import interactions

    users = ["b", "a", " a ", "c", "b", "", "d"]
    lines = [
        json.dumps(
            {
                "reviewerID": user,
                "asin": f"B{k % 3}",
                "unixReviewTime": 1500000000 + k,
                "reviewText": "x" * k * 20,
            }
        )
        for k, user in enumerate(users)
    ]
    path = tmp_path / "reviews.json"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())  # no newline at the end
    monkeypatch.setattr(interactions, "JSON_BLOCK_BYTES", 64)
    fast = read_interactions(path)
    monkeypatch.setattr(interactions, "_decoded_block", _refuse_json)
    slow = read_interactions(path)
    assert fast.distinct_users.tolist() == slow.distinct_users.tolist() == ["b", "a", "c", "d"]
    assert fast.user_codes.tolist() == slow.user_codes.tolist() == [0, 1, 1, 2, 0, 3]
    assert fast.distinct_items.tolist() == ["B0", "B1", "B2"]
    assert fast.timestamps.tolist() == slow.timestamps.tolist()
    assert fast.bad_rows.examples == slow.bad_rows.examples == [(6, "no user id")]
    assert fast.records == slow.records == 7


def _refuse_json(*args, **kwargs):
    return None  # as for a block msgspec refuses: the record parser reads it
