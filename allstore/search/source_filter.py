"""`_source` filtering: which parts of a stored document a search or get returns."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from allstore.search.errors import parsing_error


@dataclass(frozen=True)
class SourceFilter:
    """`enabled` False drops `_source`; otherwise keep paths matching `includes` (all when empty)
    and not matching `excludes`. Patterns are dotted paths with `*` wildcards; a pattern matching
    an object keeps everything under it."""

    enabled: bool = True
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls, spec: Any, includes_param: str | None = None, excludes_param: str | None = None
    ) -> SourceFilter:
        """From a body's `_source` value and/or the `_source`, `_source_includes`, `_source_excludes` URL params."""
        includes: list[str] = []
        excludes: list[str] = []
        enabled = True
        if spec is None or isinstance(spec, bool):
            enabled = spec is not False
        elif isinstance(spec, str):
            if spec.lower() in ("true", "false"):
                enabled = spec.lower() == "true"
            else:
                includes = [part for part in spec.split(",") if part]
        elif isinstance(spec, list) and all(isinstance(item, str) for item in spec):
            includes = list(spec)
        elif isinstance(spec, dict):
            includes = _patterns(spec.get("includes", spec.get("include")))
            excludes = _patterns(spec.get("excludes", spec.get("exclude")))
        else:
            raise parsing_error("[_source] must be a boolean, a string, a list of strings or an object")
        if includes_param:
            includes += [part for part in includes_param.split(",") if part]
        if excludes_param:
            excludes += [part for part in excludes_param.split(",") if part]
        return cls(enabled, tuple(includes), tuple(excludes))

    def apply(self, source: dict[str, Any]) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        if not self.includes and not self.excludes:
            return source
        return self._filter(source, "")

    def _filter(self, value: dict[str, Any], prefix: str) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for key, inner in value.items():
            path = f"{prefix}{key}"
            if _matches(path, self.excludes):
                continue
            if not self.includes or _matches(path, self.includes):
                kept[key] = inner if not self.excludes else _drop_excluded(inner, path, self)
            elif isinstance(inner, dict) and _may_contain(path, self.includes):
                nested = self._filter(inner, f"{path}.")
                if nested:
                    kept[key] = nested
        return kept


def _drop_excluded(value: Any, path: str, source_filter: SourceFilter) -> Any:
    if not isinstance(value, dict):
        return value
    return {
        key: _drop_excluded(inner, f"{path}.{key}", source_filter)
        for key, inner in value.items()
        if not _matches(f"{path}.{key}", source_filter.excludes)
    }


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) or path.startswith(f"{pattern}.") for pattern in patterns)


def _may_contain(path: str, patterns: tuple[str, ...]) -> bool:
    """Whether some pattern could match a path below `path` (so the object is worth descending into)."""
    return any(pattern.startswith(f"{path}.") or pattern.startswith("*") for pattern in patterns)


def _patterns(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise parsing_error("[_source] includes/excludes must be a string or a list of strings")
