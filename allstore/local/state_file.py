"""`stack.json`: the running store's description (URL, endpoints, outputs), read by `allstore local
env` and the notebooks' tooling — kept apart from the store so reading it loads nothing heavy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATE_FILE = "stack.json"


def read_state(state_dir: Path) -> dict[str, Any]:
    """The running (or last) store's description, {} when there is none."""
    path = state_dir / STATE_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def write_state(state_dir: Path, state: dict[str, Any]) -> None:
    """Replace the description atomically, so a reader never sees half a file."""
    path = state_dir / STATE_FILE
    path.with_suffix(".tmp").write_text(json.dumps(state, indent=1), encoding="utf-8")
    path.with_suffix(".tmp").replace(path)
