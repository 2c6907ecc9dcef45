"""Test your own programs against gpujobs' sandbox: every provider's wire format
on a free loopback port, offline, the same emulation gpujobs' own tests use.

>>> from gpujobs.testing import sandbox
>>> with sandbox() as sb:                              # doctest: +SKIP
...     client = sb.client("ray")
...     job = client.submit("python train.py")
...     client.wait(job.id).status
<JobStatus.SUCCEEDED: 'succeeded'>

Faults are switched on with ``sb.inject("status:503", provider="ray", times=2)``
(see ``Sandbox.inject``) and off with ``sb.clear_faults()``.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Dict, Iterator, Optional

from . import AsyncClient, Client
from ._gpujobs import Sandbox as _Sandbox

__all__ = ["Sandbox", "sandbox"]


class Sandbox(_Sandbox):
    """A running sandbox; ``close()`` stops it (a ``with`` block does)."""

    def client(self, provider: str, **settings: Any) -> Client:
        """A blocking client of ``provider``'s emulation."""
        return Client(provider, **self._settings(provider), **settings)

    def async_client(self, provider: str, **settings: Any) -> AsyncClient:
        """An asyncio client of ``provider``'s emulation."""
        return AsyncClient(provider, **self._settings(provider), **settings)

    def _settings(self, provider: str) -> Dict[str, Any]:
        settings: Dict[str, Any] = {"base_url": self.url(provider)}
        token = self.token(provider)
        if token is not None:
            settings["token"] = token
        if provider == "slurm":
            settings["user"] = "sandbox"
        return settings

    @contextlib.contextmanager
    def environ(self, provider: str) -> Iterator[Dict[str, str]]:
        """Sets the variables that point ``from_env`` clients (and the
        ``gpujobs`` CLI) at ``provider``'s emulation, for the ``with`` block."""
        variables = dict(self.env(provider))
        saved = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
        try:
            yield variables
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sandbox(*, pace: str = "fast", empty: bool = False, seed: Optional[int] = None,
            slurm_release: Optional[str] = None, slurm_min_job_age: Optional[float] = None,
            slurm_accounting: bool = True) -> Sandbox:
    """Starts a sandbox (use it in a ``with`` block). ``pace="fast"``: a job ends
    about 0.3 s after it is submitted; ``empty``: no sample jobs to start with;
    ``slurm_min_job_age``: seconds after its end that Slurm forgets a job (then
    only its accounting knows it, unless ``slurm_accounting=False``)."""
    return Sandbox(pace=pace, empty=empty, seed=seed, slurm_release=slurm_release,
                   slurm_min_job_age=slurm_min_job_age, slurm_accounting=slurm_accounting)
