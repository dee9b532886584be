"""One search index on disk: its tantivy index, its mapping, and OpenSearch's document semantics.

Layout under the index directory: `meta.json` (mapping, settings, sequence counter, current
generation) and `g<N>/` (the tantivy files). A mapping change rebuilds the tantivy index into the
next generation from the stored sources, because a tantivy schema cannot change once created.

Writes go through one IndexWriter under a lock and become searchable on `refresh()` (the store
refreshes every second, as OpenSearch does by default). `get()` is real-time like OpenSearch's:
it also sees writes that are not yet refreshed.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Query

from allstore.search import analysis
from allstore.search.dates import DATE_TYPES
from allstore.search.errors import (
    SearchError,
    bad_request,
    index_not_found,
    mapper_parsing_error,
    query_shard_error,
)
from allstore.search.fuzzy import TermExpander
from allstore.search.mapping import (
    BOOLEAN,
    FLOAT_TYPES,
    ID_FIELD,
    INTEGER_TYPES,
    ROUTING_FIELD,
    SEQ_NO_FIELD,
    SOURCE_FIELD,
    VERSION_FIELD,
    Mapping,
)
from allstore.search.query import QueryBuilder
from allstore.search.settings import (
    DEFAULT_MAX_RESULT_WINDOW,
    DEFAULT_REPLICAS,
    flatten_settings,
    refresh_seconds,
)
from allstore.state_dir import write_atomically

log = logging.getLogger(__name__)

META_FILE = "meta.json"
WRITER_HEAP_BYTES = 32_000_000
MAX_CACHED_QUERIES = 2_000  # per refresh; a store's shoppers repeat a small set of searches
MAX_ID_BYTES = 512
SORTABLE_TYPES = INTEGER_TYPES | FLOAT_TYPES | DATE_TYPES | {BOOLEAN}  # the fast fields tantivy orders by


@dataclass(frozen=True)
class StoredDoc:
    id: str
    source: dict[str, Any]
    version: int
    seq_no: int
    routing: str | None = None


@dataclass(frozen=True)
class FieldSort:
    field: str
    descending: bool


@dataclass(frozen=True)
class Conditions:
    """A write's optimistic-concurrency conditions: `if_seq_no`/`if_primary_term`, or an external
    `version` (`version_type` external or external_gte), checked as OpenSearch checks them."""

    if_seq_no: int | None = None
    if_primary_term: int | None = None
    version: int | None = None
    version_type: str = "internal"

    @classmethod
    def parse(cls, values: dict[str, Any], external_allowed: bool = True) -> Conditions:
        def number(name: str) -> int | None:
            value = values.get(name)
            if value is None:
                return None
            try:
                return int(value)
            except (TypeError, ValueError):
                raise bad_request(f"Failed to parse value [{value}] for [{name}]") from None

        conditions = cls(
            number("if_seq_no"),
            number("if_primary_term"),
            number("version"),
            str(values.get("version_type", "internal")),
        )
        problems = []
        if conditions.version_type not in ("internal", "external", "external_gte"):
            raise bad_request(f"No version type match [{conditions.version_type}]")
        if conditions.if_seq_no is not None and not conditions.if_primary_term:
            problems.append(f"ifSeqNo is set, but primary term is [{conditions.if_primary_term or 0}]")
        if conditions.version is not None and conditions.version_type == "internal":
            problems.append(
                "internal versioning can not be used for optimistic concurrency control. "
                "Please use `if_seq_no` and `if_primary_term` instead"
            )
        elif conditions.version_type != "internal" and not external_allowed:
            problems.append("version type [external] is not supported by the update API")
        if conditions.version_type != "internal" and conditions.version is None:
            problems.append("an external version is required")
        if problems:
            raise SearchError(
                400,
                "action_request_validation_exception",
                "Validation Failed: " + "".join(f"{n}: {problem};" for n, problem in enumerate(problems, 1)),
            )
        return conditions

    def check(self, index: SearchIndex, doc_id: str, existing: StoredDoc | None) -> None:
        """A 409 version_conflict_engine_exception when the document is not the one expected."""
        reason = None
        if self.if_seq_no is not None:
            required = f"required seqNo [{self.if_seq_no}], primary term [{self.if_primary_term}]"
            if existing is None:
                reason = f"{required}. but no document was found"
            elif existing.seq_no != self.if_seq_no or self.if_primary_term != 1:
                reason = f"{required}. current document has seqNo [{existing.seq_no}] and primary term [1]"
        elif self.version is not None and existing is not None:
            stale = (
                existing.version >= self.version
                if self.version_type == "external"
                else existing.version > self.version
            )
            if stale:
                relation = "higher or equal to" if self.version_type == "external" else "higher than"
                reason = (
                    f"current version [{existing.version}] is {relation} the one provided [{self.version}]"
                )
        if reason is not None:
            raise SearchError(
                409,
                "version_conflict_engine_exception",
                f"[{doc_id}]: version conflict, {reason}",
                index=index.name,
                shard="0",
                index_uuid=index.uuid,
            )

    @property
    def external(self) -> bool:
        return self.version_type != "internal"


NO_CONDITIONS = Conditions()


@dataclass(frozen=True)
class WriteResult:
    """What one write did; `result` is OpenSearch's word for it (created/updated/deleted/noop/not_found)."""

    id: str
    result: str
    version: int
    seq_no: int


@dataclass(frozen=True)
class _View:
    """What a search needs, swapped as one so a search never mixes two generations or refreshes."""

    mapping: Mapping
    schema: tantivy.Schema
    index: tantivy.Index
    expander: TermExpander  # holds the searcher of the latest refresh
    queries: dict[str, Query] = field(default_factory=dict)  # built queries, valid until the next refresh

    def refreshed(self) -> _View:
        self.index.reload()
        return replace(self, expander=TermExpander(self.index.searcher()), queries={})

    def query(self, index_name: str, query: Any) -> Query:
        """The tantivy query for an OpenSearch query; a repeated one is not built again."""
        key = json.dumps(query, sort_keys=True, separators=(",", ":"))
        built = self.queries.get(key)
        if built is None:
            built = QueryBuilder(index_name, self.mapping, self.schema, self.expander).build(query)
            if len(self.queries) >= MAX_CACHED_QUERIES:
                self.queries.clear()
            self.queries[key] = built
        return built


def new_document_id() -> str:
    """A random 20-character id, the shape OpenSearch generates."""
    return base64.urlsafe_b64encode(os.urandom(15)).decode()


def validate_document_id(doc_id: str) -> str:
    if not doc_id:
        raise bad_request("if _id is specified it must not be empty")
    if len(doc_id.encode()) > MAX_ID_BYTES:  # a request validation failure, as in OpenSearch
        raise SearchError(
            400,
            "action_request_validation_exception",
            f"Validation Failed: 1: id [{doc_id[:40]}...] is too long, must be no longer than {MAX_ID_BYTES} "
            f"bytes but was: {len(doc_id.encode())};",
        )
    return doc_id


class SearchIndex:
    """A named index persisted in `directory`; thread-safe."""

    def __init__(self, directory: Path, meta: dict[str, Any]) -> None:
        self.directory = directory
        self.name: str = meta["name"]
        self.uuid: str = meta["uuid"]
        self.created_ms: int = meta["created_ms"]
        self.settings: dict[str, str] = flatten_settings(meta["settings"])
        self.aliases: dict[str, dict[str, Any]] = meta.get("aliases", {})  # name → filter, routing, ...
        self.refresh_interval = refresh_seconds(self.settings.get("refresh_interval"))
        self.refreshed_at = time.monotonic()
        self._generation: int = meta["generation"]
        self._next_seq_no: int = meta["next_seq_no"]
        # The sequence number from which each field added after creation is indexed: documents
        # written before keep it unindexed through rebuilds, as on OpenSearch (which never
        # re-indexes them when a mapping grows).
        self._field_since: dict[str, int] = meta.get("field_since", {})
        self._lock = threading.RLock()
        self._pending: dict[str, StoredDoc | None] = {}
        self._dirty = False
        self._closed = False
        self._view, self._writer = self._open_current(Mapping(meta["mappings"]))
        self._remove_stale_generations()

    @classmethod
    def create(cls, directory: Path, name: str, mapping: Mapping, settings: dict[str, Any]) -> SearchIndex:
        directory.mkdir(parents=True)
        meta = {
            "name": name,
            "uuid": uuid.uuid4().hex[:22],
            "created_ms": int(time.time() * 1000),
            "settings": settings,
            "mappings": mapping.to_json(),
            "generation": 0,
            "next_seq_no": 0,
        }
        _write_meta(directory, meta)
        return cls(directory, meta)

    @classmethod
    def open(cls, directory: Path) -> SearchIndex:
        return cls(directory, json.loads((directory / META_FILE).read_text()))

    @property
    def mapping(self) -> Mapping:
        return self._view.mapping

    # --- documents ---------------------------------------------------------------------------------

    def get(self, doc_id: str, realtime: bool = True) -> StoredDoc | None:
        """The current document, including writes not yet refreshed unless not `realtime`."""
        with self._lock:
            self._check_open()
            if realtime and doc_id in self._pending:
                return self._pending[doc_id]
            return self._committed(doc_id)

    def index(
        self,
        doc_id: str | None,
        source: Any,
        create_only: bool = False,
        routing: str | None = None,
        conditions: Conditions = NO_CONDITIONS,
    ) -> WriteResult:
        """Index (or, with `create_only`, create) a whole document, with its custom `routing` if any."""
        if not isinstance(source, dict):
            raise mapper_parsing_error("failed to parse, document is empty or not an object")
        doc_id = new_document_id() if doc_id is None else validate_document_id(doc_id)
        self._check_routing(doc_id, routing)
        with self._lock:
            self._check_open()
            self._map_fields_of(source)
            existing = self.get(doc_id)
            if existing is not None and create_only:
                raise SearchError(
                    409,
                    "version_conflict_engine_exception",
                    f"[{doc_id}]: version conflict, document already exists (current version "
                    f"[{existing.version}])",
                    index=self.name,
                    shard="0",
                    index_uuid=self.uuid,
                )
            conditions.check(self, doc_id, existing)
            return self._write(
                doc_id, source, existing, routing, conditions.version if conditions.external else None
            )

    def _check_routing(self, doc_id: str, routing: str | None) -> None:
        if routing is None and self.mapping.routing_required:
            raise SearchError(
                400,
                "routing_missing_exception",
                f"routing is required for [{self.name}]/[{doc_id}]",
                index=self.name,
            )

    def update(
        self,
        doc_id: str,
        partial: Any,
        upsert: Any = None,
        doc_as_upsert: bool = False,
        routing: str | None = None,
        detect_noop: bool = True,
        conditions: Conditions = NO_CONDITIONS,
    ) -> WriteResult:
        """Merge `partial` into the stored document (OpenSearch's partial `doc` update)."""
        if not isinstance(partial, dict):
            raise bad_request("[doc] must be an object")
        validate_document_id(doc_id)
        self._check_routing(doc_id, routing)
        with self._lock:
            self._check_open()
            existing = self.get(doc_id)
            conditions.check(self, doc_id, existing)
            if existing is None:
                if doc_as_upsert or upsert is not None:
                    return self.index(doc_id, partial if doc_as_upsert else upsert, routing=routing)
                raise SearchError(
                    404,
                    "document_missing_exception",
                    f"[{doc_id}]: document missing",
                    index=self.name,
                    shard="0",
                    index_uuid=self.uuid,
                )
            merged = _deep_merge(existing.source, partial)
            if detect_noop and merged == existing.source:
                return WriteResult(doc_id, "noop", existing.version, existing.seq_no)
            self._map_fields_of(merged)
            return self._write(doc_id, merged, existing, routing if routing is not None else existing.routing)

    def delete(self, doc_id: str, conditions: Conditions = NO_CONDITIONS) -> WriteResult:
        with self._lock:
            self._check_open()
            existing = self.get(doc_id)
            conditions.check(self, doc_id, existing)
            seq_no = self._take_seq_no()
            version = conditions.version if conditions.external else None
            if existing is None:
                return WriteResult(doc_id, "not_found", version or 1, seq_no)
            self._writer.delete_documents_by_term(ID_FIELD, doc_id)
            self._pending[doc_id] = None
            self._dirty = True
            return WriteResult(doc_id, "deleted", version or existing.version + 1, seq_no)

    def _write(
        self,
        doc_id: str,
        source: dict[str, Any],
        existing: StoredDoc | None,
        routing: str | None,
        external_version: int | None = None,
    ) -> WriteResult:
        version = external_version or (existing.version + 1 if existing else 1)
        seq_no = self._next_seq_no
        document = self.mapping.document(doc_id, source, version, seq_no, routing)
        self._take_seq_no()
        if existing is not None:
            self._writer.delete_documents_by_term(ID_FIELD, doc_id)
        self._writer.add_document(document)
        self._pending[doc_id] = StoredDoc(doc_id, source, version, seq_no, routing)
        self._dirty = True
        return WriteResult(doc_id, "updated" if existing else "created", version, seq_no)

    def _take_seq_no(self) -> int:
        seq_no = self._next_seq_no
        self._next_seq_no += 1
        return seq_no

    # --- mapping -----------------------------------------------------------------------------------

    def extend_mapping(self, sources: list[Any]) -> None:
        """Map the unmapped fields of many `sources` with at most one rebuild (for bulk requests).

        A source whose fields cannot be mapped is skipped here; indexing it reports the error.
        """
        with self._lock:
            self._check_open()
            mapping = self.mapping
            for source in sources:
                if not isinstance(source, dict):
                    continue
                try:
                    mapping = mapping.with_dynamic_fields(source) or mapping
                except SearchError:
                    continue
            if mapping is not self.mapping:
                self._rebuild(mapping)

    def _map_fields_of(self, source: dict[str, Any]) -> None:
        """Map `source`'s unmapped fields dynamically; raises if they conflict with the mapping."""
        extended = self.mapping.with_dynamic_fields(source)
        if extended is not None:
            self._rebuild(extended)

    def put_mapping(self, update: dict[str, Any]) -> None:
        with self._lock:
            self._check_open()
            merged = self.mapping.merged(update)
            if merged.tree != self.mapping.tree:
                self._rebuild(merged)

    def _rebuild(self, mapping: Mapping) -> None:
        """Re-index every document into a new generation whose schema has `mapping`'s fields; the
        fields new to it are left unindexed in the documents written so far."""
        self.refresh()
        for path in set(mapping.fields) - set(self.mapping.fields):
            self._field_since[path] = self._next_seq_no
        view, writer = self._build_generation(mapping, _all_documents(self._view.expander.searcher))
        self._writer.wait_merging_threads()
        old_generation = self._generation
        self._view, self._writer = view, writer
        self._generation += 1
        self._save_meta()
        shutil.rmtree(self._generation_dir(old_generation), ignore_errors=True)

    def _build_generation(
        self, mapping: Mapping, documents: list[StoredDoc]
    ) -> tuple[_View, tantivy.IndexWriter]:
        """The next generation's index holding `documents`, committed, and its writer."""
        generation = self._generation + 1
        view = self._open_view(mapping, generation)
        writer = view.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        try:
            for doc in documents:
                unindexed = frozenset(path for path, since in self._field_since.items() if doc.seq_no < since)
                writer.add_document(
                    mapping.document(doc.id, doc.source, doc.version, doc.seq_no, doc.routing, unindexed)
                )
            writer.commit()
        except BaseException:
            writer.rollback()
            writer.wait_merging_threads()
            shutil.rmtree(self._generation_dir(generation), ignore_errors=True)
            raise
        return view.refreshed(), writer

    def _open_current(self, mapping: Mapping) -> tuple[_View, tantivy.IndexWriter]:
        """Open the current generation; if it was written with another schema (an index made by an
        older version of this server), re-index its stored documents into one with today's schema."""
        try:
            view = self._open_view(mapping, self._generation)
        except ValueError as error:
            if "schema does not match" not in str(error):
                raise
            log.warning("index %s has an older schema; re-indexing its documents", self.name)
            old = tantivy.Index.open(str(self._generation_dir(self._generation)))
            view, writer = self._build_generation(mapping, _all_documents(old.searcher()))
            self._generation += 1
            self._save_meta_for(mapping)
            return view, writer
        return view, view.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)

    # --- refresh, search ---------------------------------------------------------------------------

    def set_aliases(self, aliases: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            self.aliases = aliases
            self._save_meta()

    @property
    def max_result_window(self) -> int:
        return int(self.settings.get("max_result_window", DEFAULT_MAX_RESULT_WINDOW))

    @property
    def shard_copies(self) -> int:
        """Copies of each document OpenSearch would keep: the primary and `number_of_replicas`."""
        return 1 + int(self.settings.get("number_of_replicas", DEFAULT_REPLICAS))

    def refresh(self) -> None:
        """Make every write so far searchable and durable."""
        with self._lock:
            self.refreshed_at = time.monotonic()
            if self._closed or not self._dirty:
                return
            self._writer.commit()
            self._view = self._view.refreshed()
            self._pending.clear()
            self._dirty = False
            self._save_meta()

    def search(
        self, query: Any, size: int, offset: int, sort: FieldSort | None = None
    ) -> tuple[int, list[tuple[Any, StoredDoc]]]:
        """(total hits, top `size` hits after `offset`) for an OpenSearch query object. Each hit comes
        with its score, or with its `sort` field's value (None when it has none: such hits come last)."""
        view = self._view
        self._check_open()
        tantivy_query = view.query(self.name, query)
        searcher = view.expander.searcher
        order: dict[str, Any] = {}
        if sort is not None:
            spec = view.mapping.field(sort.field)
            if spec is not None and spec.type in SORTABLE_TYPES and not spec.doc_values:
                raise bad_request(
                    f"Can't load fielddata on [{sort.field}] because fielddata is unsupported on fields of type "
                    f"[{spec.type}]. Use doc values instead."
                ).from_shard()
            if spec is None or not spec.indexed or spec.type not in SORTABLE_TYPES:
                raise query_shard_error(
                    self.name,
                    f"sorting is implemented on indexed numeric, date and boolean fields, not [{sort.field}]",
                )
            order = {
                "order_by_field": spec.path,
                "order": tantivy.Order.Desc if sort.descending else tantivy.Order.Asc,
            }
        # The top offset + size hits, and every hit tied with the last of them: tantivy's choice among
        # tied hits depends on its segments, so a page is cut from the whole tie, not from its offset.
        wanted = offset + size
        limit = max(wanted, 1)
        while True:
            result = searcher.search(tantivy_query, limit=limit, count=True, **order)
            if size == 0 or len(result.hits) < limit or result.hits[-1][0] != result.hits[wanted - 1][0]:
                break
            limit *= 2
        return result.count, _ties_in_index_order(searcher, result.hits, offset, wanted)

    def count(self, query: Any) -> int:
        total, _hits = self.search(query, 0, 0)
        return total

    # --- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Persist pending writes and release the writer (the index stays on disk)."""
        with self._lock:
            if self._closed:
                return
            self.refresh()
            self._writer.wait_merging_threads()
            self._closed = True

    def destroy(self) -> None:
        with self._lock:
            if not self._closed:
                self._writer.rollback()
                self._writer.wait_merging_threads()
                self._closed = True
            shutil.rmtree(self.directory, ignore_errors=True)

    def _check_open(self) -> None:
        if self._closed:
            raise index_not_found(self.name)

    # --- storage helpers ---------------------------------------------------------------------------

    def _open_view(self, mapping: Mapping, generation: int) -> _View:
        schema = mapping.schema()
        path = self._generation_dir(generation)
        path.mkdir(exist_ok=True)
        index = tantivy.Index(schema, path=str(path), reuse=True)
        analysis.register(index)
        index.config_reader("manual")
        return _View(mapping, schema, index, TermExpander(index.searcher()))

    def _generation_dir(self, generation: int) -> Path:
        return self.directory / f"g{generation}"

    def _remove_stale_generations(self) -> None:
        """Drop generations left by a rebuild that was interrupted before or after its switch."""
        current = self._generation_dir(self._generation).name
        for child in self.directory.iterdir():
            if child.is_dir() and child.name.startswith("g") and child.name != current:
                shutil.rmtree(child, ignore_errors=True)

    def _committed(self, doc_id: str) -> StoredDoc | None:
        view = self._view
        searcher = view.expander.searcher
        hits = searcher.search(Query.term_query(view.schema, ID_FIELD, doc_id), limit=1).hits
        return _stored(searcher, hits[0][1]) if hits else None

    def _save_meta(self) -> None:
        self._save_meta_for(self.mapping)

    def _save_meta_for(self, mapping: Mapping) -> None:
        _write_meta(
            self.directory,
            {
                "name": self.name,
                "uuid": self.uuid,
                "created_ms": self.created_ms,
                "settings": self.settings,
                "aliases": self.aliases,
                "mappings": mapping.to_json(),
                "generation": self._generation,
                "next_seq_no": self._next_seq_no,
                "field_since": self._field_since,
            },
        )


def _ties_in_index_order(
    searcher: tantivy.Searcher, hits: list[tuple[Any, tantivy.DocAddress]], start: int, end: int
) -> list[tuple[Any, StoredDoc]]:
    """Hits `start` to `end` once hits with equal scores (or sort values) are in the order they were
    written, as Lucene breaks ties by document number; tantivy's order among them depends on its
    segments. `hits` must hold every hit tied with the one at `end - 1`. Only the page's documents
    are decoded; of the ties around it, only their sequence numbers are read."""
    page: list[tuple[Any, StoredDoc]] = []
    position = 0
    for value, group in itertools.groupby(hits, key=lambda hit: hit[0]):
        addresses = [address for _value, address in group]
        first, last = max(start - position, 0), min(end - position, len(addresses))
        if first < last:
            if first == 0 and last == len(addresses):
                tied = [_stored(searcher, address) for address in addresses]
            else:
                written = sorted(addresses, key=lambda address: searcher.doc(address).get_first(SEQ_NO_FIELD))
                tied = [_stored(searcher, address) for address in written[first:last]]
                first, last = 0, len(tied)
            page.extend((value, doc) for doc in sorted(tied, key=lambda doc: doc.seq_no)[first:last])
        position += len(addresses)
        if position >= end:
            break
    return page


def _all_documents(searcher: tantivy.Searcher) -> list[StoredDoc]:
    if searcher.num_docs == 0:
        return []
    result = searcher.search(Query.all_query(), limit=searcher.num_docs)
    return [_stored(searcher, address) for _score, address in result.hits]


def _stored(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> StoredDoc:
    doc = searcher.doc(address)
    return StoredDoc(
        id=doc.get_first(ID_FIELD),
        source=json.loads(doc.get_first(SOURCE_FIELD)),
        version=doc.get_first(VERSION_FIELD),
        seq_no=doc.get_first(SEQ_NO_FIELD),
        routing=doc.get_first(ROUTING_FIELD),
    )


def _write_meta(directory: Path, meta: dict[str, Any]) -> None:
    """Write meta.json atomically, so a crash leaves the old or the new one, never half of either."""
    write_atomically(directory / META_FILE, json.dumps(meta, indent=1))


def _deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
