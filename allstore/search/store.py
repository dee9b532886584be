"""All indices under one data directory, and the periodic refresh that makes writes searchable."""

from __future__ import annotations

import fnmatch
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

from allstore.search.errors import SearchError, index_not_found
from allstore.search.index import META_FILE, SearchIndex
from allstore.search.mapping import Mapping
from allstore.search.settings import parse_settings
from allstore.state_dir import DirectoryLock

log = logging.getLogger(__name__)

DEFAULT_REFRESH_SECONDS = 1.0
_INVALID_INDEX_CHARS = re.compile(r'[\\/*?"<>| ,#:]')
CREATE_INDEX_KEYS = frozenset({"mappings", "settings", "aliases"})


def validate_index_name(name: str) -> str:
    """OpenSearch's index-name rules; they also keep names safe as directory names."""
    problem = None
    if not name or name in (".", ".."):
        problem = "must not be empty, '.' or '..'"
    elif name != name.lower():
        problem = "must be lowercase"
    elif name[0] in "_-+":
        problem = "must not start with '_', '-', or '+'"
    elif _INVALID_INDEX_CHARS.search(name):
        problem = 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?, #, :]'
    elif len(name.encode()) > 255:
        problem = "index name is too long"
    if problem:
        raise SearchError(
            400, "invalid_index_name_exception", f"Invalid index name [{name}], {problem}", index=name
        )
    return name


class IndexStore:
    """The indices in `data_dir`, opened at start; refreshed every `refresh_seconds` in the background."""

    def __init__(self, data_dir: str | Path, refresh_seconds: float = DEFAULT_REFRESH_SECONDS) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Two servers never write the same indices: a second one is refused, naming the first.
        self.directory_lock = DirectoryLock.acquire(self.data_dir, "search server")
        self._lock = threading.Lock()
        self._indices: dict[str, SearchIndex] = {}
        try:
            for child in sorted(self.data_dir.iterdir()):
                if (child / META_FILE).is_file():
                    index = SearchIndex.open(child)
                    self._indices[index.name] = index
        except BaseException:
            for index in self._indices.values():
                index.close()
            self.directory_lock.release()
            raise
        self._stop = threading.Event()
        self._refresher = threading.Thread(
            target=self._refresh_loop, args=(refresh_seconds,), name="search-refresh", daemon=True
        )
        self._refresher.start()

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._indices)

    def get(self, name: str, resource_type: str = "index_or_alias") -> SearchIndex:
        with self._lock:
            index = self._indices.get(name)
        if index is None:
            raise index_not_found(name, resource_type)
        return index

    def resolve(
        self,
        expression: str,
        *,
        allow_no_indices: bool = True,
        ignore_unavailable: bool = False,
        expand_wildcards: str = "open",
    ) -> list[SearchIndex]:
        """The indices an index expression names, as OpenSearch resolves it: comma-separated names,
        `_all` / `*` / other wildcards (matching nothing is allowed unless `allow_no_indices` is
        false), `-name` exclusions after a wildcard; a missing concrete name is index_not_found
        unless `ignore_unavailable`."""
        with self._lock:
            indices = dict(self._indices)
        chosen: dict[str, SearchIndex] = {}
        parts = [part.strip() for part in expression.split(",") if part.strip()] or ["_all"]
        for position, part in enumerate(parts):
            if part.startswith("-") and position > 0:
                for name in fnmatch.filter(list(chosen), part[1:]):
                    chosen.pop(name)
                continue
            if part == "_all" or "*" in part:
                if expand_wildcards == "none":
                    matched: list[str] = []
                else:
                    matched = sorted(indices) if part == "_all" else fnmatch.filter(sorted(indices), part)
                if not matched and not allow_no_indices:
                    raise index_not_found(part)
                chosen.update((name, indices[name]) for name in matched)
            elif part in indices:
                chosen[part] = indices[part]
            elif not ignore_unavailable:
                raise index_not_found(part)
        if not chosen and not allow_no_indices:
            raise index_not_found(expression)
        return [chosen[name] for name in sorted(chosen)]

    def exists(self, name: str) -> bool:
        with self._lock:
            return name in self._indices

    def create(self, name: str, body: Any) -> SearchIndex:
        validate_index_name(name)
        body = body or {}
        if not isinstance(body, dict):
            raise SearchError(400, "parsing_exception", "create index body must be an object")
        unknown = sorted(set(body) - CREATE_INDEX_KEYS)
        if unknown:
            raise SearchError(400, "parsing_exception", f"unknown key [{unknown[0]}] for create index")
        mapping = Mapping.parse(body.get("mappings"))
        settings = parse_settings(body.get("settings"))
        with self._lock:
            if name in self._indices:
                existing = self._indices[name]
                raise SearchError(
                    400,
                    "resource_already_exists_exception",
                    f"index [{name}/{existing.uuid}] already exists",
                    index=name,
                    index_uuid=existing.uuid,
                )
            index = SearchIndex.create(self.data_dir / name, name, mapping, settings)
            self._indices[name] = index
            return index

    def get_or_create(self, name: str) -> SearchIndex:
        """The index, created with dynamic mapping on first write as OpenSearch auto-creates it."""
        validate_index_name(name)
        with self._lock:
            index = self._indices.get(name)
            if index is None:
                index = SearchIndex.create(self.data_dir / name, name, Mapping.parse(None), {})
                self._indices[name] = index
            return index

    def delete(self, name: str) -> None:
        with self._lock:
            index = self._indices.pop(name, None)
        if index is None:
            raise index_not_found(name)
        index.destroy()

    def refresh_all(self) -> None:
        with self._lock:
            indices = list(self._indices.values())
        for index in indices:
            index.refresh()

    def refresh_due(self) -> None:
        """Refresh each index whose `refresh_interval` has passed since its last refresh (none with -1)."""
        with self._lock:
            indices = list(self._indices.values())
        now = time.monotonic()
        for index in indices:
            interval = index.refresh_interval
            if interval is not None and now - index.refreshed_at >= interval:
                index.refresh()

    def close(self) -> None:
        """Stop refreshing and persist every index."""
        self._stop.set()
        self._refresher.join()
        with self._lock:
            indices = list(self._indices.values())
            self._indices.clear()
        for index in indices:
            index.close()
        self.directory_lock.release()

    def _refresh_loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.refresh_due()
            except Exception:
                log.exception("background refresh failed; retrying in %s s", interval)
