"""gpujobs: one typed, dependable client for GPU jobs on PPIO, openYuanrong, Ray,
Matpool, TensorPool and Slurm — the Rust core, from Python.

>>> import gpujobs
>>> client = gpujobs.Client.from_env("ray")            # doctest: +SKIP
>>> job = client.submit(["python", "train.py"])         # doctest: +SKIP
>>> client.wait(job.id, timeout=3600).status            # doctest: +SKIP
<JobStatus.SUCCEEDED: 'succeeded'>
"""

from __future__ import annotations

# `typing` is for type checkers only: importing it costs a fresh process about
# 5 ms, a third of `import gpujobs` (BENCHMARKS.md §9).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Type, TypeVar

    _C = TypeVar("_C")

from . import errors
from ._gpujobs import (
    AsyncClient as _AsyncClient,
    CancelResult,
    Client as _Client,
    Job,
    SensitiveUrl,
    Stream,
    __version__,
    providers,
)
from .errors import *  # noqa: F401,F403 (the exceptions, at the top level too)
from .models import JobStatus

__all__ = [
    "AsyncClient",
    "CancelResult",
    "Client",
    "Job",
    "JobStatus",
    "SensitiveUrl",
    "Stream",
    "__version__",
    "errors",
    "providers",
    *errors.__all__,
]


class _Constructors:
    """Constructors for each provider, and from the environment."""

    @classmethod
    def from_env(cls: Type[_C], provider: str, **settings: Any) -> _C:
        """A client of ``provider`` from the variables the ``gpujobs`` CLI reads
        (``RAY_API_SERVER_ADDRESS``, ``SLURMRESTD_URL`` and ``SLURM_JWT``, ...);
        ``settings`` override them."""
        make: Any = cls  # the class it is mixed into
        return make(provider, from_env=True, **settings)

    @classmethod
    def ray(cls: Type[_C], base_url: str, **settings: Any) -> _C:
        """A client of a Ray cluster's dashboard (``http://127.0.0.1:8265``)."""
        make: Any = cls  # the class it is mixed into
        return make("ray", base_url=base_url, **settings)

    @classmethod
    def yuanrong(cls: Type[_C], base_url: str, **settings: Any) -> _C:
        """A client of an openYuanrong cluster."""
        make: Any = cls  # the class it is mixed into
        return make("yuanrong", base_url=base_url, **settings)

    @classmethod
    def slurm(cls: Type[_C], base_url: str, token: str, **settings: Any) -> _C:
        """A client of a slurmrestd (``token``: what ``scontrol token`` prints)."""
        make: Any = cls  # the class it is mixed into
        return make("slurm", base_url=base_url, token=token, **settings)

    @classmethod
    def ppio(cls: Type[_C], token: str, **settings: Any) -> _C:
        """A client of PPIO's GPU API."""
        make: Any = cls  # the class it is mixed into
        return make("ppio", token=token, **settings)

    @classmethod
    def matpool(cls: Type[_C], token: str, **settings: Any) -> _C:
        """A client of Matpool's PaaS API."""
        make: Any = cls  # the class it is mixed into
        return make("matpool", token=token, **settings)

    @classmethod
    def tensorpool(cls: Type[_C], token: str, **settings: Any) -> _C:
        """A client of TensorPool."""
        make: Any = cls  # the class it is mixed into
        return make("tensorpool", token=token, **settings)


class Client(_Constructors, _Client):
    """A blocking client of one provider; calls release the GIL, and Ctrl-C stops them."""


class AsyncClient(_Constructors, _AsyncClient):
    """An asyncio client of one provider: the methods of ``Client``, awaitable."""
