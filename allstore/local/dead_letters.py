"""Stream records whose retries ran out, kept in the state directory with their whole payload.

On AWS the on-failure queue receives only a description of a failed batch (shard, first and last
sequence numbers), and the records stay readable in the stream for its retention period. Locally
the streams live in moto's memory and are gone after a restart, so the store keeps each failed
batch here — the description the queue got and the records themselves — in one file replaced whole
on every change (`<state-dir>/dead-letters.json`). On start the on-failure queues, which are in
moto's memory too, are filled again from it, so the dead-letter queue survives a restart.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from allstore.state_dir import write_atomically

log = logging.getLogger(__name__)

FILE_NAME = "dead-letters.json"


class DeadLetters:
    """`add(queue_arn, document, records)` keeps a failed batch; `entries()` lists every one kept."""

    def __init__(self, state_dir: Path, send_to_queue: Callable[[str, dict[str, Any]], None]) -> None:
        self.path = state_dir / FILE_NAME
        self._send_to_queue = send_to_queue
        self._lock = threading.Lock()

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return json.loads(self.path.read_text(encoding="utf-8"))

    def add(self, queue_arn: str | None, document: dict[str, Any], records: list[dict[str, Any]]) -> None:
        """Keep the batch on disk first, then describe it on the queue (as Lambda does) when there is one."""
        with self._lock:
            entries = self.entries()
            entries.append({"queue": queue_arn, "document": document, "records": records})
            write_atomically(self.path, json.dumps(entries, indent=1))
        log.error("%d failed record(s) kept with their payload in %s", len(records), self.path)
        if queue_arn:
            self._send_to_queue(queue_arn, document)

    def refill_queues(self) -> int:
        """Send every kept description to its queue again (a fresh moto has empty queues); how many."""
        sent = 0
        for entry in self.entries():
            if entry.get("queue"):
                self._send_to_queue(entry["queue"], entry["document"])
                sent += 1
        return sent
