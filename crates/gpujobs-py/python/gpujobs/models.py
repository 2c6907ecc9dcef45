"""The status model: one ``str`` enum over every provider's states (and the
base it shares with ``ray_compat``'s, Ray's own names)."""

from __future__ import annotations

from enum import Enum

__all__ = ["Cause", "JobStatus"]


class _Statuses(str, Enum):
    """A ``str`` enum of job statuses: ``str()`` is the value; a subclass
    names the values that are ends (``_ends``)."""

    def __str__(self) -> str:
        return self.value

    def is_terminal(self) -> bool:
        """Whether a job in this status has ended."""
        return self.value in self._ends()

    @classmethod
    def _ends(cls) -> "frozenset[str]":
        return frozenset()


class JobStatus(_Statuses):
    """A job's unified status; ``job.provider_status`` keeps the provider's own word.
    ``is_terminal()``: it succeeded, failed or was canceled."""

    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    CANCELING = "canceling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"

    @classmethod
    def _ends(cls) -> "frozenset[str]":
        return frozenset({"succeeded", "failed", "canceled"})


class Cause(str, Enum):
    """Why a job did not succeed, the same words for every provider (``job.cause``;
    ``None`` while it runs or once it succeeded)."""

    EXIT_CODE = "exit_code"
    TIME_LIMIT = "time_limit"
    OUT_OF_MEMORY = "out_of_memory"
    NODE_FAILURE = "node_failure"
    PREEMPTED = "preempted"
    CANCELED = "canceled"
    DEADLINE = "deadline"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value

    def is_infrastructure(self) -> bool:
        """Whether the cause lies outside the job (a node failed, it was preempted):
        the same job may succeed when run again."""
        return self in (Cause.NODE_FAILURE, Cause.PREEMPTED)
