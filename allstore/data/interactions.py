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

import gzip
import itertools
import json
import operator
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from allstore_common import records
from allstore_common.records import BadRows

FORMATS = ("csv", "ucsd", "p5")
P5_SEQUENCES = "sequential_data.txt"
P5_DATAMAPS = "datamaps.json"


@dataclass(frozen=True)
class Interactions:
    """One row per event, as parallel arrays; `bad_rows` says what was skipped and where."""

    user_ids: np.ndarray  # str
    item_ids: np.ndarray  # str
    timestamps: np.ndarray  # int64 unix seconds (or sequence positions when the file has no time)
    event_types: np.ndarray  # str, "" when absent
    event_values: np.ndarray  # float32, NaN when absent
    format: str
    has_time: bool  # False when `timestamps` are sequence positions
    bad_rows: BadRows = field(default_factory=BadRows)

    def __len__(self) -> int:
        return len(self.user_ids)


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
    """Review records, field by field through the accessors (2014 and 2018 spell fields differently)."""
    bad_rows = BadRows()
    lines: list[int] = []
    users: list[str | None] = []
    items: list[str | None] = []
    times: list[int | None] = []
    types: list[str] = []
    values: list[float | None] = []
    for line, record in records.iter_numbered_records(path, format=records.JSON, bad_rows=bad_rows):
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
    event_values = np.array([np.nan if value is None else value for value in values], dtype=np.float32)
    columns = _Columns(
        np.asarray(lines, dtype=np.int64),
        np.asarray([user or "" for user in users], dtype=str),
        np.asarray([item or "" for item in items], dtype=str),
        timestamps,
        untimed,
        np.asarray(types, dtype=str),
        event_values,
    )
    return columns.to_interactions("ucsd", bad_rows)


def _read_csv(path: Path) -> Interactions:
    """A CSV a column at a time: the header names the columns once, numpy converts them in bulk."""
    bad_rows = BadRows()
    numbered = records.iter_numbered_records(path, format=records.CSV, bad_rows=bad_rows)
    first = next(numbered, None)
    if first is None:
        return _Columns.empty().to_interactions("csv", bad_rows)
    header = list(first[1])
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
    optional = [name for name in (time_name, type_name, value_name) if name is not None]
    row_cells = operator.itemgetter(user_name, item_name, *optional)
    lines: list[int] = []
    rows: list[tuple[str, ...]] = []
    for line, record in itertools.chain([first], numbered):
        lines.append(line)
        rows.append(row_cells(record))
    cells = dict(zip([user_name, item_name, *optional], zip(*rows, strict=True), strict=True))
    count = len(lines)
    no_values = np.full(count, np.nan, dtype=np.float32)
    timestamps, untimed = _timestamps(cells[time_name], time_name) if time_name else _untimed(count)
    columns = _Columns(
        np.asarray(lines, dtype=np.int64),
        np.char.strip(np.asarray(cells[user_name], dtype=str)),
        np.char.strip(np.asarray(cells[item_name], dtype=str)),
        timestamps,
        untimed,
        np.asarray(cells[type_name], dtype=str) if type_name else np.full(count, "", dtype=str),
        _event_values(cells[value_name], value_name) if value_name else no_values,
    )
    return columns.to_interactions("csv", bad_rows)


def _untimed(count: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full(count, -1, dtype=np.int64), np.ones(count, dtype=bool)


def _timestamps(cells: Sequence[str], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer seconds in bulk; anything else (dates, milliseconds, blanks) through the accessor."""
    try:
        seconds = np.asarray(cells, dtype=str).astype(np.int64)
        if not len(seconds) or np.abs(seconds).max() < records.MILLISECOND_TIMESTAMPS_FROM:
            return seconds, np.zeros(len(seconds), dtype=bool)
    except ValueError:
        pass
    parsed = [records.timestamp({name: cell}) for cell in cells]
    untimed = np.fromiter((when is None for when in parsed), dtype=bool, count=len(parsed))
    seconds = np.fromiter(
        (-1 if when is None else when for when in parsed), dtype=np.int64, count=len(parsed)
    )
    return seconds, untimed


def _event_values(cells: Sequence[str], name: str) -> np.ndarray:
    """Floats in bulk, blanks as NaN; anything unparsable through the accessor (which gives NaN)."""
    text = np.char.strip(np.asarray(cells, dtype=str))
    text[text == ""] = "nan"
    try:
        return text.astype(np.float32)
    except ValueError:
        parsed = [records.value({name: cell}) for cell in cells]
        return np.array([np.nan if value is None else value for value in parsed], dtype=np.float32)


@dataclass
class _Columns:
    """Rows as read, before the ones without a user, item or usable timestamp are rejected."""

    lines: np.ndarray
    users: np.ndarray
    items: np.ndarray
    timestamps: np.ndarray
    untimed: np.ndarray
    event_types: np.ndarray
    event_values: np.ndarray

    @classmethod
    def empty(cls) -> _Columns:
        nothing = np.empty(0, dtype=str)
        return cls(
            np.empty(0, np.int64),
            nothing,
            nothing,
            np.empty(0, np.int64),
            np.empty(0, bool),
            nothing,
            np.empty(0, np.float32),
        )

    def to_interactions(self, format: str, bad_rows: BadRows) -> Interactions:
        no_user, no_item = self.users == "", self.items == ""
        identified = ~(no_user | no_item)
        has_time = bool(identified.any()) and not self.untimed[identified].all()
        if has_time:
            # Some rows are timed and some are not: an untimed row cannot be ordered, so it is bad.
            keep = identified & ~self.untimed
            timestamps = self.timestamps
        else:
            keep = identified
            timestamps = np.zeros(len(self.users), dtype=np.int64)
            timestamps[keep] = _positions_in_history(self.users[keep])
        reasons = np.where(no_user, "no user id", np.where(no_item, "no item id", "no timestamp"))
        for row in np.flatnonzero(~keep):
            bad_rows.add(int(self.lines[row]), str(reasons[row]))
        return Interactions(
            user_ids=self.users[keep],
            item_ids=self.items[keep],
            timestamps=timestamps[keep],
            event_types=self.event_types[keep],
            event_values=self.event_values[keep],
            format=format,
            has_time=has_time,
            bad_rows=bad_rows,
        )


def _positions_in_history(user_ids: np.ndarray) -> np.ndarray:
    """Each row's index among its user's rows, in file order (the time stand-in of untimed files)."""
    order = np.argsort(user_ids, kind="stable")
    sorted_users = user_ids[order]
    starts = np.r_[0, np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1]
    run_lengths = np.diff(np.r_[starts, len(user_ids)])
    positions = np.empty(len(user_ids), dtype=np.int64)
    positions[order] = np.arange(len(user_ids)) - np.repeat(starts, run_lengths)
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
    users = [id2user.get(token, token) for token in user_tokens] if id2user else user_tokens
    items = [id2item.get(token, token) for token in item_tokens] if id2item else item_tokens
    starts = np.cumsum(counts) - counts
    positions = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return Interactions(
        user_ids=np.repeat(np.asarray(users, dtype=str), counts),
        item_ids=np.asarray(items, dtype=str),
        timestamps=positions,
        event_types=np.full(len(positions), "", dtype=str),
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
