"""Watch the store's child processes and start again the one that dies.

The search server and the Personalize service are children of the runner; when one dies (a crash,
the OOM killer, kill -9), the store would answer 5xx until someone restarted it. The supervisor
checks them a few times a second, says so in one line (the `allstore local up` console), and starts
the dead one again on its port from its saved state, waiting longer after each restart that did
not hold (0.5 s doubling up to 30 s; a child that stays up a minute is forgiven). After a restart
the child's `recovered` hook runs (the search index is reconciled with its table). Function workers
are Lambda's execution environments: an idle one that dies is dropped and a fresh one started.

The stream pollers ask `healthy()` before counting a failed batch as a retry attempt: while a
child is down, records wait in the stream instead of being used up on retries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)

CHECK_SECONDS = 0.2
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
STABLE_SECONDS = 60.0  # up this long after a restart: the next death starts from the first backoff


class Child(Protocol):
    """What the supervisor needs of a child (ServiceProcess has it)."""

    def alive(self) -> bool: ...
    def exit_description(self) -> str: ...
    def restart(self) -> str: ...


class Workers(Protocol):
    """A function's worker pool (FunctionRuntime has it)."""

    def reap(self) -> list[tuple[int, int]]: ...
    def warm(self) -> None: ...


@dataclass
class _Watched:
    name: str
    child: Child
    recovered: Callable[[], None] | None
    failures: int = 0
    down_since: float | None = None
    next_attempt: float = 0.0
    up_since: float = field(default_factory=time.monotonic)


class Supervisor:
    """`watch(...)` each child, `start()`; `healthy()` says whether every child is up right now."""

    def __init__(self, notice: Callable[[str], None]) -> None:
        self._notice = notice
        self._watched: list[_Watched] = []
        self._pools: dict[str, Workers] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._recovered = threading.Condition()
        self.restarts = 0

    def watch(self, name: str, child: Child, recovered: Callable[[], None] | None = None) -> None:
        self._watched.append(_Watched(name, child, recovered))

    def watch_workers(self, name: str, pool: Workers) -> None:
        self._pools[name] = pool

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def healthy(self) -> bool:
        """Every watched child is running (asked of the processes now, not at the last check)."""
        return all(watched.child.alive() for watched in self._watched)

    def wait_until_healthy(self, timeout: float) -> bool:
        """Block until every child is up again (or `timeout`); whether they are."""
        deadline = time.monotonic() + timeout
        with self._recovered:
            while not self.healthy():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stop.is_set():
                    return False
                self._recovered.wait(min(remaining, CHECK_SECONDS))
        return True

    # ------------------------------------------------------------------ the watch loop

    def _run(self) -> None:
        while not self._stop.wait(CHECK_SECONDS):
            for watched in self._watched:
                try:
                    self._check(watched)
                except Exception:  # the watch must go on whatever one restart does
                    log.exception("supervising the %s server failed", watched.name)
            for name, pool in self._pools.items():
                self._check_workers(name, pool)

    def _check(self, watched: _Watched) -> None:
        now = time.monotonic()
        if watched.child.alive():
            if watched.failures and now - watched.up_since > STABLE_SECONDS:
                watched.failures = 0
            return
        if watched.down_since is None:
            watched.down_since = now
            delay = (
                min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**watched.failures)
                if watched.failures
                else 0
            )
            watched.next_attempt = now + delay
            self._notice(
                f"The {watched.name} server died ({watched.child.exit_description()}); "
                + (f"restarting it in {delay:.1f} s." if delay else "restarting it.")
            )
        if now < watched.next_attempt:
            return
        watched.failures += 1
        try:
            url = watched.child.restart()
        except Exception as error:  # e.g. its port was taken meanwhile; try again later
            delay = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**watched.failures)
            watched.next_attempt = time.monotonic() + delay
            self._notice(
                f"The {watched.name} server did not restart ({error}); trying again in {delay:.1f} s."
            )
            return
        self.restarts += 1
        watched.up_since = time.monotonic()
        self._notice(
            f"The {watched.name} server is back at {url} "
            f"({watched.up_since - watched.down_since:.1f} s after it died, restart {watched.failures})."
        )
        watched.down_since = None
        if watched.recovered is not None:
            watched.recovered()
        with self._recovered:
            self._recovered.notify_all()

    def _check_workers(self, name: str, pool: Workers) -> None:
        dead = pool.reap()
        for pid, code in dead:
            how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
            self._notice(f"A worker of {name} (pid {pid}) died ({how}); starting a new one.")
        if dead:
            threading.Thread(target=self._warm, args=(name, pool), name=f"rewarm:{name}", daemon=True).start()

    @staticmethod
    def _warm(name: str, pool: Workers) -> None:
        try:
            pool.warm()
        except Exception:
            log.exception("starting a new worker of %s failed", name)
