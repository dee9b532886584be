"""The background workers: imports and trainings take minutes, so they run on their own pool and
quick transitions and deletions never queue behind them. A job that raises fails its resource."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from allstore.personalize.errors import JobFailed
from allstore.personalize.state.resources import Resource, ResourceStore
from allstore.workshop.statuses import ACTIVE, CREATE_FAILED, CREATE_IN_PROGRESS

logger = logging.getLogger(__name__)


class Jobs:
    """Runs work in the background and moves resources through their creation statuses."""

    def __init__(self, resources: ResourceStore, workers: int = 2) -> None:
        self.resources = resources
        self._long = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="personalize-job")
        self._quick = ThreadPoolExecutor(max_workers=2, thread_name_prefix="personalize-quick")

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
        error as failureReason."""

        def run() -> None:
            self.resources.update(kind, arn, status=CREATE_IN_PROGRESS)
            try:
                if work is not None:
                    work()
            except Exception as error:
                if isinstance(error, JobFailed | ClientError):  # the reason, as the user can act on it
                    reason = str(error)
                    logger.warning("%s %s failed: %s", kind.label, arn, reason)
                elif isinstance(error, MemoryError):
                    reason = f"Out of memory ({error})" if str(error) else "Out of memory"
                    logger.warning("%s %s failed: %s", kind.label, arn, reason)
                else:  # never a Python class name or a stack trace in failureReason
                    reason = "Internal failure; the service's log has the details."
                    logger.exception("%s %s failed", kind.label, arn)
                self.resources.update(kind, arn, status=CREATE_FAILED, failure_reason=reason)
                return
            self.resources.update(kind, arn, status=ACTIVE)

        self.run(run, long)

    def close(self) -> None:
        """Finish the running jobs (queued ones are dropped: the next start marks them interrupted)."""
        for executor in (self._quick, self._long):
            executor.shutdown(wait=True, cancel_futures=True)
