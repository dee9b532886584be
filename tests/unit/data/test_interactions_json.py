"""The JSON-lines reader's fast path (msgspec into only the fields the accessors read) against the
shared record parser, on lines made to catch a field read wrong: every spelling the accessors know,
in any order, with escapes, unicode, padding, numbers for ids, nulls, empty values, duplicate and
escaped keys, and the review text around them; blocks it must refuse; its worker processes."""

from __future__ import annotations

import gzip
import json
import random

import numpy as np
import pytest
from allstore_common import records

from allstore.data import interactions
from allstore.data.interactions import read_interactions

IDS = [
    "A1",
    "ÄÖ-ü",
    "emoji \U0001f600",
    'quote " and \\ slash',
    "tab\there",
    "  padded ",
    "A1 ",
    "ünï",
    "\u2003em\u00a0",
]
DATES = ["06 14, 2018", "2018-06-14", "2018-06-14T10:00:00Z", "not a date", "", " 12 1, 2019 "]
TEXTS = ['He said "fine" \\ ok', "naïve café ☕", "line\nbreak", "</script>", '"asin": "X"', "{}"]


def _value(rng: random.Random, kind: str):
    """A value an accessor may meet: mostly the usual, sometimes an edge."""
    roll = rng.random()
    if kind == "id":
        if roll < 0.6:
            return rng.choice(IDS) + str(rng.randrange(20))
        return rng.choice([None, "", " ", 0, 7, -3, 2.0, 2.5, 10**20, 1e300, 1e-7])
    if kind == "time":
        if roll < 0.7:
            return rng.choice([1500000000, 1600000000000, 0, -5, 10**11, 10**11 - 1]) + rng.randrange(1000)
        if roll < 0.98:
            return rng.choice([None, 2**53, -(2**53)])
        # Beyond 2**53 the accessor reads through a float (...741999 becomes ...742000, so a second
        # more once in seconds): the fast path refuses such a block.
        return 2**53 + 1007
    if kind == "date":
        return rng.choice([*DATES, None])
    if kind == "value":
        return rng.choice([None, 0, 1, 4.5, -2.25, 5.0, 1e-300, 3e38, 3])
    return rng.choice(["click", " purchase ", "", None, 5, "vïew"])


def _kind(name: str) -> str:
    for fields, kind in (
        (records.TIMESTAMP_FIELDS, "time"),
        (records.REVIEW_TIME_FIELDS, "date"),
        (records.VALUE_FIELDS, "value"),
        (records.EVENT_TYPE_FIELDS, "type"),
    ):
        if name in fields:
            return kind
    return "id"


def _review(rng: random.Random) -> dict:
    """A record with one or more of each kind's fields (earlier ones often empty or null)."""
    record: dict = {}
    for fields, kind, chance in (
        (records.USER_ID_FIELDS, "id", 0.97),
        (records.ITEM_ID_FIELDS, "id", 0.97),
        (records.TIMESTAMP_FIELDS, "time", 0.85),
        (records.REVIEW_TIME_FIELDS, "date", 0.3),
        (records.VALUE_FIELDS, "value", 0.7),
        (records.EVENT_TYPE_FIELDS, "type", 0.3),
    ):
        if rng.random() < chance:
            # Mostly the first spelling (as UCSD files), sometimes others, sometimes several.
            names = (
                [fields[0]] if rng.random() < 0.7 else rng.sample(fields, rng.randint(1, min(3, len(fields))))
            )
            for name in names:
                record[name] = _value(rng, kind)
    for _ in range(rng.randrange(4)):  # fields no accessor reads, of any type
        record[rng.choice(["reviewText", "summary", "style", "verified", "USER_IDS", "asin2", "vote"])] = (
            rng.choice(
                [
                    rng.choice(TEXTS),
                    {"Size:": " L", "nested": [1, {"asin": "no"}]},
                    [1, 2.5, None],
                    True,
                    None,
                    "1e999",
                ]
            )
        )
    items = list(record.items())
    rng.shuffle(items)
    return dict(items)


def _line(rng: random.Random) -> str:
    record = _review(rng)
    line = json.dumps(record, ensure_ascii=rng.random() < 0.5)
    roll = rng.random()
    if roll < 0.03 and '"asin"' in line:  # a key written with an escape, the same key once decoded
        line = line.replace('"asin"', '"\\u0061sin"', 1)
    elif roll < 0.06 and record:  # a duplicate key: the last one counts
        name = next(iter(record))
        line = line[:-1] + f', "{name}": ' + json.dumps(_value(rng, _kind(name))) + "}"
    elif roll < 0.08:
        line = line.replace(": ", ":").replace(", ", ",")  # compact separators
    return line


def _read_both(path, monkeypatch):
    """(the reader's result, the record parser's), and how many lines the fast path read."""
    decoded_block, fast_lines = interactions._decoded_block, []

    def counted(*args):
        decoded = decoded_block(*args)
        fast_lines.append(0 if decoded is None else len(decoded[0].lines))
        return decoded

    monkeypatch.setattr(interactions, "_decoded_block", counted)
    fast = read_interactions(path, "ucsd")
    monkeypatch.setattr(interactions, "_decoded_block", lambda *args: None)
    slow = read_interactions(path, "ucsd")
    monkeypatch.setattr(interactions, "_decoded_block", decoded_block)
    return fast, slow, sum(fast_lines)


def _assert_same(fast, slow):
    for name in ("user_ids", "item_ids", "timestamps", "event_types", "distinct_users", "distinct_items"):
        got, expected = getattr(fast, name), getattr(slow, name)
        assert got.dtype == expected.dtype and got.tolist() == expected.tolist(), name
    for name in ("user_codes", "item_codes", "event_type_codes", "distinct_event_types"):
        assert getattr(fast, name).tolist() == getattr(slow, name).tolist(), name
    assert fast.event_values.dtype == slow.event_values.dtype
    assert np.array_equal(fast.event_values, slow.event_values, equal_nan=True)
    assert (fast.has_time, fast.records, fast.format) == (slow.has_time, slow.records, slow.format)
    assert (fast.bad_rows.count, fast.bad_rows.examples) == (slow.bad_rows.count, slow.bad_rows.examples)


@pytest.mark.parametrize("seed", range(6))
def test_fast_path_reads_every_field_as_the_record_parser_does(tmp_path, monkeypatch, seed):
    """Blocks of a few lines, so most blocks are clean and read by msgspec, and the rest hold the
    lines that make it refuse (numbers as text, a `true` id, huge integers)."""
    rng = random.Random(seed)
    lines = [_line(rng) for _ in range(1_500)]
    for row in rng.sample(range(len(lines)), 12):  # values msgspec must refuse: the record parser reads them
        lines[row] = json.dumps(
            rng.choice(
                [
                    {"reviewerID": "S", "asin": "T", "unixReviewTime": "1600000000"},
                    {"reviewerID": "S", "asin": "T", "unixReviewTime": 1.6e9},
                    {"reviewerID": True, "asin": "T", "unixReviewTime": 1},
                    {"reviewerID": "S", "asin": "T", "unixReviewTime": 10**19},  # beyond int64
                    {"reviewerID": "S", "asin": "T", "overall": "4"},
                    {"reviewerID": ["S"], "asin": "T", "unixReviewTime": 1},
                    {"reviewerID": "S", "asin": "T", "timestamp": 1, "score": float("nan")},
                ]
            )
        )
    path = tmp_path / "reviews.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(interactions, "JSON_BLOCK_BYTES", 1_000)
    fast, slow, fast_lines = _read_both(path, monkeypatch)
    _assert_same(fast, slow)
    assert fast_lines > len(lines) // 2  # the fast path was what read most of them
    assert len(fast) > 100 and fast.bad_rows.count > 10


def test_field_hints_grow_to_the_spellings_a_file_uses(tmp_path, monkeypatch):
    """UCSD lines, then Personalize-style ones, then lines whose first spelling is empty: each change
    needs the later spellings, which later blocks then decode from the start."""
    lines = [
        json.dumps({"reviewerID": f"A{k}", "asin": f"B{k % 9}", "unixReviewTime": k, "overall": 5})
        for k in range(200)
    ]
    lines += [
        json.dumps({"USER_ID": f"U{k}", "ITEM_ID": k, "TIMESTAMP": 1600000000000 + k, "EVENT_TYPE": "click"})
        for k in range(200)
    ]
    lines += [
        json.dumps(
            {
                "reviewerID": "",
                "userId": f"V{k}",
                "asin": None,
                "itemId": f"I{k}",
                "reviewTime": "06 14, 2018",
            }
        )
        for k in range(200)
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(interactions, "JSON_BLOCK_BYTES", 2_000)
    hints = []
    read_fields = interactions._read_fields

    def recorded(block, lines, given):
        hints.append((given.counts, given.absent))
        return read_fields(block, lines, given)

    monkeypatch.setattr(interactions, "_read_fields", recorded)
    fast, slow, fast_lines = _read_both(path, monkeypatch)
    _assert_same(fast, slow)
    assert fast_lines == 600
    assert fast.user_ids[[0, 200, 400]].tolist() == ["A0", "U0", "V0"]
    assert fast.item_ids[[200, 201, 400]].tolist() == ["0", "1", "I0"]
    assert fast.timestamps[[1, 201, 400]].tolist() == [1, 1600000000, 1528934400]  # milliseconds
    all_fields = (interactions._ALL_FIELDS.counts, interactions._ALL_FIELDS.absent)
    # First the first spelling of each kind, no event type; some blocks then needed every field.
    assert hints[0] == ((1, 1, 1, 1, 0), (False, False, False, False, True)) and all_fields in hints
    assert hints.count(all_fields) < len(hints) // 2  # and most did not


@pytest.mark.parametrize(
    "block",
    [
        b'{"asin": "x"}\n\n{"asin": "y"}\n',  # a blank line
        b'{"asin": "x"}\n  \n',  # whitespace only
        b' {"asin": "x"}\n',  # padded: the record parser reads it; msgspec is not asked
        b'{"asin": "x"} \n',
        b'{"asin": "x"}{"asin": "y"}\n{"asin":\n"z"}\n',  # two objects on one line, one over two
        b'{"asin": "x"}{"asin": "y"}\n',  # as many objects as lines, but not one a line:
        b'{"a": [{}\n,{}]}\n{"b": 1}{"c": 2}\n',  # every line ends in `}`, one starts otherwise
        b'{"asin": "x",\r"reviewerID": "y"}\n',  # a \r between two fields: two lines
        b'{"asin": "x"}\r{"asin": "y"}\n',  # a lone \r is a line break to the record parser
        b'{"asin": "x"}\r',
        b'{"asin": "x"}\n{"asin": NaN}\n',  # JSON's json.loads reads and msgspec does not
        b'{"asin": "\\ud800"}\n',  # a lone surrogate
        b'{"asin": "x"} 5\n',
        b"[1]\n",
        b"{'asin': 'x'}\n",  # UCSD 2014
        b'{"asin": "x", "reviewerID": "\xff"}\n',  # not UTF-8 where it is read
    ],
)
def test_blocks_the_fast_path_refuses(block):
    assert interactions._decoded_block(block, interactions._FieldHints()) is None


@pytest.mark.parametrize(
    ("block", "lines"),
    [
        (b'{"a": 1}', 1),
        (b'{"a": 1}\n', 1),
        (b'{"a": 1}\r\n{"b": "}\\n{"}\r\n', 2),  # \r\n endings; an escaped newline inside a string
        (b'{"a": 1}\n{}\n{"c": [{}]}', 3),
    ],
)
def test_blocks_of_one_object_a_line(block, lines):
    assert interactions._object_lines(block) == lines


def test_text_that_is_not_utf8_where_it_is_not_read_is_read_fast(tmp_path, monkeypatch):
    """A stray byte in a review's text: the record parser replaces it, msgspec skips it."""
    lines = [b'{"reviewerID": "A", "asin": "B", "unixReviewTime": 1, "reviewText": "caf\xe9"}'] * 3
    path = tmp_path / "reviews.json"
    path.write_bytes(b"\n".join(lines))
    fast, slow, fast_lines = _read_both(path, monkeypatch)
    _assert_same(fast, slow)
    assert fast_lines == 3 and len(fast) == 3


@pytest.mark.parametrize("gzipped", [False, True])
def test_worker_processes_give_what_one_process_gives(tmp_path, monkeypatch, gzipped):
    """A file read on every core (forced for a small file, in blocks of a few lines), each worker
    mapping its byte ranges; blocks the record parser reads among them (a bad line, a UCSD 2014
    line, a blank line); a BOM; no newline at the end. A gzipped file is read in this process."""
    rng = random.Random(11)
    lines = [_line(rng) for _ in range(600)]
    lines[3], lines[250], lines[251] = "not JSON", "{'reviewerID': 'P', 'asin': 'Q', 'unixReviewTime': 1}", ""
    content = ("\ufeff" + "\n".join(lines)).encode()
    path = tmp_path / ("reviews.json.gz" if gzipped else "reviews.json")
    path.write_bytes(gzip.compress(content) if gzipped else content)
    monkeypatch.setattr(interactions, "JSON_BLOCK_BYTES", 3_000)
    one = read_interactions(path)
    monkeypatch.setattr(interactions, "PARALLEL_FROM_BYTES", 0)
    forked = []
    pool = interactions.ProcessPoolExecutor

    def counted(workers, **kwargs):
        forked.append(workers)
        return pool(workers, **kwargs)

    monkeypatch.setattr(interactions, "ProcessPoolExecutor", counted)
    monkeypatch.setattr(interactions.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    every = read_interactions(path)
    assert forked == ([] if gzipped else [2])
    _assert_same(every, one)
    assert one.bad_rows.examples[0] == (4, "not JSON (Expecting value)")
    assert "P" in one.user_ids and len(one) > 300


def test_ids_are_stripped_when_the_first_block_went_through_the_record_parser(tmp_path, monkeypatch):
    """The record parser's blocks hold stripped ids, msgspec's are stripped once merged: a file
    whose first block is the record parser's still has " A " and "A" as one user."""
    lines = ["not JSON"] + [
        json.dumps({"reviewerID": " A " if k % 2 else "A", "asin": f"B{k}", "unixReviewTime": k})
        for k in range(40)
    ]
    path = tmp_path / "reviews.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(interactions, "JSON_BLOCK_BYTES", 300)
    fast, slow, fast_lines = _read_both(path, monkeypatch)
    _assert_same(fast, slow)
    assert fast_lines > 20 and fast.distinct_users.tolist() == ["A"]


def _read_count(path, results):
    results.put(len(read_interactions(path)))


def test_a_daemonic_process_reads_in_itself(tmp_path, monkeypatch):
    """A daemonic process may not have children: there the file is read without workers."""
    import multiprocessing

    path = tmp_path / "reviews.json"
    path.write_text(
        "\n".join(json.dumps({"reviewerID": f"A{k}", "asin": "B", "unixReviewTime": k}) for k in range(500)),
        encoding="utf-8",
    )
    monkeypatch.setattr(interactions, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(interactions, "JSON_BLOCK_BYTES", 2_000)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_read_count, args=(path, results), daemon=True)
    child.start()
    child.join(60)
    assert child.exitcode == 0 and results.get(timeout=5) == 500


def test_a_pipe_is_read_as_it_comes(tmp_path):
    """A named pipe (as `<(zcat reviews.json.gz)` gives): read once, from its first byte; nothing is
    lost to a look at its first bytes."""
    import os
    import threading

    path = tmp_path / "reviews"
    os.mkfifo(path)
    lines = [json.dumps({"reviewerID": f"A{k}", "asin": "B", "unixReviewTime": k}) for k in range(3_000)]

    def write():
        with open(path, "w", encoding="utf-8") as pipe:
            pipe.write("\n".join(lines))

    writer = threading.Thread(target=write)
    writer.start()
    got = read_interactions(path, "ucsd")
    writer.join(10)
    assert len(got) == 3_000 and not got.bad_rows and got.user_ids[0] == "A0"
