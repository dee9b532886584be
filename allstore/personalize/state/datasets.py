"""Imported dataset rows: reading CSV from S3 or a local path, typing it, storing it compactly.

Each dataset's rows live in one `.npz` file of typed columns (strings as fixed-width unicode, numbers
as int64/float64 with NaN for null) and each row's origin (BULK or PUT), written to a temporary file
and renamed, so a reader never sees half an import and loading never unpickles anything.
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
BULK, PUT = "BULK", "PUT"  # a row's origin: a dataset import job, or PutItems/PutUsers/PutActions
_ORIGIN = "@origin"  # the origins' name in the .npz: not an Avro field name, so never a column


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
    """Every file's rows into `values`, as the service reads them: a header of unquoted column
    names, each record on a single line (line numbers in errors are the file's)."""
    for text in texts:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None:
            continue
        if '"' in text.partition("\n")[0]:
            raise JobFailed(
                "line 1: the CSV header encloses column names in quotation marks; the service "
                f"requires them unquoted (header: {','.join(header)})"
            )
        columns = _header_columns(header, schema)
        previous = reader.line_num
        try:
            for row in reader:
                if reader.line_num - previous > 1:
                    raise JobFailed(
                        f"line {previous + 1}: a record runs over lines {previous + 1}-{reader.line_num} "
                        "(a quoted value with a line break); each record must be on a single line"
                    )
                previous = reader.line_num
                if not row:
                    continue
                for field, position in columns:
                    cell = row[position].strip() if position is not None and position < len(row) else ""
                    try:
                        values[field.name].append(field.parse(cell))
                    except ValueError as error:
                        raise JobFailed(f"line {previous}: {error}") from None
        except csv.Error as error:  # e.g. a NUL byte, or a field over the CSV reader's size limit
            raise JobFailed(f"line {previous + 1}: malformed CSV ({error})") from None


def _header_columns(header: list[str], schema: Schema) -> list[tuple[Field, int | None]]:
    """Each schema field with its position in `header` (None for a column the field may leave out).

    As the developer guide has it, the header's column names map to the schema ("the column headers
    in your CSV file need to map to the schema"), in the schema's order ("the schema fields can appear
    in any order, but they must match the order of the corresponding column headers"): a column the
    schema lacks, a column given twice or columns in another order fail the job, naming them.
    """
    shown = ",".join(header)
    names = [name.strip().upper() for name in header]
    by_name = {field.name.upper(): field for field in schema.fields}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise JobFailed(
            f"line 1: the CSV header has columns the schema does not have: {', '.join(unknown)}; "
            f"every column header must map to a schema field (header: {shown}; schema fields: "
            f"{','.join(field.name for field in schema.fields)})"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise JobFailed(
            f"line 1: the CSV header names {', '.join(repeated)} more than once (header: {shown})"
        )
    positions = {name: index for index, name in enumerate(names)}
    columns = [(field, positions.get(field.name.upper())) for field in schema.fields]
    missing = [field.name for field, position in columns if position is None and not field.may_be_absent]
    if missing:  # the service's words ("Common error messages"), then the header
        raise JobFailed(
            f"Input CSV is missing the following columns:[{', '.join(missing)}]. (header: {shown})"
        )
    order = list(by_name)
    in_schema_order = [by_name[name].name for name in sorted(names, key=order.index)]
    if [by_name[name].name for name in names] != in_schema_order:
        raise JobFailed(
            f"line 1: the CSV header's columns are not in the schema's field order: the header is "
            f"{shown}, the schema's order is {','.join(in_schema_order)}; the columns must be in the "
            "order of the schema's fields"
        )
    return columns


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
    """The rows of every dataset, one file each, under `<state>/datasets/`, with each row's origin:
    BULK (a dataset import job) or PUT (PutItems, PutUsers, PutActions), which dataset export jobs'
    ingestionMode chooses between and a FULL import keeps apart (it replaces only the bulk rows)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one read-modify-write at a time
        self._cache: dict[str, tuple[Columns, np.ndarray]] = {}

    def _path(self, dataset_arn: str) -> Path:
        return self.root / arn_filename(dataset_arn, ".npz")

    def _load(self, dataset_arn: str) -> tuple[Columns, np.ndarray] | None:
        with self._lock:
            if dataset_arn not in self._cache:
                path = self._path(dataset_arn)
                if not path.exists():
                    return None
                with np.load(path, allow_pickle=False) as archive:
                    columns = {name: archive[name] for name in archive.files if name != _ORIGIN}
                    rows = len(next(iter(columns.values()))) if columns else 0
                    # files written before origins were recorded hold imported rows
                    origins = archive[_ORIGIN] if _ORIGIN in archive.files else np.full(rows, BULK)
                self._cache[dataset_arn] = (columns, origins)
            return self._cache[dataset_arn]

    def load(self, dataset_arn: str) -> Columns | None:
        loaded = self._load(dataset_arn)
        return loaded[0] if loaded else None

    def origins(self, dataset_arn: str) -> np.ndarray:
        """Each row's origin, BULK or PUT, in row order (empty when the dataset has no rows)."""
        loaded = self._load(dataset_arn)
        return loaded[1] if loaded else np.array([], dtype=str)

    def save(self, dataset_arn: str, columns: Mapping[str, np.ndarray], origins: np.ndarray) -> None:
        """Replace every row (e.g. without a deleted user's): `origins` gives each row's origin."""
        with self._write_lock:
            self._save(dataset_arn, columns, origins)

    def _save(self, dataset_arn: str, columns: Mapping[str, np.ndarray], origins: np.ndarray) -> None:
        with atomic_file(self._path(dataset_arn)) as file:
            np.savez_compressed(file, **columns, **{_ORIGIN: origins})
        with self._lock:
            self._cache[dataset_arn] = (dict(columns), origins)

    def append(self, dataset_arn: str, columns: Columns, origin: str) -> None:
        """Add rows of one origin after the stored ones (later Items/Users rows win)."""
        with self._write_lock:
            old = self._load(dataset_arn)
            added = np.full(len(next(iter(columns.values()))), origin)
            if old is None or not old[0]:
                self._save(dataset_arn, columns, added)
            else:
                self._save(dataset_arn, concatenate(old[0], columns), np.concatenate([old[1], added]))

    def replace_bulk(self, dataset_arn: str, columns: Columns) -> None:
        """A FULL import: the imported rows replace the bulk ones; rows added with PutItems, PutUsers
        or PutActions stay (before the new rows, which win for the same id), as the service keeps them."""
        with self._write_lock:
            old = self._load(dataset_arn)
            added = np.full(len(next(iter(columns.values()))), BULK)
            if old is None or not old[0] or not (kept := old[1] == PUT).any():
                self._save(dataset_arn, columns, added)
                return
            put_rows = {name: column[kept] for name, column in old[0].items()}
            self._save(dataset_arn, concatenate(put_rows, columns), np.concatenate([old[1][kept], added]))

    def delete(self, dataset_arn: str) -> None:
        with self._lock:
            self._cache.pop(dataset_arn, None)
            self._path(dataset_arn).unlink(missing_ok=True)
