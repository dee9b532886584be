"""Tags by resource ARN (TagResource, the tags given at creation), persisted one JSON file per ARN."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from allstore.state_dir import arn_filename, write_atomically

Tags = dict[str, str]


class TagStore:
    """`<state>/tags/<arn>.json`: {tagKey: tagValue}."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def _path(self, arn: str) -> Path:
        return self.root / arn_filename(arn, ".json")

    def get(self, arn: str) -> Tags:
        path = self._path(arn)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def replace(self, arn: str, tags: Tags) -> None:
        """The resource's tags become `tags` (a new resource drops any of an earlier one's)."""
        with self._lock:
            if tags:
                write_atomically(self._path(arn), json.dumps(tags, sort_keys=True))
            else:
                self._path(arn).unlink(missing_ok=True)

    def change(self, arn: str, add: Tags, remove: tuple[str, ...] = ()) -> Tags:
        with self._lock:
            tags = {key: value for key, value in {**self.get(arn), **add}.items() if key not in remove}
            write_atomically(self._path(arn), json.dumps(tags, sort_keys=True))
            return tags
