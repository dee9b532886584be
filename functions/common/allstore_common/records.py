"""Reading raw dataset records, and the fields inside them, for the whole project.

One parser serves the set-up Lambda (reading products from S3), the local Personalize service, the
notebooks and the data tools, so every part agrees on what a file means. It streams (files bigger
than memory work) and uses the standard library only, because it ships in the Lambda layer.

Formats: JSON lines (UCSD 2018 reviews and metadata, the demo's own files), the UCSD 2014
Python-literal lines (`{'asin': '...', 'categories': [[...]]}`), and CSV with a header row
(Personalize-style `USER_ID,ITEM_ID,TIMESTAMP,...` or the original's `ITEM_ID,TITLE,IMGURL,GENRE`).
Any of them may be gzipped and may start with a UTF-8 byte-order mark. A bad row is counted with
its line number and skipped, never fatal: real dumps always have a few.

The accessors try the field names of the original demo's `Personalize/util/dataformat.py` plus the
other spellings found in the wild, and return `None` rather than raising when a field is missing
or unusable (the original crashed on `int(None)`, used a product's price as an interaction value
and indexed into empty image lists).
"""

from __future__ import annotations

import ast
import calendar
import csv
import gzip
import html
import io
import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

GZIP_MAGIC = b"\x1f\x8b"
JSON = "json"
CSV = "csv"
FORMATS = (JSON, CSV)
_JSON_SUFFIXES = {".json", ".jsonl", ".ndjson", ".jl"}
_CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
_SNIFF_BYTES = 64 * 1024


@dataclass
class BadRows:
    """How many rows were skipped, with the first few line numbers and reasons to show the user."""

    keep: int = 10
    count: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)

    def add(self, line: int, reason: str) -> None:
        self.count += 1
        if len(self.examples) < self.keep:
            self.examples.append((line, reason))

    def __bool__(self) -> bool:
        return self.count > 0

    def summary(self) -> str:
        """One line for logs and CLI output, e.g. `2 bad rows (line 3: not JSON; line 9: ...)`."""
        if not self.count:
            return "no bad rows"
        shown = "; ".join(f"line {line}: {reason}" for line, reason in self.examples)
        more = ", ..." if self.count > len(self.examples) else ""
        return f"{self.count} bad row{'s' if self.count != 1 else ''} ({shown}{more})"


def iter_records(
    source: str | os.PathLike | IO[bytes],
    name: str | None = None,
    format: str | None = None,
    bad_rows: BadRows | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield each record of a JSON-lines or CSV file as a dict, streaming.

    `source` is a path or a binary file-like object (an open file, an S3 `StreamingBody`). `name`
    (file name or S3 key; defaults to the path) picks the format from its extension; gzip is
    recognised by its magic bytes whatever the name says. `format` ("json" or "csv") overrides the
    detection. Skipped rows are recorded in `bad_rows` if given.
    """
    for _, record in iter_numbered_records(source, name, format, bad_rows):
        yield record


def iter_numbered_records(
    source: str | os.PathLike | IO[bytes],
    name: str | None = None,
    format: str | None = None,
    bad_rows: BadRows | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """`iter_records` with each record's line number, for callers that reject rows themselves."""
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown record format {format!r}: expected one of {', '.join(FORMATS)}")
    bad_rows = bad_rows if bad_rows is not None else BadRows()
    if isinstance(source, str | os.PathLike):
        name = name or os.fspath(source)
        with open(source, "rb") as raw:
            yield from _iter_text(_text_stream(raw), name, format, bad_rows)
    else:
        yield from _iter_text(_text_stream(source), name, format, bad_rows)


def _text_stream(raw: IO[bytes]) -> io.TextIOWrapper:
    """Decoded text of `raw`, gunzipped if it starts with the gzip magic, without any BOM."""
    stream = _Rewound(raw)
    if stream.peek(len(GZIP_MAGIC)).startswith(GZIP_MAGIC):
        stream = io.BufferedReader(gzip.GzipFile(fileobj=stream, mode="rb"), buffer_size=_SNIFF_BYTES)
    # "replace" keeps one stray byte from failing a whole file; newline="" is what csv requires.
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")


class _Rewound(io.BufferedReader):
    """A buffered reader over any `.read()`-able stream (S3 bodies have no `readinto`/`peek`)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__(_ReadIntoAdapter(raw), buffer_size=_SNIFF_BYTES)


class _ReadIntoAdapter(io.RawIOBase):
    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _iter_text(
    text: io.TextIOWrapper, name: str | None, format: str | None, bad_rows: BadRows
) -> Iterator[tuple[int, dict[str, Any]]]:
    with text:
        format = format or format_from_name(name) or _format_from_content(text)
        if format == CSV:
            yield from _iter_csv(text, bad_rows)
        else:
            yield from _iter_json_lines(text, bad_rows)


def format_from_name(name: str | None) -> str | None:
    """The format a file or S3 key's extension names (".json", ".csv.gz", ...); None when it names
    none and the content decides (a file starting with `{` is JSON lines, anything else CSV)."""
    if not name:
        return None
    stem = name.lower()
    if stem.endswith(".gz"):
        stem = stem[:-3]
    suffix = os.path.splitext(stem)[1]
    if suffix in _JSON_SUFFIXES:
        return JSON
    if suffix in _CSV_SUFFIXES:
        return CSV
    return None


def _format_from_content(text: io.TextIOWrapper) -> str:
    """JSON lines start with `{`; anything else is taken as CSV with a header."""
    head = text.buffer.peek(_SNIFF_BYTES) if hasattr(text.buffer, "peek") else b""
    return JSON if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else CSV


def _iter_json_lines(lines: Iterable[str], bad_rows: BadRows) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        record = _parse_object(line)
        if isinstance(record, dict):
            yield number, record
        else:
            bad_rows.add(number, record)


def _parse_object(line: str) -> dict[str, Any] | str:
    """The line's object, or why it is not one. UCSD 2014 files are Python literals, not JSON."""
    try:
        value = json.loads(line)
    except ValueError as json_error:
        if not line.startswith("{"):
            return f"not JSON ({json_error.msg})"
        try:
            value = ast.literal_eval(line)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return f"not JSON or a Python literal ({json_error.msg})"
    return value if isinstance(value, dict) else f"expected an object, got {type(value).__name__}"


def _iter_csv(text: io.TextIOWrapper, bad_rows: BadRows) -> Iterator[tuple[int, dict[str, Any]]]:
    header_line = text.readline()
    delimiter = "\t" if "\t" in header_line and "," not in header_line else ","
    header = next(csv.reader([header_line], delimiter=delimiter), None)
    if not header:
        return
    header = [column.strip() for column in header]
    width = len(header)
    reader = csv.reader(text, delimiter=delimiter)
    while True:  # restarted after a row the csv module cannot read; the reader resumes after it
        try:
            for row in reader:
                line = reader.line_num + 1  # +1 for the header read before the reader started
                if len(row) == width:
                    yield line, dict(zip(header, row, strict=True))
                elif any(cell.strip() for cell in row):  # blank lines are not bad rows
                    bad_rows.add(line, f"{len(row)} fields, header has {width}")
            return
        except csv.Error as error:
            bad_rows.add(reader.line_num + 1, f"unreadable CSV ({error})")


# --- Field accessors -------------------------------------------------------------------------------

ITEM_ID_FIELDS = ("asin", "ITEM_ID", "item_id", "itemID", "itemId", "ASIN", "id", "ID")
USER_ID_FIELDS = ("reviewerID", "USER_ID", "user_id", "userID", "userId", "reviewerId", "id", "ID")
TITLE_FIELDS = ("title", "TITLE", "name", "NAME")
IMAGE_FIELDS = ("imUrl", "IMGURL", "imageURLHighRes", "image", "imageURL", "img_url", "IMAGE_URL")
TIMESTAMP_FIELDS = ("unixReviewTime", "TIMESTAMP", "timestamp")
REVIEW_TIME_FIELDS = ("reviewTime",)
VALUE_FIELDS = ("overall", "rating", "EVENT_VALUE", "event_value", "score")
EVENT_TYPE_FIELDS = ("EVENT_TYPE", "event_type", "eventType")
CATEGORY_FIELDS = ("category", "categories", "GENRE", "genre", "CATEGORY", "CATEGORY_L1")
DEPARTMENT_FIELDS = ("main_cat", "MAIN_CAT")
BRAND_FIELDS = ("brand", "BRAND")
PRICE_FIELDS = ("price", "PRICE")
DESCRIPTION_FIELDS = ("description", "DESCRIPTION")
FEATURE_FIELDS = ("feature", "features", "FEATURE")
# A review's words: UCSD's names (2014 and 2018), then Amazon Reviews 2023's `title` / `text`.
REVIEWER_NAME_FIELDS = ("reviewerName",)
REVIEW_HEADLINE_FIELDS = ("summary", "title")
REVIEW_TEXT_FIELDS = ("reviewText", "text")

# UCSD 2018 image lists hold 38x50 thumbnails (`x._SX38_SY50_CR,0,0,38,50_.jpg`); dropping the size
# directive gives the full image, as the original demo did. 2014 `imUrl`s are display-sized: kept.
_THUMBNAIL = re.compile(r"^(.*images-\w+\.ssl-images-amazon\.com/.*?\.)_[^/]*_\.(jpg|jpeg|png|gif)$")
_PRICE = re.compile(r"\d[\d,]*(?:\.\d+)?")
MILLISECOND_TIMESTAMPS_FROM = 10**11  # as seconds this would be the year 5138: it is milliseconds
_CATEGORY_SEPARATOR = "|"
# UCSD 2018 writes a few departments as their store logo: `<img src="..." alt="AMAZON FASHION"/>`.
_IMAGE_ALT = re.compile(r"<img\b[^>]*\balt=\"([^\"]*)\"", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def column(header: Iterable[str], names: Iterable[str]) -> str | None:
    """The first of `names` among a CSV header's columns, to read a whole column at once."""
    columns = set(header)
    return next((name for name in names if name in columns), None)


def _first(record: dict[str, Any], names: Iterable[str]) -> Any:
    """The first of `names` present with a non-empty value."""
    for name in names:
        value = record.get(name)
        if value is not None and value != "" and value != []:
            return value
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def item_id(record: dict[str, Any]) -> str | None:
    return _text(_first(record, ITEM_ID_FIELDS))


def user_id(record: dict[str, Any]) -> str | None:
    return _text(_first(record, USER_ID_FIELDS))


def title(record: dict[str, Any]) -> str | None:
    """The display title: HTML entities decoded (UCSD 2018 has `&amp;`), whitespace collapsed."""
    value = _text(_first(record, TITLE_FIELDS))
    if value is None:
        return None
    return " ".join(html.unescape(value).split()) or None


def image_url(record: dict[str, Any]) -> str | None:
    """The product image; the first of a list; full size instead of an Amazon thumbnail."""
    value = _first(record, IMAGE_FIELDS)
    if isinstance(value, list | tuple):
        value = next((url for url in value if isinstance(url, str) and url.strip()), None)
    url = _text(value)
    if url is None:
        return None
    thumbnail = _THUMBNAIL.match(url)
    return thumbnail[1] + thumbnail[2] if thumbnail else url


def timestamp(record: dict[str, Any]) -> int | None:
    """Unix seconds (UTC): a numeric field (milliseconds are scaled down) or UCSD `reviewTime`."""
    value = _first(record, TIMESTAMP_FIELDS)
    if value is not None:
        number = _number(value)
        if number is None:
            return _parse_date(value) if isinstance(value, str) else None
        seconds = int(number)
        return seconds // 1000 if abs(seconds) >= MILLISECOND_TIMESTAMPS_FROM else seconds
    review_time = _first(record, REVIEW_TIME_FIELDS)
    return _parse_date(review_time) if isinstance(review_time, str) else None


def _parse_date(text: str) -> int | None:
    """`06 17, 2018` (UCSD reviewTime), ISO `2018-06-17` or `2018-06-17T10:00:00[Z]`, as UTC."""
    text = text.strip().removesuffix("Z")
    for pattern in ("%m %d, %Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return calendar.timegm(time.strptime(text, pattern))
        except ValueError:
            continue
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if number == number and abs(number) != float("inf") else None


def value(record: dict[str, Any]) -> float | None:
    """The event's strength: a review's star rating or Personalize's EVENT_VALUE (never a price)."""
    return _number(_first(record, VALUE_FIELDS))


def event_type(record: dict[str, Any]) -> str | None:
    return _text(_first(record, EVENT_TYPE_FIELDS))


def category_path(record: dict[str, Any]) -> list[str]:
    """The category from general to specific, e.g. `["Sports & Outdoors", "Cycling", "Lights"]`.

    UCSD 2014 has a list of paths (the first is the main one), UCSD 2018 one path (sometimes with
    the top level repeated), the original CSV `A|B|C` strings.
    """
    raw = _first(record, CATEGORY_FIELDS)
    if isinstance(raw, list | tuple) and raw and all(isinstance(path, list | tuple) for path in raw):
        raw = next((path for path in raw if path), [])
    if isinstance(raw, str):
        raw = raw.split(_CATEGORY_SEPARATOR)
    if not isinstance(raw, list | tuple):
        return []
    path: list[str] = []
    for part in raw:
        label = _text(part)
        if label is not None:
            label = html.unescape(label)
            if label not in path:
                path.append(label)
    return path


def category(record: dict[str, Any]) -> str | None:
    """The most specific category name (the leaf of `category_path`)."""
    path = category_path(record)
    return path[-1] if path else None


def department(record: dict[str, Any]) -> str | None:
    """The top-level department, e.g. "Sports & Outdoors": UCSD 2018's and the synthetic store's
    `main_cat` (a logo's alt text when it is an `<img>` tag), else the first level of a category
    path of two or more levels; None when neither says (a lone category is not a department)."""
    raw = _text(_first(record, DEPARTMENT_FIELDS))
    if raw is not None:
        alt = _IMAGE_ALT.search(raw)
        label = _text(html.unescape(alt[1] if alt else _TAG.sub(" ", raw)))
        if label is not None:
            return " ".join(label.split())
    path = category_path(record)
    return path[0] if len(path) > 1 else None


def brand(record: dict[str, Any]) -> str | None:
    value = _text(_first(record, BRAND_FIELDS))
    return html.unescape(value) if value else None


def price(record: dict[str, Any]) -> float | None:
    """A price in currency units from `12.99`, `"$12.99"` or `"$1,299.00"`; a range gives its low end."""
    raw = _first(record, PRICE_FIELDS)
    number = _number(raw)
    if number is None and isinstance(raw, str):
        found = _PRICE.search(raw)
        number = float(found[0].replace(",", "")) if found else None
    return number if number is not None and number >= 0 else None


def description(record: dict[str, Any]) -> list[str]:
    """The description paragraphs (UCSD 2018 has a list, other sources one string)."""
    return _lines(_first(record, DESCRIPTION_FIELDS))


def features(record: dict[str, Any]) -> list[str]:
    """The feature bullet points."""
    return _lines(_first(record, FEATURE_FIELDS))


def _lines(raw: Any) -> list[str]:
    parts = raw if isinstance(raw, list | tuple) else [raw]
    lines = []
    for part in parts:
        line = _text(part)
        if line is not None:
            lines.append(" ".join(html.unescape(line).split()))
    return lines


def reviewer_name(record: dict[str, Any]) -> str | None:
    """A review's author as displayed (UCSD `reviewerName`), whitespace collapsed."""
    return _one_line(_first(record, REVIEWER_NAME_FIELDS))


def review_headline(record: dict[str, Any]) -> str | None:
    """A review's headline (UCSD `summary`)."""
    return _one_line(_first(record, REVIEW_HEADLINE_FIELDS))


def review_text(record: dict[str, Any]) -> str | None:
    """A review's text (UCSD `reviewText`), HTML entities decoded, whitespace collapsed."""
    return _one_line(_first(record, REVIEW_TEXT_FIELDS))


def _one_line(raw: Any) -> str | None:
    value = _text(raw) if isinstance(raw, str) else None
    return " ".join(html.unescape(value).split()) or None if value else None
