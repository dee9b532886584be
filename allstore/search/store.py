"""All indices under one data directory, and the periodic refresh that makes writes searchable."""

from __future__ import annotations

import fnmatch
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allstore.search.errors import SearchError, bad_request, index_not_found, unsupported
from allstore.search.index import META_FILE, SearchIndex
from allstore.search.mapping import Mapping
from allstore.search.settings import parse_settings
from allstore.state_dir import DirectoryLock

log = logging.getLogger(__name__)

DEFAULT_REFRESH_SECONDS = 1.0
_INVALID_INDEX_CHARS = re.compile(r'[\\/*?"<>| ,#:]')
CREATE_INDEX_KEYS = frozenset({"mappings", "settings", "aliases"})
ALIAS_KEYS = frozenset(
    {"filter", "routing", "index_routing", "search_routing", "is_write_index", "is_hidden"}
)


@dataclass(frozen=True)
class Target:
    """An index a request reaches, with the filters of the aliases it was reached through (None:
    reached by name, or through an alias without a filter, so nothing is filtered)."""

    index: SearchIndex
    filters: tuple[Any, ...] | None = None


def alias_spec(name: str, spec: Any) -> dict[str, Any]:
    """An alias definition as OpenSearch keeps it: `routing` sets both index and search routing."""
    if spec is None:
        spec = {}
    if not isinstance(spec, dict) or set(spec) - ALIAS_KEYS:
        raise SearchError(400, "parsing_exception", f"[aliases] failed to parse field [{name}]")
    if spec.get("is_hidden") not in (None, False, "false"):
        raise unsupported(f"hidden aliases ([is_hidden] on [{name}])")
    kept = {key: value for key, value in spec.items() if key not in ("routing", "is_hidden")}
    if "routing" in spec:
        kept.setdefault("index_routing", str(spec["routing"]))
        kept.setdefault("search_routing", str(spec["routing"]))
    return kept


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

    def _aliases(self) -> dict[str, dict[str, dict[str, Any]]]:
        """alias → {index name → alias definition}; call with the lock held."""
        found: dict[str, dict[str, dict[str, Any]]] = {}
        for index in self._indices.values():
            for alias, spec in index.aliases.items():
                found.setdefault(alias, {})[index.name] = spec
        return found

    def aliases(self) -> dict[str, dict[str, dict[str, Any]]]:
        with self._lock:
            return self._aliases()

    def _check_alias_name(self, alias: str, index_name: str | None = None) -> None:
        validate_index_name(alias)
        if alias == index_name or alias in self._indices:
            raise SearchError(
                400,
                "invalid_alias_name_exception",
                f"Invalid alias name [{alias}], an index exists with the same name as the alias",
                index=alias,
            )

    def resolve(self, expression: str, **options: Any) -> list[SearchIndex]:
        return [target.index for target in self.targets(expression, **options)]

    def targets(
        self,
        expression: str,
        *,
        allow_no_indices: bool = True,
        ignore_unavailable: bool = False,
        expand_wildcards: str = "open",
        include_aliases: bool = True,
    ) -> list[Target]:
        """The indices an index expression names, as OpenSearch resolves it: comma-separated names
        of indices or aliases, `_all` / `*` / other wildcards (over both; matching nothing is
        allowed unless `allow_no_indices` is false), `-name` exclusions after a wildcard; a missing
        concrete name is index_not_found unless `ignore_unavailable`."""
        with self._lock:
            indices = dict(self._indices)
            aliases = self._aliases()
        chosen: dict[str, tuple[Any, ...] | None] = {}

        def reach(name: str, alias_filter: Any = None, through_alias: bool = False) -> None:
            if not through_alias or alias_filter is None:
                chosen[name] = None  # unfiltered wins, as in OpenSearch
            elif name not in chosen or chosen[name] is not None:
                chosen[name] = (*(chosen.get(name) or ()), alias_filter)

        parts = [part.strip() for part in expression.split(",") if part.strip()] or ["_all"]
        for position, part in enumerate(parts):
            if part.startswith("-") and position > 0:
                for name in fnmatch.filter(list(chosen), part[1:]):
                    chosen.pop(name)
                continue
            if part == "_all" or "*" in part:
                if expand_wildcards == "none":
                    matched: list[str] = []
                elif part == "_all":
                    matched = sorted(indices)
                else:
                    matched = fnmatch.filter(sorted(indices), part)
                    for alias in fnmatch.filter(sorted(aliases), part) if include_aliases else []:
                        for name, spec in aliases[alias].items():
                            reach(name, spec.get("filter"), through_alias=True)
                if not matched and not allow_no_indices and not chosen:
                    raise index_not_found(part)
                for name in matched:
                    reach(name)
            elif part in indices:
                reach(part)
            elif part in aliases:
                for name, spec in aliases[part].items():
                    reach(name, spec.get("filter"), through_alias=True)
            elif not ignore_unavailable:
                raise index_not_found(part)
        if not chosen and not allow_no_indices:
            raise index_not_found(expression)
        return [Target(indices[name], chosen[name]) for name in sorted(chosen)]

    def update_aliases(self, actions: Any) -> None:
        """Apply `POST /_aliases` actions (add, remove, remove_index) all at once, or none of them."""
        if not isinstance(actions, list) or not actions:
            raise SearchError(
                400, "action_request_validation_exception", "Validation Failed: 1: no action requests added;"
            )
        with self._lock:
            planned = {name: dict(index.aliases) for name, index in self._indices.items()}
            removed_indices: set[str] = set()
            for entry in actions:
                if not isinstance(entry, dict) or len(entry) != 1:
                    raise SearchError(
                        400, "parsing_exception", "[aliases] each action is an object with one key"
                    )
                ((kind, spec),) = entry.items()
                if kind not in ("add", "remove", "remove_index") or not isinstance(spec, dict):
                    raise SearchError(400, "parsing_exception", f"[aliases] unknown action [{kind}]")
                names = self._concrete(spec.get("indices", spec.get("index")))
                if kind == "remove_index":
                    removed_indices.update(names)
                    continue
                aliases = spec.get("aliases", spec.get("alias"))
                aliases = [aliases] if isinstance(aliases, str) else aliases
                if not aliases:
                    raise SearchError(
                        400,
                        "action_request_validation_exception",
                        "Validation Failed: 1: [alias] is required;",
                    )
                for name in names:
                    if kind == "add":
                        definition = alias_spec(
                            aliases[0],
                            {
                                k: v
                                for k, v in spec.items()
                                if k not in ("index", "indices", "alias", "aliases")
                            },
                        )
                        for alias in aliases:
                            self._check_alias_name(alias)
                            planned[name][alias] = definition
                    else:
                        matched = [
                            a
                            for a in planned[name]
                            if any(fnmatch.fnmatchcase(a, pattern) for pattern in aliases)
                        ]
                        if not matched and spec.get("must_exist") not in (False, "false"):
                            raise SearchError(
                                404,
                                "aliases_not_found_exception",
                                f"aliases [{','.join(aliases)}] missing",
                                **{"resource.id": ",".join(aliases), "resource.type": "aliases"},
                            )
                        for alias in matched:
                            planned[name].pop(alias)
            self._check_write_indices(planned)
            for name, aliases in planned.items():
                if aliases != self._indices[name].aliases:
                    self._indices[name].set_aliases(aliases)
        for name in removed_indices:
            self.delete(name)

    def _concrete(self, value: Any) -> list[str]:
        """Concrete index names (wildcards over indices only), for alias actions; call with the lock held."""
        patterns = [value] if isinstance(value, str) else value
        if not patterns:
            raise SearchError(
                400, "action_request_validation_exception", "Validation Failed: 1: [index] is required;"
            )
        names: list[str] = []
        for pattern in patterns:
            found = (
                fnmatch.filter(sorted(self._indices), pattern)
                if ("*" in pattern or pattern == "_all")
                else ([pattern] if pattern in self._indices else [])
            )
            if pattern == "_all":
                found = sorted(self._indices)
            if not found:
                raise index_not_found(pattern)
            names.extend(found)
        return names

    @staticmethod
    def _check_write_indices(planned: dict[str, dict[str, dict[str, Any]]]) -> None:
        writers: dict[str, list[str]] = {}
        for name, aliases in planned.items():
            for alias, spec in aliases.items():
                if spec.get("is_write_index") in (True, "true"):
                    writers.setdefault(alias, []).append(name)
        for alias, names in writers.items():
            if len(names) > 1:
                raise SearchError(
                    500,  # as OpenSearch answers it
                    "illegal_state_exception",
                    f"alias [{alias}] has more than one write index [{','.join(sorted(names))}]",
                )

    def single(self, name: str) -> SearchIndex:
        """The one index a document read names: an index, or an alias of exactly one index."""
        with self._lock:
            if name in self._indices:
                return self._indices[name]
            members = self._aliases().get(name)
        if not members:
            raise index_not_found(name, "index_expression")
        if len(members) > 1:
            raise bad_request(
                f"alias [{name}] has more than one index associated with it [{', '.join(sorted(members))}], "
                "can't execute a single index op"
            )
        return self.get(next(iter(members)))

    def write_target(self, name: str, require_alias: bool = False) -> tuple[SearchIndex, str | None]:
        """The index a write to `name` goes to, and the alias's index routing: an alias's write index
        (its only index, or the one with `is_write_index`), else the index, created if missing."""
        with self._lock:
            members = self._aliases().get(name) if name not in self._indices else None
        if members:
            writable = [
                index for index, spec in members.items() if spec.get("is_write_index") in (True, "true")
            ]
            if not writable and len(members) == 1:
                only, spec = next(iter(members.items()))
                writable = [] if spec.get("is_write_index") in (False, "false") else [only]
            if len(writable) != 1:
                raise bad_request(
                    f"no write index is defined for alias [{name}]. The write index may be explicitly disabled "
                    "using is_write_index=false or the alias points to multiple indices without one being "
                    "designated as a write index"
                )
            return self.get(writable[0]), members[writable[0]].get("index_routing")
        if require_alias:
            raise SearchError(
                404,
                "index_not_found_exception",
                f"no such index [{name}] and [require_alias] request flag is [true] and [{name}] is not an alias",
                index=name,
                index_uuid="_na_",
            )
        return self.get_or_create(name), None

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
        aliases = body.get("aliases") or {}
        if not isinstance(aliases, dict):
            raise SearchError(400, "parsing_exception", "[aliases] must be an object")
        aliases = {alias: alias_spec(alias, spec) for alias, spec in aliases.items()}
        for alias in aliases:
            self._check_alias_name(alias, name)
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
            if name in self._aliases():
                raise SearchError(
                    400,
                    "invalid_index_name_exception",
                    f"Invalid index name [{name}], already exists as alias",
                    index=name,
                )
            index = SearchIndex.create(self.data_dir / name, name, mapping, settings)
            index.set_aliases(aliases)
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
