"""pytest fixtures for programs that use gpujobs (installed with the package,
through the ``pytest11`` entry point):

- ``gpujobs_sandbox``: a sandbox for the test, stopped after it;
- ``gpujobs_client``: a function ``(provider, **settings) -> Client`` of that sandbox;
- ``gpujobs_async_client``: the same, giving an ``AsyncClient``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from . import AsyncClient, Client
from .testing import Sandbox, sandbox


@pytest.fixture
def gpujobs_sandbox() -> Iterator[Sandbox]:
    """A sandbox of every provider, empty, at test pace."""
    with sandbox(empty=True) as running:
        yield running


@pytest.fixture
def gpujobs_client(gpujobs_sandbox: Sandbox) -> Callable[..., Client]:
    """``gpujobs_client("ray")``: a client of the test's sandbox."""
    return gpujobs_sandbox.client


@pytest.fixture
def gpujobs_async_client(gpujobs_sandbox: Sandbox) -> Callable[..., AsyncClient]:
    """``gpujobs_async_client("ray")``: an asyncio client of the test's sandbox."""
    return gpujobs_sandbox.async_client
