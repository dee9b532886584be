"""Item metadata files, read as the rows of a Personalize Items dataset ({ITEM_ID: {FIELD: value}}).

Two shapes exist in practice: the Items dataset's own CSV (ITEM_ID plus one column per field, several
categorical values joined with `|`), and product metadata as JSON lines (UCSD's Amazon metadata and
the synthetic store's products: `asin`, a category path, `brand`, ...). The second is mapped to the
fields the workshop's Items schema uses (CATEGORY_L1..L3 from the category path, BRAND), so the
recipes see the same metadata either way.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from pathlib import Path
from typing import Any

CATEGORY_LEVELS = 3


def read_item_metadata(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The file's items; ValueError naming the problem when it is neither shape."""
    path = Path(path)
    with _open(path) as file:
        first = file.readline()
        file.seek(0)
        if first.lstrip().startswith("{"):
            return _read_json_lines(file, path)
        return _read_csv(file, path)


def _open(path: Path) -> io.TextIOWrapper:
    raw = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8-sig", newline="")
    raw.seek(0)
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _read_csv(file: io.TextIOWrapper, path: Path) -> dict[str, dict[str, Any]]:
    reader = csv.DictReader(file)
    columns = {name.upper(): name for name in reader.fieldnames or []}
    if "ITEM_ID" not in columns:
        raise ValueError(
            f"{path}: an Items CSV needs an ITEM_ID column (it has {', '.join(columns) or 'none'})"
        )
    items = {}
    for row in reader:
        item = row[columns["ITEM_ID"]]
        if item:
            items[item] = {
                upper: _number_or_text(row[name]) for upper, name in columns.items() if upper != "ITEM_ID"
            }
    return items


def _number_or_text(value: str | None) -> Any:
    """Numbers (PRICE) as floats, as the Items schema types them; text stays text."""
    try:
        return float(value) if value else value or ""
    except ValueError:
        return value


def _read_json_lines(file: io.TextIOWrapper, path: Path) -> dict[str, dict[str, Any]]:
    items = {}
    for number, line in enumerate(file, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            item = str(record.get("asin") or record["ITEM_ID"])
        except (ValueError, KeyError, AttributeError):
            raise ValueError(f"{path}:{number} is not a product record with an asin (or ITEM_ID)") from None
        items[item] = _fields(record)
    return items


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    """CATEGORY_L1..L3 from `category` (a path) or `categories` (UCSD 2014: paths, the first
    counts), BRAND, and the record's other upper-case fields as they are."""
    path = record.get("category") or (record.get("categories") or [[]])[0]
    fields: dict[str, Any] = {
        f"CATEGORY_L{level}": str(name) for level, name in enumerate(path[:CATEGORY_LEVELS], 1) if name
    }
    if record.get("brand"):
        fields["BRAND"] = str(record["brand"])
    fields |= {key: value for key, value in record.items() if key.isupper() and key != "ITEM_ID"}
    return fields
