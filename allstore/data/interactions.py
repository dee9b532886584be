"""Interaction files as columnar numpy arrays: what training, evaluation and inspection consume.

Three formats, all read through the shared record parser where they are record files:
- "csv": Personalize-style `USER_ID,ITEM_ID,TIMESTAMP[,EVENT_TYPE][,EVENT_VALUE]` (any column
  spelling the accessors know, e.g. the `user_id,item_id,seq_index` export of the P5 data);
- "ucsd": UCSD Amazon review JSON lines, 2014 or 2018 (`reviewerID`, `asin`, `overall`,
  `unixReviewTime`/`reviewTime`), optionally gzipped; any JSON lines the accessors understand
  (e.g. Personalize-style `USER_ID`, `ITEM_ID`, `TIMESTAMP`, `EVENT_TYPE` objects) read the same way;
- "p5": the P5 benchmark's `sequential_data.txt` (`user item item ...` per line, oldest first), with
  `datamaps.json` beside it to turn the integer ids back into reviewer ids and ASINs.

Files without timestamps (P5, the ordered CSV) get each event's position in its user's history as
its timestamp, so "sort by time" still gives every user's true order.
"""

from __future__ import annotations

import collections
import csv
import functools
import gzip
import io
import itertools
import json
import mmap
import multiprocessing
import operator
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from allstore_common import records
from allstore_common.records import BadRows
from isal import igzip_threaded

FORMATS = ("csv", "ucsd", "p5")
P5_SEQUENCES = "sequential_data.txt"
P5_DATAMAPS = "datamaps.json"


@dataclass(frozen=True)
class Interactions:
    """One row per event, as parallel arrays; `bad_rows` says what was skipped and where.

    The id columns are held encoded: each row's code into the distinct values, in the order they
    first appear (what the readers get from arrow's hash encoding without building a string per
    row). `user_ids`, `item_ids` and `event_types` are the str arrays, built on first use, so
    `allstore data inspect`, which counts on the codes, never holds 25M-row string arrays."""

    user_codes: np.ndarray  # int32, index into distinct_users
    distinct_users: np.ndarray  # str
    item_codes: np.ndarray  # int32, index into distinct_items
    distinct_items: np.ndarray  # str
    timestamps: np.ndarray  # int64 unix seconds (or sequence positions when the file has no time)
    event_type_codes: np.ndarray  # int32, index into distinct_event_types
    distinct_event_types: np.ndarray  # str, "" when absent
    event_values: np.ndarray  # float32, NaN when absent
    format: str
    has_time: bool  # False when `timestamps` are sequence positions
    bad_rows: BadRows = field(default_factory=BadRows)
    # The rows the record parser would yield for the file (before those without a user, item or
    # timestamp were rejected): `allstore data inspect`'s record count. None for P5 folders.
    records: int | None = None

    @classmethod
    def from_strings(
        cls,
        user_ids: Sequence[str] | np.ndarray,
        item_ids: Sequence[str] | np.ndarray,
        timestamps: np.ndarray,
        event_types: Sequence[str] | np.ndarray,
        event_values: np.ndarray,
        format: str,
        has_time: bool,
        bad_rows: BadRows | None = None,
        records: int | None = None,
    ) -> Interactions:
        """Interactions from per-row strings (encoded here)."""
        users, items, types = (
            _Strings.from_arrow(pa.array(np.asarray(values, dtype=str), type=pa.large_string())).finish()
            for values in (user_ids, item_ids, event_types)
        )
        return cls(
            users.codes,
            users.distinct,
            items.codes,
            items.distinct,
            np.asarray(timestamps, dtype=np.int64),
            types.codes,
            types.distinct,
            np.asarray(event_values, dtype=np.float32),
            format,
            has_time,
            bad_rows if bad_rows is not None else BadRows(),
            records,
        )

    @cached_property
    def user_ids(self) -> np.ndarray:
        return _decode(self.distinct_users, self.user_codes)

    @cached_property
    def item_ids(self) -> np.ndarray:
        return _decode(self.distinct_items, self.item_codes)

    @cached_property
    def event_types(self) -> np.ndarray:
        return _decode(self.distinct_event_types, self.event_type_codes)

    def __len__(self) -> int:
        return len(self.user_codes)


def _decode(distinct: np.ndarray, codes: np.ndarray) -> np.ndarray:
    return distinct[codes] if len(distinct) else np.full(len(codes), "", dtype=str)


def detect_format(path: str | os.PathLike) -> str:
    """The format of `path` from its name and neighbours (a P5 folder or file, a CSV, else UCSD)."""
    path = Path(path)
    if (
        path.is_dir()
        or path.name == P5_SEQUENCES
        or (path.suffix == ".txt" and _datamaps_path(path).exists())
    ):
        return "p5"
    name = path.name.lower().removesuffix(".gz")
    return "csv" if name.endswith((".csv", ".tsv")) else "ucsd"


def sniff_format(path: str | os.PathLike) -> str | None:
    """The format the first line of `path` (or of a P5 folder's sequences) looks like: a JSON record
    is UCSD, a line with commas or tabs is CSV, space-separated tokens are P5; None if unreadable.
    For telling a user that the --format they gave does not fit the file."""
    path = Path(path)
    if path.is_dir():
        path = path / P5_SEQUENCES
    try:
        with gzip.open(path, "rt") if path.suffix == ".gz" else path.open() as file:
            first = file.readline().strip()
    except (OSError, UnicodeDecodeError, EOFError):
        return None
    if first.startswith("{"):
        return "ucsd"
    if "," in first or "\t" in first:
        return "csv"
    return "p5" if first else None


def read_interactions(path: str | os.PathLike, format: str | None = None) -> Interactions:
    """Read an interaction file (format detected from the path when not given)."""
    format = format or detect_format(path)
    if format == "p5":
        return _read_p5(Path(path))
    if format == "csv":
        return _read_csv(Path(path))
    if format == "ucsd":
        return _read_ucsd(Path(path))
    raise ValueError(f"unknown interactions format {format!r}: expected one of {', '.join(FORMATS)}")


def _read_ucsd(path: Path) -> Interactions:
    """Review records, field by field as the accessors read them (2014 and 2018 spell fields
    differently), a block of lines at a time. msgspec decodes a block whose lines are each one JSON
    object into only the fields the accessors look at (skipping the review text and the rest
    without building them), and the accessors' rules are applied to those columns in bulk; any
    other block (a bad or blank line, a Python-literal UCSD 2014 line, a timestamp as text) goes
    through the shared record parser, so a few bad rows in a big file cost one slow block each. A
    big uncompressed file's blocks are parsed on every core, in worker processes."""
    bad_rows = BadRows()
    parts, first_line = [], 1
    for columns, block_bad_rows, newlines in _parsed_blocks(path):
        columns.lines += first_line - 1
        for line, reason in block_bad_rows.examples:
            bad_rows.add(line + first_line - 1, reason)
        bad_rows.count += block_bad_rows.count - len(block_bad_rows.examples)
        parts.append(columns)
        first_line += newlines
    return _Columns.concatenate(parts).to_interactions("ucsd", bad_rows)


JSON_BLOCK_BYTES = 1 << 25
# Uncompressed files at least this big are parsed on every core, a block a worker (forking one
# costs a few milliseconds; a smaller file is read in well under a second anyway).
PARALLEL_FROM_BYTES = 1 << 27


def _parsed_blocks(path: Path) -> Iterator[tuple[_Columns, BadRows, int]]:
    """Each block's columns and bad rows (numbered from the block's first line) and its newlines,
    in file order: for a big uncompressed file on a machine with more than one core, in worker
    processes forked from this one, each mapping its own byte range, no more than two blocks a
    worker ahead; else in this process. A gzipped file is read here, ISA-L inflating it in a
    thread beside the parsing: sending its blocks to workers cost more than it saved (3M lines:
    10.0 CPU s, 17.1 s wall, against 6.4 and 12.5 here)."""
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    hints = _FieldHints()
    if (
        workers < 2
        or not path.is_file()
        or path.stat().st_size < PARALLEL_FROM_BYTES
        or _is_gzipped(path)
        or not _can_fork()
    ):
        for task in _block_tasks(path):
            *result, hints = _parse_task(task, hints)
            yield tuple(result)
        return
    # Forked, not spawned: a worker then starts at once and never re-runs the caller's __main__.
    # It only parses (msgspec, numpy, arrow arrays), so no lock another thread held at the fork
    # (arrow's and polars' pools wait idle) is in its way.
    pa.array([""], pa.string())  # arrow's first array from a list imports pandas: once, before the fork
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pool.submit(int).result()  # the workers are forked now, before the pool's own threads start
        pending: collections.deque[Future] = collections.deque()
        for task in _block_tasks(path):
            pending.append(pool.submit(_parse_task, task, hints))
            while len(pending) > 2 * workers or (pending and pending[0].done()):
                *result, block_hints = pending.popleft().result()
                hints = hints.merged(block_hints)
                yield tuple(result)
        while pending:
            *result, _ = pending.popleft().result()
            yield tuple(result)


def _can_fork() -> bool:
    """Linux (where fork is what multiprocessing does by default; macOS's system libraries are not
    safe to fork), and not a daemonic process, which may not have children."""
    return sys.platform == "linux" and not multiprocessing.current_process().daemon


UTF8_BOM = b"\xef\xbb\xbf"


def _block_tasks(path: Path) -> Iterator[bytes | tuple[str, int, int]]:
    """The file's blocks, whole lines of about JSON_BLOCK_BYTES each (a block is read, then the rest
    of its last line): (path, start, stop) byte ranges of an uncompressed file, found without
    reading the blocks; the (decompressed) bytes of a gzipped one or of a stream that is not a file."""
    if _is_gzipped(path) or not path.is_file():
        with _open_decompressed(path) as file:
            first = True
            while block := file.read(JSON_BLOCK_BYTES):
                if not block.endswith(b"\n"):
                    block += file.readline()
                yield block.removeprefix(UTF8_BOM) if first else block
                first = False
        return
    size = path.stat().st_size
    with open(path, "rb") as file:
        start = 0
        while start < size:
            if start + JSON_BLOCK_BYTES >= size:
                stop = size
            else:
                file.seek(start + JSON_BLOCK_BYTES - 1)
                file.readline()  # the rest of the line of the block's last byte (b"\n" if it ends one)
                stop = file.tell()
            yield str(path), start, stop
            start = stop


def _parse_task(
    task: bytes | tuple[str, int, int], hints: _FieldHints
) -> tuple[_Columns, BadRows, int, _FieldHints]:
    """(a block's columns, its bad rows, both numbered from its first line, its newlines, the field
    hints for the next blocks), from its bytes or its byte range (the file's first without a BOM),
    which is mapped, not read: copying the bytes out of the page cache cost more than decoding
    them."""
    if isinstance(task, bytes):
        return _parse_block(task, b"\r" in task, hints)
    name, start, stop = task
    with open(name, "rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    if start == 0 and mapped[: len(UTF8_BOM)] == UTF8_BOM:
        start = len(UTF8_BOM)
    # Unmapped once nothing holds a view of it (so not closed here: numpy views may still exist).
    return _parse_block(memoryview(mapped)[start:stop], mapped.find(b"\r", start, stop) >= 0, hints)


def _parse_block(
    block: bytes | memoryview, has_return: bool, hints: _FieldHints
) -> tuple[_Columns, BadRows, int, _FieldHints]:
    block_bad_rows = BadRows()
    decoded = _decoded_block(block, hints, has_return)
    if decoded is None:
        block = bytes(block)
        return _record_block_columns(block, block_bad_rows), block_bad_rows, block.count(b"\n"), hints
    columns, hints = decoded
    return columns, block_bad_rows, len(columns.lines) - (block[-1:] != b"\n"), hints


def _is_gzipped(path: Path) -> bool:
    """Whether a file starts with the gzip magic; a stream (a pipe) is never sniffed, since what a
    look at it reads would be gone for the read itself."""
    if not path.is_file():
        return False
    with open(path, "rb") as raw:
        return raw.read(len(records.GZIP_MAGIC)) == records.GZIP_MAGIC


def _open_decompressed(path: Path) -> io.BufferedIOBase:
    """The file's bytes, gunzipped when it starts with the gzip magic (whatever its name says), by
    ISA-L's inflate in a thread of its own (it leaves the GIL, so it runs beside the parsing)."""
    return igzip_threaded.open(path, "rb") if _is_gzipped(path) else open(path, "rb")


# --- The fast path: msgspec, into only the fields the accessors read --------------------------------

# The types the accessors read in bulk; a field of any other type makes msgspec refuse the block.
_TEXT = str | int | float | None  # ids and event types (numbers are written as the accessor writes them)
_TIMESTAMP = int | None
_DATE = str | None
_NUMBER = float | None  # msgspec reads integers into floats too
_FIELD_TYPES: dict[str, Any] = {
    **dict.fromkeys(records.USER_ID_FIELDS + records.ITEM_ID_FIELDS + records.EVENT_TYPE_FIELDS, _TEXT),
    **dict.fromkeys(records.TIMESTAMP_FIELDS, _TIMESTAMP),
    **dict.fromkeys(records.REVIEW_TIME_FIELDS, _DATE),
    **dict.fromkeys(records.VALUE_FIELDS, _NUMBER),
}


@dataclass(frozen=True)
class _Kind:
    """One of the accessors: the block column it fills and the fields it tries, first first."""

    name: str
    fields: tuple[str, ...]


# Times: a numeric timestamp field, else the review date (read by the accessor, row by row).
_KINDS = (
    _Kind("user", records.USER_ID_FIELDS),
    _Kind("item", records.ITEM_ID_FIELDS),
    _Kind("time", records.TIMESTAMP_FIELDS + records.REVIEW_TIME_FIELDS),
    _Kind("value", records.VALUE_FIELDS),
    _Kind("type", records.EVENT_TYPE_FIELDS),
)


@dataclass(frozen=True)
class _FieldHints:
    """Which fields a block is first decoded with: each kind's first `counts` fields, with their
    types, and, for a kind marked `absent`, its other fields typed as null, so that msgspec refuses
    the block (and it is decoded again with every field) if any row has one of them; undeclared
    fields are skipped. A row whose first present field of a kind is among the typed ones is read
    exactly, since the fields after it do not matter, and so is one of an `absent` kind without any
    typed field; a block with any other row is decoded again with every field, which says what the
    next blocks need."""

    counts: tuple[int, ...] = (1, 1, 1, 1, 0)  # user, item, time, value, event type
    absent: tuple[bool, ...] = (False, False, False, False, True)

    def typed(self) -> tuple[str, ...]:
        names = (
            name for kind, count in zip(_KINDS, self.counts, strict=True) for name in kind.fields[:count]
        )
        return tuple(dict.fromkeys(names))

    def nulls(self) -> tuple[str, ...]:
        typed = set(self.typed())
        names = (
            name
            for kind, count, absent in zip(_KINDS, self.counts, self.absent, strict=True)
            if absent
            for name in kind.fields[count:]
            if name not in typed
        )
        return tuple(dict.fromkeys(names))

    def merged(self, other: _FieldHints) -> _FieldHints:
        return _FieldHints(
            tuple(map(max, self.counts, other.counts)), tuple(map(operator.or_, self.absent, other.absent))
        )


_ALL_FIELDS = _FieldHints(tuple(len(kind.fields) for kind in _KINDS), (False,) * len(_KINDS))


@functools.lru_cache(maxsize=32)
def _decoder(typed: tuple[str, ...], nulls: tuple[str, ...]) -> msgspec.json.Decoder:
    """Decodes JSON objects into a struct of the `typed` fields and the `nulls` (None when absent),
    skipping all others."""
    struct = msgspec.defstruct(
        "Fields",
        [(name, _FIELD_TYPES[name], None) for name in typed] + [(name, None, None) for name in nulls],
        gc=False,
    )
    return msgspec.json.Decoder(struct)


_NEWLINE, _RETURN, _OPEN, _CLOSE = b"\n\r{}"


def _object_lines(block: bytes | memoryview, has_return: bool | None = None) -> int | None:
    """The block's line count when every line is `{...}` (ending in \\n or \\r\\n, the last maybe in
    neither), else None. A newline between `}` and `{` cannot be inside a JSON value, so msgspec's
    objects are then the lines' objects exactly when there are as many of them as lines."""
    data = np.frombuffer(block, dtype=np.uint8)
    if not len(data) or data[0] != _OPEN:
        return None
    ends = _positions(data, _NEWLINE)
    last_ends = len(ends) and ends[-1] == len(data) - 1
    inner = ends[:-1] if last_ends else ends
    if not (data[inner + 1] == _OPEN).all():
        return None
    before = data[ends - 1]
    if b"\r" in block if has_return is None else has_return:  # \r\n endings; a lone \r is a line break
        returns = _positions(data, _RETURN)
        if returns[-1] == len(data) - 1 or not (data[returns + 1] == _NEWLINE).all():
            return None
        before = data[ends - 1 - (before == _RETURN)]  # a \r\n ending has its `}` two bytes back
    if not (before == _CLOSE).all() or (not last_ends and data[-1] != _CLOSE):
        return None
    return len(ends) + (not last_ends)


_SCAN_BYTES = 1 << 20


def _positions(data: np.ndarray, byte: int) -> np.ndarray:
    """Where `byte` is in `data`, a MiB at a time (the temporary masks stay in the cache, and are
    not a fresh 32 MiB each, page by page)."""
    return np.concatenate(
        [
            np.flatnonzero(data[start : start + _SCAN_BYTES] == byte) + start
            for start in range(0, len(data), _SCAN_BYTES)
        ]
    )


def _decoded_block(
    block: bytes | memoryview, hints: _FieldHints, has_return: bool | None = None
) -> tuple[_Columns, _FieldHints] | None:
    """The block's columns by msgspec, with the hints for the next blocks; None when the block is not
    one JSON object per line with the fields read of the types the accessors read in bulk.
    `has_return`: whether it holds a \\r (found here if not given)."""
    lines = _object_lines(block, has_return)
    if lines is None:
        return None
    read = _read_fields(block, lines, hints)
    if read is _UNSETTLED or (read is not None and not read.settled):  # some row needs more fields
        read = _read_fields(block, lines, _ALL_FIELDS)
        if isinstance(read, _ReadFields):
            hints = hints.merged(read.needed)
    if not isinstance(read, _ReadFields):
        return None
    return _json_columns(read.columns, lines), hints


@dataclass(frozen=True)
class _ReadFields:
    columns: dict[str, pa.Array]  # each kind's first present field (null where none is)
    settled: bool  # whether every row's kinds were found among the fields decoded
    needed: _FieldHints  # the fields these rows needed


_UNSETTLED = "unsettled"  # a field declared null, or of another type, has a value of its own


def _read_fields(block: bytes | memoryview, lines: int, hints: _FieldHints) -> _ReadFields | str | None:
    """The hinted fields of the block's `lines` objects, as the accessors choose among them;
    _UNSETTLED when msgspec finds a value of another type than the hints say; None when it refuses
    the block otherwise or finds another number of objects, or arrow cannot hold a field as the
    accessors read it."""
    typed, nulls = hints.typed(), hints.nulls()
    try:
        rows = _decoder(typed, nulls).decode_lines(block)
    except msgspec.ValidationError:
        return _UNSETTLED
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    if len(rows) != lines:
        return None
    fields: dict[str, pa.Array | None] = dict.fromkeys(nulls)
    for name in typed:
        column = _field_array(name, list(map(operator.attrgetter(name), rows)))
        if column is False:
            return None
        fields[name] = None if column.null_count == len(column) else column
    del rows
    columns, settled, counts, absent = {}, True, [], []
    for kind in _KINDS:
        # The kind's fields up to the first one not decoded (which might come first in a row).
        known = list(itertools.takewhile(fields.__contains__, kind.fields))
        chosen = _first_present(kind, [fields[name] for name in known], lines)
        columns.update(chosen.columns)
        settled &= len(known) == len(kind.fields) or chosen.missing == 0
        counts.append(chosen.last_used + 1)
        absent.append(chosen.missing > 0)
    return _ReadFields(columns, settled, _FieldHints(tuple(counts), tuple(absent)))


@dataclass(frozen=True)
class _Chosen:
    columns: dict[str, pa.Array]
    missing: int  # rows with none of the fields
    last_used: int  # the last field that is some row's first present one (-1: none)


def _first_present(kind: _Kind, columns: list[pa.Array | None], count: int) -> _Chosen:
    """Per row, the first of a kind's field columns that is present (neither null nor, as text,
    ""), as `_first` in allstore_common.records chooses; a time kind gives the numeric time and,
    apart, the review date (read only where there is no numeric time)."""
    unset = np.ones(count, dtype=bool)
    chosen: pa.Array | None = None
    last_used = -1
    for index, column in enumerate(columns):
        if column is None:
            continue
        if pa.types.is_string(column.type):
            column = pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)
        present = pc.is_valid(column).to_numpy(zero_copy_only=False)
        if (present & unset).any():
            last_used = index
        unset &= ~present
        if kind.name != "time" or index < len(records.TIMESTAMP_FIELDS):
            chosen = column if chosen is None else pc.coalesce(chosen, column)
    if kind.name != "time":
        return _Chosen({kind.name: _or_nulls(chosen, count, kind)}, int(unset.sum()), last_used)
    dates = columns[len(records.TIMESTAMP_FIELDS)] if len(columns) > len(records.TIMESTAMP_FIELDS) else None
    if dates is not None:
        dates = pc.if_else(pc.equal(dates, ""), pa.scalar(None, pa.string()), dates)
    return _Chosen(
        {"time": _or_nulls(chosen, count, kind), "review_time": _or_nulls(dates, count, kind, pa.string())},
        int(unset.sum()),
        last_used,
    )


def _or_nulls(column: pa.Array | None, count: int, kind: _Kind, type: pa.DataType | None = None) -> pa.Array:
    if column is not None:
        return column
    return pa.nulls(count, type or {"time": pa.int64(), "value": pa.float64()}.get(kind.name, pa.string()))


def _field_array(name: str, values: list) -> pa.Array | bool:
    """A field's values as an arrow array (ids and event types as strings, numbers written as the
    accessors write them); False when arrow cannot hold them as the accessors read them (an integer
    timestamp beyond int64, or beyond 2**53, which the accessor reads through a float)."""
    kind = _FIELD_TYPES[name]
    try:
        if kind is _TEXT:
            try:
                return pa.array(values, pa.string())
            except pa.ArrowTypeError:  # some are numbers
                return pa.array([_number_text(value) for value in values], pa.string())
        if kind is _TIMESTAMP:
            column = pa.array(values, pa.int64())
            largest = pc.max(pc.abs(column)).as_py()
            return False if largest is not None and largest > 2**53 else column
        return pa.array(values, pa.string() if kind is _DATE else pa.float64())
    except (OverflowError, pa.ArrowInvalid):
        return False


def _number_text(value: str | float | None) -> str | None:
    """A number as the accessors write it (`_text` in allstore_common.records)."""
    if value is None or isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def _json_columns(table: dict[str, pa.Array], lines: int) -> _Columns:
    """A block's columns (ids and event types stripped), with the times that only a review date
    gives converted by the accessor; lines numbered from 1."""
    timestamps = table["time"]
    seconds = _in_seconds(pc.fill_null(timestamps, -1).to_numpy(zero_copy_only=False))
    untimed = ~pc.is_valid(timestamps).to_numpy(zero_copy_only=False)
    review_times = table["review_time"]
    for row in np.flatnonzero(untimed & pc.is_valid(review_times).to_numpy(zero_copy_only=False)).tolist():
        when = records.timestamp({records.REVIEW_TIME_FIELDS[0]: review_times[row].as_py()})
        seconds[row], untimed[row] = (-1, True) if when is None else (when, False)
    values = pc.fill_null(table["value"], float("nan"))
    return _Columns(
        np.arange(1, lines + 1, dtype=np.int64),
        _Strings.from_arrow(table["user"], strip=True),
        _Strings.from_arrow(table["item"], strip=True),
        seconds,
        untimed,
        _Strings.from_arrow(table["type"], strip=True),
        values.to_numpy(zero_copy_only=False).astype(np.float32),
    )


def _record_block_columns(block: bytes, bad_rows: BadRows) -> _Columns:
    """A block through the shared record parser and the accessors, a record at a time; lines and
    bad rows numbered from the block's first line."""
    lines: list[int] = []
    users: list[str | None] = []
    items: list[str | None] = []
    times: list[int | None] = []
    types: list[str] = []
    values: list[float | None] = []
    for line, record in records.iter_numbered_records(
        io.BytesIO(block), format=records.JSON, bad_rows=bad_rows
    ):
        lines.append(line)
        users.append(records.user_id(record))
        items.append(records.item_id(record))
        times.append(records.timestamp(record))
        types.append(records.event_type(record) or "")
        values.append(records.value(record))
    untimed = np.fromiter((when is None for when in times), dtype=bool, count=len(times))
    timestamps = np.fromiter(
        (-1 if when is None else when for when in times), dtype=np.int64, count=len(times)
    )
    return _Columns(
        np.asarray(lines, dtype=np.int64),
        _Strings.from_arrow(pa.array([user or "" for user in users], type=pa.string())),
        _Strings.from_arrow(pa.array([item or "" for item in items], type=pa.string())),
        timestamps,
        untimed,
        _Strings.from_arrow(pa.array(types, type=pa.string())),
        np.array([np.nan if value is None else value for value in values], dtype=np.float32),
    )


def _read_csv(path: Path) -> Interactions:
    """A CSV a column at a time: pyarrow's reader parses the file in C (a 25M-row file in seconds,
    where Python's csv module took minutes), and the columns are converted in bulk. A file pyarrow
    refuses (bytes that are not UTF-8, for one) is read by the shared record parser instead, which
    replaces such bytes, with the same columns and the same bad rows."""
    header, delimiter = _csv_header(path)
    bad_rows = BadRows()
    if not header:
        return _Columns.empty().to_interactions("csv", bad_rows)
    names = _csv_columns(header, path)
    try:
        lines, cells = _arrow_csv_cells(path, header, delimiter, names, bad_rows)
    except pa.ArrowInvalid:
        bad_rows = BadRows()
        lines, cells = _record_csv_cells(path, names, bad_rows)
    return _csv_columns_to_interactions(lines, cells, names, bad_rows)


CSV_BLOCK_BYTES = 1 << 24  # pyarrow parses blocks of this size in parallel


@dataclass(frozen=True)
class _CsvNames:
    """The header's columns for each field (None when the file has no such column)."""

    user: str
    item: str
    time: str | None
    type: str | None
    value: str | None

    def present(self) -> list[str]:
        return [name for name in (self.user, self.item, self.time, self.type, self.value) if name]

    def encoded(self) -> list[str]:
        """The columns read as codes (ids and event types repeat)."""
        return [name for name in (self.user, self.item, self.type) if name]


def _csv_header(path: Path) -> tuple[list[str] | None, str]:
    """The stripped column names of the first line, and the delimiter, as the record parser
    decides them (tabs only when the header has no commas)."""
    with open(path, "rb") as raw:
        gzipped = raw.read(len(records.GZIP_MAGIC)) == records.GZIP_MAGIC
    opened = gzip.open(path, "rb") if gzipped else open(path, "rb")  # noqa: SIM115 (closed below)
    with io.TextIOWrapper(opened, encoding="utf-8-sig", errors="replace", newline="") as text:
        first = text.readline()
    delimiter = "\t" if "\t" in first and "," not in first else ","
    header = next(csv.reader([first], delimiter=delimiter), None)
    return ([column.strip() for column in header] if header else None), delimiter


def _csv_columns(header: list[str], path: Path) -> _CsvNames:
    user_name, item_name, time_name, type_name, value_name = (
        records.column(header, fields)
        for fields in (
            records.USER_ID_FIELDS,
            records.ITEM_ID_FIELDS,
            records.TIMESTAMP_FIELDS,
            records.EVENT_TYPE_FIELDS,
            records.VALUE_FIELDS,
        )
    )
    if user_name is None or item_name is None:
        missing = "user id" if user_name is None else "item id"
        raise ValueError(
            f"{path}: no {missing} column in the header {header} (expected e.g. USER_ID, ITEM_ID)"
        )
    return _CsvNames(user_name, item_name, time_name, type_name, value_name)


def _arrow_csv_cells(
    path: Path, header: list[str], delimiter: str, names: _CsvNames, bad_rows: BadRows
) -> tuple[np.ndarray, dict[str, pa.ChunkedArray]]:
    """(row numbers, the wanted columns: ids and event types dictionary-encoded as they are parsed,
    the others as strings) read by pyarrow, on every core. Only a
    single-threaded read numbers the rows pyarrow rejects, so a file with such rows is read again on
    one thread; blank lines are skipped, as the record parser does."""
    table, rejected = _arrow_csv_table(path, header, delimiter, names, None)
    if rejected:
        del table
        table, rejected = _arrow_csv_table(path, header, delimiter, names, bad_rows)
    # Row numbers count the header as row 1; accepted rows fill the numbers the rejected ones left.
    lines = np.arange(2, table.num_rows + len(rejected) + 2)
    if rejected:
        lines = np.delete(lines, np.asarray(rejected, dtype=np.int64) - 2)
    cells = {name: table.column(name) for name in names.present()}
    del table  # each column's memory goes as soon as it is converted
    # A row is blank when every cell is empty: only rows without a user id need a look at the rest.
    blank = pc.equal(cells[names.user], "").to_numpy()
    candidates = np.flatnonzero(blank)
    for name, column in cells.items():
        if name != names.user and len(candidates):
            blank[candidates] &= pc.equal(column.take(pa.array(candidates)), "").to_numpy()
    if blank.any():
        # An empty line reads as a row of empty cells, and so does `,,,`, which the record parser
        # yields as a record (rejected later for its missing user id): the file's lines tell them apart.
        blank[blank] = np.isin(lines[blank], _empty_lines(path, lines[blank]))
    if blank.any():
        keep = pa.array(~blank)
        cells = {name: column.filter(keep) for name, column in cells.items()}
        lines = lines[~blank]
    return lines, cells


def _arrow_csv_table(
    path: Path, header: list[str], delimiter: str, names: _CsvNames, bad_rows: BadRows | None
) -> tuple[pa.Table, list[int]]:
    """The table and the numbers of the rows pyarrow rejected: read on every core when `bad_rows`
    is None (a rejected row is then only counted: its number is -1), else on one thread, with each
    rejected row that is not blank added to `bad_rows`."""
    rejected: list[int] = []

    def reject(row: pacsv.InvalidRow) -> str:
        rejected.append(row.number)
        if bad_rows is not None and row.text.strip(f' \t\r\n"{delimiter}'):
            bad_rows.add(row.number, f"{row.actual_columns} fields, header has {row.expected_columns}")
        return "skip"

    source = pa.OSFile(str(path))
    if source.read(len(records.GZIP_MAGIC)) == records.GZIP_MAGIC:
        source.seek(0)
        source = pa.CompressedInputStream(source, "gzip")
    else:
        source.seek(0)
    with source:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(
                use_threads=bad_rows is None, skip_rows=1, column_names=header, block_size=CSV_BLOCK_BYTES
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=reject,
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=names.present(),
                column_types={
                    **dict.fromkeys(names.present(), pa.string()),
                    **dict.fromkeys(names.encoded(), pa.dictionary(pa.int32(), pa.string())),
                },
            ),
        )
    return table, rejected


def _empty_lines(path: Path, candidates: np.ndarray) -> list[int]:
    """Those of the line numbers `candidates` whose line is empty (a few rows: read line by line)."""
    wanted, empty = set(candidates.tolist()), []
    with _open_decompressed(path) as file:
        for number, line in enumerate(file, start=1):
            if number in wanted and not line.rstrip(b"\r\n"):
                empty.append(number)
            if number >= candidates[-1]:
                break
    return empty


def _record_csv_cells(
    path: Path, names: _CsvNames, bad_rows: BadRows
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """The same as `_arrow_csv_cells`, through the shared record parser (Python's csv module)."""
    row_cells = operator.itemgetter(*names.present())
    lines: list[int] = []
    rows: list[tuple[str, ...]] = []
    for line, record in records.iter_numbered_records(path, format=records.CSV, bad_rows=bad_rows):
        lines.append(line)
        cells = row_cells(record)
        rows.append(cells if isinstance(cells, tuple) else (cells,))
    columns = zip(*rows, strict=True) if rows else ([] for _ in names.present())
    return np.asarray(lines, dtype=np.int64), {
        name: pa.array(column, type=pa.string())
        for name, column in zip(names.present(), columns, strict=True)
    }


def _csv_columns_to_interactions(
    lines: np.ndarray, cells: dict[str, pa.Array | pa.ChunkedArray], names: _CsvNames, bad_rows: BadRows
) -> Interactions:
    count = len(lines)
    no_values = np.full(count, np.nan, dtype=np.float32)
    users = _Strings.from_arrow(cells.pop(names.user), strip=True)
    items = _Strings.from_arrow(cells.pop(names.item), strip=True)
    timestamps, untimed = _timestamps(cells[names.time], names.time) if names.time else _untimed(count)
    columns = _Columns(
        lines,
        users,
        items,
        timestamps,
        untimed,
        _Strings.from_arrow(cells[names.type]) if names.type else _Strings.constant("", count),
        _event_values(cells[names.value], names.value) if names.value else no_values,
    )
    cells.clear()
    return columns.to_interactions("csv", bad_rows)


@dataclass(frozen=True)
class _Strings:
    """A string column being read: each row's code into the distinct values (an arrow array, in
    the order they first appear), from arrow's hash encoding; only `finish` makes Python strings,
    once per distinct value of the whole file."""

    codes: np.ndarray  # int32
    distinct: pa.Array  # large_string, no nulls
    strip: bool = False  # whether `finish` strips the values (as Python's str.strip)

    @classmethod
    def from_arrow(cls, column: pa.Array | pa.ChunkedArray, strip: bool = False) -> _Strings:
        """The codes of a string or dictionary column (nulls as "")."""
        if pa.types.is_dictionary(column.type) and column.null_count:
            column = column.cast(pa.string())
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(pc.fill_null(column, "") if column.null_count else column)
        encoded = _combined(column)
        return cls(
            encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False),
            encoded.dictionary.cast(pa.large_string()),
            strip,
        )

    @classmethod
    def constant(cls, value: str, count: int) -> _Strings:
        return cls(np.zeros(count, dtype=np.int32), pa.array([value] if count else [], pa.large_string()))

    @classmethod
    def empty(cls) -> _Strings:
        return cls.constant("", 0)

    @classmethod
    def concatenate(cls, parts: Sequence[_Strings]) -> _Strings:
        """The parts one after the other, with one set of distinct values."""
        if len(parts) == 1:
            return parts[0]
        offsets = np.cumsum([0] + [len(part.distinct) for part in parts[:-1]])
        codes = np.concatenate([part.codes + offset for part, offset in zip(parts, offsets, strict=True)])
        encoded = _combined(pc.dictionary_encode(pa.concat_arrays([part.distinct for part in parts])))
        remap = encoded.indices.to_numpy(zero_copy_only=False)
        # Stripped if any part is to be (the record parser's parts are stripped already).
        strip = any(part.strip for part in parts)
        return cls(remap[codes].astype(np.int32, copy=False), encoded.dictionary, strip)

    def finish(self) -> _Ids:
        distinct = np.asarray(self.distinct.to_pylist(), dtype=str)
        if self.strip and len(distinct):
            stripped = np.strings.strip(distinct)
            if not np.array_equal(stripped, distinct):
                # Values that differ only in surrounding whitespace become one, where the first
                # of them appears (the order `stripped` is in).
                encoded = _combined(pc.dictionary_encode(pa.array(stripped, type=pa.large_string())))
                remap = encoded.indices.to_numpy(zero_copy_only=False)
                return _Ids(
                    remap[self.codes].astype(np.int32, copy=False),
                    np.asarray(encoded.dictionary.to_pylist(), dtype=str),
                )
        return _Ids(self.codes, distinct)


def _combined(encoded: pa.DictionaryArray | pa.ChunkedArray) -> pa.DictionaryArray:
    """One dictionary array: chunks (of a big column, or the CSV reader's, each with its own
    dictionary) concatenated, which unifies their dictionaries in the order values first appear."""
    if isinstance(encoded, pa.ChunkedArray):
        if encoded.num_chunks == 0:
            return pa.DictionaryArray.from_arrays(
                pa.array([], pa.int32()), pa.array([], encoded.type.value_type)
            )
        return encoded.combine_chunks()
    return encoded


@dataclass(frozen=True)
class _Ids:
    """A finished string column: codes into numpy str distinct values, in order of first appearance."""

    codes: np.ndarray  # int32
    distinct: np.ndarray  # str

    def is_empty(self) -> np.ndarray:
        """Per row, whether its value is ""."""
        return (self.distinct == "")[self.codes]

    def filtered(self, keep: np.ndarray) -> _Ids:
        """The rows where `keep`, with only the values they use, in the order those first appear."""
        encoded = pc.dictionary_encode(pa.array(self.codes[keep]))
        used = encoded.dictionary.to_numpy(zero_copy_only=False)
        return _Ids(
            encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False),
            self.distinct[used],
        )


def _in_seconds(timestamps: np.ndarray) -> np.ndarray:
    """Integer timestamps with the milliseconds ones (as the accessor tells them) in seconds, as
    an array of its own (callers write to it; arrow's may be read-only views)."""
    limit = records.MILLISECOND_TIMESTAMPS_FROM
    if not len(timestamps) or (timestamps.max() < limit and timestamps.min() > -limit):
        return timestamps if timestamps.flags.writeable else timestamps.copy()
    return np.where(np.abs(timestamps) >= limit, timestamps // 1000, timestamps)


def _untimed(count: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full(count, -1, dtype=np.int64), np.ones(count, dtype=bool)


INTEGER_CELL = r"^-?[0-9]{1,18}$"


def _timestamps(cells: pa.Array, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer seconds in bulk (milliseconds scaled down); anything else (dates, fractions) through
    the accessor, cell by cell; blanks are untimed."""
    try:
        seconds = pc.cast(cells, pa.int64()).to_numpy(zero_copy_only=False)
        integral = np.ones(len(seconds), dtype=bool)
    except pa.ArrowInvalid:  # some cells are not plain integers: convert those one by one
        cells = pc.utf8_trim_whitespace(pc.fill_null(cells, ""))
        if isinstance(cells, pa.ChunkedArray):
            cells = cells.combine_chunks()
        integral = pc.match_substring_regex(cells, INTEGER_CELL).to_numpy(zero_copy_only=False)
        seconds = pc.cast(pc.if_else(pa.array(integral), cells, "0"), pa.int64()).to_numpy(
            zero_copy_only=False
        )
    seconds = _in_seconds(seconds)
    untimed = np.zeros(len(seconds), dtype=bool)
    others = np.flatnonzero(~integral)
    for row, cell in zip(
        others.tolist(), cells.take(pa.array(others)).to_pylist() if len(others) else [], strict=True
    ):
        when = records.timestamp({name: cell})
        seconds[row], untimed[row] = (-1, True) if when is None else (when, False)
    return seconds, untimed


def _event_values(cells: pa.Array, name: str) -> np.ndarray:
    """Floats in bulk, blanks as NaN; anything unparsable through the accessor (which gives NaN)."""
    text = pc.utf8_trim_whitespace(pc.fill_null(cells, ""))
    text = pc.if_else(pc.equal(text, ""), "nan", text)
    try:
        return pc.cast(text, pa.float32()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        parsed = [records.value({name: cell}) for cell in text.to_pylist()]
        return np.array([np.nan if value is None else value for value in parsed], dtype=np.float32)


@dataclass
class _Columns:
    """Rows as read, before the ones without a user, item or usable timestamp are rejected."""

    lines: np.ndarray
    users: _Strings
    items: _Strings
    timestamps: np.ndarray
    untimed: np.ndarray
    event_types: _Strings
    event_values: np.ndarray

    @classmethod
    def concatenate(cls, parts: Sequence[_Columns]) -> _Columns:
        if not parts:
            return cls.empty()
        return cls(
            *(
                (_Strings if name in _STRING_FIELDS else np).concatenate(
                    [getattr(part, name) for part in parts]
                )
                for name in _COLUMN_FIELDS
            )
        )

    @classmethod
    def empty(cls) -> _Columns:
        return cls(
            np.empty(0, np.int64),
            _Strings.empty(),
            _Strings.empty(),
            np.empty(0, np.int64),
            np.empty(0, bool),
            _Strings.empty(),
            np.empty(0, np.float32),
        )

    def to_interactions(self, format: str, bad_rows: BadRows) -> Interactions:
        users, items, event_types = self.users.finish(), self.items.finish(), self.event_types.finish()
        no_user, no_item = users.is_empty(), items.is_empty()
        identified = ~(no_user | no_item)
        has_time = bool(identified.any()) and not self.untimed[identified].all()
        if has_time:
            # Some rows are timed and some are not: an untimed row cannot be ordered, so it is bad.
            keep = identified & ~self.untimed
            timestamps = self.timestamps
        else:
            keep = identified
            timestamps = np.zeros(len(self.lines), dtype=np.int64)
            timestamps[keep] = _positions_in_history(users.codes[keep])
        rejected = np.flatnonzero(~keep)
        for row in rejected.tolist():
            reason = "no user id" if no_user[row] else "no item id" if no_item[row] else "no timestamp"
            bad_rows.add(int(self.lines[row]), reason)
        kept = slice(None) if len(rejected) == 0 else keep  # no copies of a clean file's columns
        if len(rejected):
            users, items, event_types = (ids.filtered(keep) for ids in (users, items, event_types))
        return Interactions(
            user_codes=users.codes,
            distinct_users=users.distinct,
            item_codes=items.codes,
            distinct_items=items.distinct,
            timestamps=timestamps[kept],
            event_type_codes=event_types.codes,
            distinct_event_types=event_types.distinct,
            event_values=self.event_values[kept],
            format=format,
            has_time=has_time,
            bad_rows=bad_rows,
            records=len(self.lines),
        )


_COLUMN_FIELDS = ("lines", "users", "items", "timestamps", "untimed", "event_types", "event_values")
_STRING_FIELDS = ("users", "items", "event_types")


def _positions_in_history(user_codes: np.ndarray) -> np.ndarray:
    """Each row's index among its user's rows, in file order (the time stand-in of untimed files)."""
    order = np.argsort(user_codes, kind="stable")
    sorted_users = user_codes[order]
    starts = np.r_[0, np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1]
    run_lengths = np.diff(np.r_[starts, len(user_codes)])
    positions = np.empty(len(user_codes), dtype=np.int64)
    positions[order] = np.arange(len(user_codes)) - np.repeat(starts, run_lengths)
    return positions


def _datamaps_path(sequences: Path) -> Path:
    return sequences.with_name(P5_DATAMAPS)


def _read_p5(path: Path) -> Interactions:
    sequences = path / P5_SEQUENCES if path.is_dir() else path
    datamaps_path = _datamaps_path(sequences)
    id2user: dict[str, str] = {}
    id2item: dict[str, str] = {}
    if datamaps_path.exists():
        datamaps = json.loads(datamaps_path.read_text(encoding="utf-8-sig"))
        id2user, id2item = datamaps.get("id2user", {}), datamaps.get("id2item", {})
    bad_rows = BadRows()
    user_tokens: list[str] = []
    item_tokens: list[str] = []
    lengths: list[int] = []
    with open(sequences, encoding="utf-8-sig", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            tokens = line.split()
            if not tokens:
                continue
            if len(tokens) < 2:
                bad_rows.add(number, "a user with no items")
                continue
            unknown = _first_unmapped(tokens, id2user, id2item)
            if unknown:
                bad_rows.add(number, unknown)
                continue
            user_tokens.append(tokens[0])
            item_tokens.extend(tokens[1:])
            lengths.append(len(tokens) - 1)

    counts = np.asarray(lengths, dtype=np.int64)
    users = _Strings.from_arrow(
        pa.array(
            [id2user.get(token, token) for token in user_tokens] if id2user else user_tokens, pa.string()
        )
    ).finish()
    items = _Strings.from_arrow(
        pa.array(
            [id2item.get(token, token) for token in item_tokens] if id2item else item_tokens, pa.string()
        )
    ).finish()
    starts = np.cumsum(counts) - counts
    positions = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    event_types = _Strings.constant("", len(positions)).finish()
    return Interactions(
        user_codes=np.repeat(users.codes, counts),
        distinct_users=users.distinct,
        item_codes=items.codes,
        distinct_items=items.distinct,
        timestamps=positions,
        event_type_codes=event_types.codes,
        distinct_event_types=event_types.distinct,
        event_values=np.full(len(positions), np.nan, dtype=np.float32),
        format="p5",
        has_time=False,
        bad_rows=bad_rows,
    )


def _first_unmapped(tokens: list[str], id2user: dict[str, str], id2item: dict[str, str]) -> str | None:
    """Why a P5 line cannot be mapped back to real ids (None when it can or there are no maps)."""
    if id2user and tokens[0] not in id2user:
        return f"user {tokens[0]} is not in {P5_DATAMAPS}"
    if id2item:
        for token in tokens[1:]:
            if token not in id2item:
                return f"item {token} is not in {P5_DATAMAPS}"
    return None
