"""The status model: one ``str`` enum over every provider's states (and the
base it shares with ``ray_compat``'s, Ray's own names)."""

from __future__ import annotations

from enum import Enum

__all__ = ["JobStatus"]


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
