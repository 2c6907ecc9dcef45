"""gpujobs: one typed, dependable client for GPU jobs on PPIO, openYuanrong, Ray,
Matpool, TensorPool and Slurm — the Rust core, from Python.

>>> import gpujobs
>>> client = gpujobs.Client.from_env("ray")            # doctest: +SKIP
>>> job = client.submit(["python", "train.py"])         # doctest: +SKIP
>>> client.wait(job.id, timeout=3600).status            # doctest: +SKIP
<JobStatus.SUCCEEDED: 'succeeded'>
"""

from __future__ import annotations

from typing import Any

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
    def from_env(cls, provider: str, **settings: Any) -> Any:
        """A client of ``provider`` from the variables the ``gpujobs`` CLI reads
        (``RAY_API_SERVER_ADDRESS``, ``SLURMRESTD_URL`` and ``SLURM_JWT``, ...);
        ``settings`` override them."""
        return cls(provider, from_env=True, **settings)

    @classmethod
    def ray(cls, base_url: str, **settings: Any) -> Any:
        """A client of a Ray cluster's dashboard (``http://127.0.0.1:8265``)."""
        return cls("ray", base_url=base_url, **settings)

    @classmethod
    def yuanrong(cls, base_url: str, **settings: Any) -> Any:
        """A client of an openYuanrong cluster."""
        return cls("yuanrong", base_url=base_url, **settings)

    @classmethod
    def slurm(cls, base_url: str, token: str, **settings: Any) -> Any:
        """A client of a slurmrestd (``token``: what ``scontrol token`` prints)."""
        return cls("slurm", base_url=base_url, token=token, **settings)

    @classmethod
    def ppio(cls, token: str, **settings: Any) -> Any:
        """A client of PPIO's GPU API."""
        return cls("ppio", token=token, **settings)

    @classmethod
    def matpool(cls, token: str, **settings: Any) -> Any:
        """A client of Matpool's PaaS API."""
        return cls("matpool", token=token, **settings)

    @classmethod
    def tensorpool(cls, token: str, **settings: Any) -> Any:
        """A client of TensorPool."""
        return cls("tensorpool", token=token, **settings)


class Client(_Constructors, _Client):
    """A blocking client of one provider; calls release the GIL, and Ctrl-C stops them."""


class AsyncClient(_Constructors, _AsyncClient):
    """An asyncio client of one provider: the methods of ``Client``, awaitable."""
