"""The background workers: imports and trainings take minutes, so they run on their own pool and
quick transitions and deletions never queue behind them. A job that raises fails its resource."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

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
                reason = str(error) if isinstance(error, JobFailed) else f"{type(error).__name__}: {error}"
                logger.warning("%s %s failed: %s", kind.label, arn, reason)
                self.resources.update(kind, arn, status=CREATE_FAILED, failure_reason=reason)
                return
            self.resources.update(kind, arn, status=ACTIVE)

        self.run(run, long)

    def close(self) -> None:
        """Finish the running jobs (queued ones are dropped: the next start marks them interrupted)."""
        for executor in (self._quick, self._long):
            executor.shutdown(wait=True, cancel_futures=True)
