"""`stack.json`: the running store's description (URL, endpoints, outputs), read by `allstore local
env` and the notebooks' tooling — kept apart from the store so reading it loads nothing heavy."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from allstore.state_dir import write_atomically

STATE_FILE = "stack.json"


def read_state(state_dir: Path) -> dict[str, Any]:
    """The running (or last) store's description, {} when there is none."""
    path = state_dir / STATE_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def write_state(state_dir: Path, state: dict[str, Any]) -> None:
    """Replace the description atomically, so a reader never sees half a file."""
    write_atomically(state_dir / STATE_FILE, json.dumps(state, indent=1))


def is_running(state: dict[str, Any]) -> bool:
    """Whether the store `state` describes is serving now: its runner process still exists."""
    pid = state.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, but belongs to another user
        return True
    return True
