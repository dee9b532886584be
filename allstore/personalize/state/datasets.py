"""Imported dataset rows: reading CSV from S3 or a local path, typing it, storing it compactly.

Each dataset's rows live in one `.npz` file of typed columns (strings as fixed-width unicode, numbers
as int64/float64 with NaN for null), written to a temporary file and renamed, so a reader never sees
half an import and loading never unpickles anything.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from allstore.personalize.errors import JobFailed
from allstore.personalize.schemas import Field, Schema
from allstore.personalize.state.objects import read_texts
from allstore.state_dir import arn_filename, atomic_file

Columns = dict[str, np.ndarray]


def read_csv_text(location: str) -> Iterator[str]:
    """The text of every CSV file at `location`: s3://bucket/key, s3://bucket/prefix/, file:// or a path."""
    for _name, text in read_texts(location, ".csv"):
        yield text


def parse_csv(texts: Iterator[str], schema: Schema) -> Columns:
    """Typed columns for every schema field; a missing required column or a bad value fails the import."""
    values: dict[str, list[Any]] = {field.name: [] for field in schema.fields}
    try:
        _parse_files(texts, schema, values)
    except UnicodeDecodeError:
        raise JobFailed("the CSV file is not encoded in UTF-8, as the service requires") from None
    return {field.name: column(field, values[field.name]) for field in schema.fields}


def _parse_files(texts: Iterator[str], schema: Schema, values: dict[str, list[Any]]) -> None:
    for text in texts:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None:
            continue
        positions = {name.strip().upper(): index for index, name in enumerate(header)}
        columns = []
        for field in schema.fields:
            position = positions.get(field.name.upper())
            if position is None and not field.nullable:
                raise JobFailed(f"the CSV header has no {field.name} column (header: {','.join(header)})")
            columns.append((field, position))
        line_number = 1
        try:
            for line_number, row in enumerate(reader, start=2):
                if not row:
                    continue
                for field, position in columns:
                    cell = row[position].strip() if position is not None and position < len(row) else ""
                    try:
                        values[field.name].append(field.parse(cell))
                    except ValueError as error:
                        raise JobFailed(f"line {line_number}: {error}") from None
        except csv.Error as error:  # e.g. a NUL byte, or a field over the CSV reader's size limit
            raise JobFailed(f"line {line_number + 1}: malformed CSV ({error})") from None


def column(field: Field, values: list[Any]) -> np.ndarray:
    if field.numeric:
        if field.nullable or field.type in ("float", "double") or None in values:
            return np.array([np.nan if value is None else value for value in values], dtype=np.float64)
        return np.array(values, dtype=np.int64)
    if field.type == "boolean":
        return np.array(["" if value is None else str(value).lower() for value in values], dtype=str)
    return np.array(["" if value is None else value for value in values], dtype=str)


def concatenate(old: Columns | None, new: Columns) -> Columns:
    if not old:
        return new
    return {
        name: np.concatenate([old[name], column]) if name in old else column for name, column in new.items()
    }


def rows_by_id(columns: Columns | None, id_field: str) -> dict[str, dict[str, Any]]:
    """Metadata keyed by id (later rows win, as a later import or PutItems replaces an item)."""
    if not columns or id_field not in columns:
        return {}
    names = [name for name in columns if name != id_field]
    lists = {name: columns[name].tolist() for name in names}
    result: dict[str, dict[str, Any]] = {}
    for row, identifier in enumerate(columns[id_field].tolist()):
        result[identifier] = {
            name: lists[name][row]
            for name in names
            if lists[name][row] not in ("", None) and lists[name][row] == lists[name][row]
        }
    return result


class DatasetStore:
    """The rows of every dataset, one file each, under `<state>/datasets/`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one read-modify-write at a time
        self._cache: dict[str, Columns] = {}

    def _path(self, dataset_arn: str) -> Path:
        return self.root / arn_filename(dataset_arn, ".npz")

    def load(self, dataset_arn: str) -> Columns | None:
        with self._lock:
            if dataset_arn not in self._cache:
                path = self._path(dataset_arn)
                if not path.exists():
                    return None
                with np.load(path, allow_pickle=False) as archive:
                    self._cache[dataset_arn] = {name: archive[name] for name in archive.files}
            return self._cache[dataset_arn]

    def save(self, dataset_arn: str, columns: Mapping[str, np.ndarray]) -> None:
        with self._write_lock:
            self._save(dataset_arn, columns)

    def _save(self, dataset_arn: str, columns: Mapping[str, np.ndarray]) -> None:
        with atomic_file(self._path(dataset_arn)) as file:
            np.savez_compressed(file, **columns)
        with self._lock:
            self._cache[dataset_arn] = dict(columns)

    def append(self, dataset_arn: str, columns: Columns) -> None:
        with self._write_lock:
            self._save(dataset_arn, concatenate(self.load(dataset_arn), columns))

    def delete(self, dataset_arn: str) -> None:
        with self._lock:
            self._cache.pop(dataset_arn, None)
            self._path(dataset_arn).unlink(missing_ok=True)
