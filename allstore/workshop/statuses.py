"""The status strings Amazon Personalize reports, in one place for the local service, the local
store's bootstrap and the workshop's waiting code (stdlib only, so notebooks import it anywhere)."""

from __future__ import annotations

CREATE_PENDING = "CREATE PENDING"
CREATE_IN_PROGRESS = "CREATE IN_PROGRESS"
ACTIVE = "ACTIVE"
CREATE_FAILED = "CREATE FAILED"
DELETE_PENDING = "DELETE PENDING"
DELETE_IN_PROGRESS = "DELETE IN_PROGRESS"
CREATE_STOPPING = "CREATE STOPPING"  # StopSolutionVersionCreation: the training is being cut off
CREATE_STOPPED = "CREATE STOPPED"
# Recommenders can also be stopped (no charge, no recommendations) and started again.
STOP_PENDING = "STOP PENDING"
STOP_IN_PROGRESS = "STOP IN_PROGRESS"
INACTIVE = "INACTIVE"
START_PENDING = "START PENDING"
START_IN_PROGRESS = "START IN_PROGRESS"
# Still changing: wait for it.
IN_PROGRESS = frozenset(
    {
        CREATE_PENDING,
        CREATE_IN_PROGRESS,
        CREATE_STOPPING,
        "UPDATE PENDING",
        "UPDATE IN_PROGRESS",
        STOP_PENDING,
        STOP_IN_PROGRESS,
        START_PENDING,
        START_IN_PROGRESS,
    }
)


def being_deleted(status: str) -> bool:
    """DELETE PENDING or DELETE IN_PROGRESS: the resource is going away."""
    return status.startswith("DELETE")
