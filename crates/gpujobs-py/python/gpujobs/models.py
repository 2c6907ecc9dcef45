"""The status model: one ``str`` enum over every provider's states."""

from __future__ import annotations

from enum import Enum

__all__ = ["JobStatus"]


class JobStatus(str, Enum):
    """A job's unified status; ``job.provider_status`` keeps the provider's own word."""

    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    CANCELING = "canceling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"

    def is_terminal(self) -> bool:
        """Whether a job in this status has ended (succeeded, failed or canceled)."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)

    def __str__(self) -> str:
        return self.value
