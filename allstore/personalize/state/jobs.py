"""The background workers: imports and trainings take minutes, so they run on their own pool and
quick transitions and deletions never queue behind them. A job that raises fails its resource.

Every resource stays in each transitional status (CREATE PENDING, CREATE IN_PROGRESS, DELETE
PENDING, DELETE IN_PROGRESS, and its latest update's CREATE PENDING and CREATE IN_PROGRESS) for at least ALLSTORE_PERSONALIZE_TRANSITION_SECONDS (default 0.25 s),
so code that does not wait for ACTIVE fails locally as it would on AWS, and notebooks stay fast.
Automatic training counts in hours of ALLSTORE_PERSONALIZE_HOUR_SECONDS (default 3600: the real
clock), so tests can run a 1-day schedule in a second without sleeping a day."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from allstore.personalize.errors import JobFailed
from allstore.personalize.state.kinds import UpdateSummary
from allstore.personalize.state.resources import Resource, ResourceStore
from allstore.workshop.statuses import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_STOPPED,
    CREATE_STOPPING,
    DELETE_IN_PROGRESS,
)

logger = logging.getLogger(__name__)
TRANSITION_VARIABLE = "ALLSTORE_PERSONALIZE_TRANSITION_SECONDS"
DEFAULT_TRANSITION_SECONDS = 0.25
HOUR_VARIABLE = "ALLSTORE_PERSONALIZE_HOUR_SECONDS"
DEFAULT_HOUR_SECONDS = 3600.0


def transition_seconds() -> float:
    """How long each transitional status lasts at least (the variable, else the default)."""
    try:
        return max(0.0, float(os.environ.get(TRANSITION_VARIABLE, DEFAULT_TRANSITION_SECONDS)))
    except ValueError:
        return DEFAULT_TRANSITION_SECONDS


def hour_seconds() -> float:
    """How many seconds an hour of the automatic-training schedule lasts (the variable, else 3600)."""
    try:
        return max(0.001, float(os.environ.get(HOUR_VARIABLE, DEFAULT_HOUR_SECONDS)))
    except ValueError:
        return DEFAULT_HOUR_SECONDS


def failure_reason(label: str, arn: str, error: Exception) -> str:
    """A failed job's failureReason (logged): what the user can act on, never a class name or trace."""
    if isinstance(error, JobFailed | ClientError):  # the reason, as the user can act on it
        reason = str(error)
        logger.warning("%s %s failed: %s", label, arn, reason)
    elif isinstance(error, MemoryError):
        reason = f"Out of memory ({error})" if str(error) else "Out of memory"
        logger.warning("%s %s failed: %s", label, arn, reason)
    else:
        reason = "Internal failure; the service's log has the details."
        logger.exception("%s %s failed", label, arn)
    return reason


class Jobs:
    """Runs work in the background and moves resources through their creation statuses."""

    def __init__(self, resources: ResourceStore, workers: int = 2) -> None:
        self.resources = resources
        self.pause = transition_seconds()
        self._long = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="personalize-job")
        # Quick work mostly waits out the transitions: enough threads that creations do not queue.
        self._quick = ThreadPoolExecutor(max_workers=8, thread_name_prefix="personalize-quick")
        self._closing = threading.Event()
        self._timers: list[threading.Thread] = []

    def every(self, interval: float, work: Callable[[], None]) -> None:
        """Run `work` now and then every `interval` seconds until close (a failure is logged and the
        next round runs anyway)."""

        def loop() -> None:
            while not self._closing.is_set():
                try:
                    work()
                except Exception:
                    logger.exception("periodic work failed")
                self._closing.wait(interval)

        timer = threading.Thread(target=loop, name="personalize-timer", daemon=True)
        self._timers.append(timer)
        timer.start()

    def run(self, work: Callable[[], None], long: bool = False) -> None:
        def run() -> None:
            try:
                work()
            except Exception:
                logger.exception("background work failed")

        (self._long if long else self._quick).submit(run)

    def activate(
        self, kind: type[Resource], arn: str, work: Callable[[], None] | None = None, long: bool = False
    ) -> None:
        """CREATE PENDING → CREATE IN_PROGRESS → ACTIVE in the background, or CREATE FAILED with the
        error as failureReason; a resource stopped meanwhile (CREATE STOPPING) ends CREATE STOPPED."""

        def run() -> None:
            time.sleep(self.pause)
            if self._stopped(kind, arn, CREATE_IN_PROGRESS):
                return
            started = time.monotonic()
            try:
                if work is not None:
                    work()
                time.sleep(max(0.0, self.pause - (time.monotonic() - started)))
            except Exception as error:
                self._stopped(kind, arn, CREATE_FAILED, failure_reason=failure_reason(kind.label, arn, error))
                return
            self._stopped(kind, arn, ACTIVE)

        self.run(run, long)

    def update(
        self,
        kind: type[Resource],
        arn: str,
        member: str,
        summary: UpdateSummary,
        prepare: Callable[[], Callable[[], None]],
        long: bool = False,
    ) -> None:
        """A resource's latest update (its field `member`, already set to `summary`) CREATE PENDING →
        CREATE IN_PROGRESS → ACTIVE, each for at least the transition time, or CREATE FAILED with the
        error as failureReason. `prepare` does the work while IN_PROGRESS (e.g. a retraining) and
        returns what applies the change, called as the update turns ACTIVE: the resource keeps
        serving its previous configuration until then, as the service's does."""

        def run() -> None:
            time.sleep(self.pause)
            self.resources.update(kind, arn, **{member: summary.finished(CREATE_IN_PROGRESS)})
            started = time.monotonic()
            try:
                apply = prepare()
                time.sleep(max(0.0, self.pause - (time.monotonic() - started)))
                apply()
                self.resources.update(kind, arn, **{member: summary.finished(ACTIVE)})
            except Exception as error:
                failed = summary.failed(failure_reason(kind.label, arn, error))
                self.resources.update(kind, arn, **{member: failed})

        self.run(run, long)

    def delete(self, kind: type[Resource], arn: str, finish: Callable[[], None]) -> None:
        """DELETE PENDING (already set) → DELETE IN_PROGRESS → gone, by `finish`, in the background."""

        def run() -> None:
            time.sleep(self.pause)
            self.resources.update(kind, arn, status=DELETE_IN_PROGRESS)
            time.sleep(self.pause)
            finish()

        self.run(run)

    def _stopped(self, kind: type[Resource], arn: str, status: str, **changes: str) -> bool:
        """Move to `status`, unless the resource is being stopped: then to CREATE STOPPED (True)."""
        with self.resources.lock:
            if self.resources.get(kind, arn).status == CREATE_STOPPING:
                self.resources.update(kind, arn, status=CREATE_STOPPED)
                return True
            self.resources.update(kind, arn, status=status, **changes)
            return False

    def close(self) -> None:
        """Finish the running jobs (queued ones are dropped: the next start marks them interrupted)."""
        self._closing.set()
        for timer in self._timers:
            timer.join()
        for executor in (self._quick, self._long):
            executor.shutdown(wait=True, cancel_futures=True)
