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
    AsyncRayClient,
    CancelResult,
    Client as _Client,
    Job,
    RayClient,
    SensitiveUrl,
    Stream,
    AsyncSweep,
    Sweep,
    __version__,
    _constructors,
    providers,
)
from .errors import *  # noqa: F401,F403 (the exceptions, at the top level too)
from .models import Cause, JobStatus

__all__ = [
    "AsyncClient",
    "AsyncRayClient",
    "CancelResult",
    "Cause",
    "Client",
    "Job",
    "JobStatus",
    "RayClient",
    "SensitiveUrl",
    "Stream",
    "AsyncSweep",
    "Sweep",
    "__version__",
    "errors",
    "providers",
    *errors.__all__,
]


def _constructor(name: str, title: str, has_default_url: bool, takes_token: bool) -> "Any":
    """``Client.<name>(...)``, drawn from the provider list: a client of that
    provider, given positionally what it is reached by — its base URL where it
    has no default or takes no credential (a cluster of one's own), then its
    token where it takes one."""
    positional = [p for p, given in (("base_url", not has_default_url or not takes_token), ("token", takes_token)) if given]
    required = [p for p in positional if p == "token" or not has_default_url]

    def make(cls: "Any", *args: "Any", **settings: "Any") -> "Any":
        if len(args) > len(positional):
            raise TypeError(f"{cls.__name__}.{name}() takes at most {len(positional)} positional arguments ({', '.join(positional)})")
        settings.update(zip(positional, args))
        missing = [p for p in required if p not in settings]
        if missing:
            raise TypeError(f"{cls.__name__}.{name}() needs {', '.join(missing)}")
        return cls(name, **settings)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"A client of {title}: {_signature(positional)}."
    return classmethod(make)


def _signature(names: "list[str]") -> str:
    """How a constructor is called, for its docstring."""
    return f"({', '.join(names)}, **settings)" if names else "(**settings)"


class _Constructors:
    """Constructors for each provider (one per provider gpujobs knows), and from the environment."""

    @classmethod
    def from_env(cls: Type[_C], provider: str, **settings: Any) -> _C:
        """A client of ``provider`` from the variables the ``gpujobs`` CLI reads
        (``RAY_API_SERVER_ADDRESS``, ``SLURMRESTD_URL`` and ``SLURM_JWT``, ...);
        ``settings`` override them."""
        make: Any = cls  # the class it is mixed into
        return make(provider, from_env=True, **settings)


for _args in _constructors():
    setattr(_Constructors, _args[0], _constructor(*_args))
del _args


class Client(_Constructors, _Client):
    """A blocking client of one provider; calls release the GIL, and Ctrl-C stops them."""


class AsyncClient(_Constructors, _AsyncClient):
    """An asyncio client of one provider: the methods of ``Client``, awaitable."""
