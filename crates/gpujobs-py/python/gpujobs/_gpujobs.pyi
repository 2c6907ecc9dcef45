"""Types of the Rust extension module (checked against the built module by mypy.stubtest)."""

import datetime
import os
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Generic, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union, type_check_only

from typing_extensions import Self, TypedDict, Unpack, disjoint_base, final

from .errors import GpujobsError
from .models import Cause, JobStatus

__version__: str

_T = TypeVar("_T")

@final
class Job:
    """A job, as a provider last reported it. Immutable; `raw` is the provider's own record."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def status(self) -> JobStatus: ...
    @property
    def provider_status(self) -> str: ...
    @property
    def failure_reason(self) -> Optional[str]: ...
    @property
    def exit_code(self) -> Optional[int]: ...
    @property
    def created_at(self) -> Optional[datetime.datetime]: ...
    @property
    def started_at(self) -> Optional[datetime.datetime]: ...
    @property
    def finished_at(self) -> Optional[datetime.datetime]: ...
    @property
    def message(self) -> Optional[str]: ...
    @property
    def cause(self) -> Optional[Cause]: ...
    @property
    def usage(self) -> Optional[Dict[str, Any]]: ...
    @property
    def log_url(self) -> Optional[SensitiveUrl]: ...
    @property
    def raw(self) -> Optional[Dict[str, Any]]: ...
    def is_terminal(self) -> bool: ...
    def to_dict(self, *, raw: bool = False) -> Dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class SensitiveUrl:
    """A URL that may carry a credential: shown redacted; `expose()` gives it whole."""

    def expose(self) -> str: ...

@final
class CancelResult:
    """What a cancel did: `outcome` is "stopped", "accepted" or "already_ended"."""

    @property
    def outcome(self) -> str: ...
    @property
    def job(self) -> Job: ...

@final
class Stream(Generic[_T]):
    """A lazy stream: iterate it (sync or async), or collect it."""

    def __iter__(self) -> Iterator[_T]: ...
    def __next__(self) -> _T: ...
    def __aiter__(self) -> AsyncIterator[_T]: ...
    def __anext__(self) -> Awaitable[_T]: ...
    def collect(self) -> List[_T]: ...
    def collect_async(self) -> Awaitable[List[_T]]: ...

_Command = Union[str, Sequence[str]]
_Ended = Tuple[str, Union[Job, GpujobsError]]
_Tasks = Union[int, range, Sequence[Mapping[str, Union[str, int, float, bool]]]]
_Canceled = Tuple[int, Union[CancelResult, GpujobsError]]

@final
class Sweep:
    """A submitted sweep, from `Client.submit_sweep`: its report, and its status, wait, cancel and retry."""

    @property
    def name(self) -> str: ...
    @property
    def report(self) -> Dict[str, int]: ...
    def status(self) -> Dict[str, Any]: ...
    def wait(
        self, *, timeout: Optional[float] = None, interval: Optional[float] = None, max_interval: Optional[float] = None
    ) -> Stream[_Ended]: ...
    def cancel(self) -> List[_Canceled]: ...
    def retry_failed(self) -> Dict[str, int]: ...

@final
class AsyncSweep:
    """A submitted sweep, from `AsyncClient.submit_sweep`: `Sweep`'s methods, awaitable."""

    @property
    def name(self) -> str: ...
    @property
    def report(self) -> Dict[str, int]: ...
    def status(self) -> Awaitable[Dict[str, Any]]: ...
    def wait(
        self, *, timeout: Optional[float] = None, interval: Optional[float] = None, max_interval: Optional[float] = None
    ) -> Awaitable[Stream[_Ended]]: ...
    def cancel(self) -> Awaitable[List[_Canceled]]: ...
    def retry_failed(self) -> Awaitable[Dict[str, int]]: ...

@type_check_only
class _Limits(TypedDict, total=False):
    """What every client takes: its token, time limits (seconds), retries and answer size."""

    token: Union[str, Callable[[], str], None]
    attempt_timeout: Optional[float]
    operation_timeout: Optional[float]
    connect_timeout: Optional[float]
    max_attempts: Optional[int]
    max_response_bytes: Optional[int]
    allow_insecure_http: bool

@type_check_only
class _ClientSettings(_Limits, total=False):
    """A client's settings: its base URL, the common ones, and the providers' own (Slurm's `user`, `api_version`)."""

    base_url: Optional[str]
    user: Optional[str]
    api_version: Optional[str]

@type_check_only
class _SubmitFields(TypedDict, total=False):
    """A submit's common fields (`None` leaves one unset)."""

    id: Optional[str]
    name: Optional[str]
    env: Optional[Mapping[str, str]]
    metadata: Optional[Mapping[str, str]]
    working_dir: Optional[str]
    cpus: Optional[float]
    gpus: Optional[float]
    memory_bytes: Optional[int]

@type_check_only
class _SweepFields(TypedDict, total=False):
    """A sweep's task fields: a submit's, but `id` and `name`, which the sweep gives."""

    env: Optional[Mapping[str, str]]
    metadata: Optional[Mapping[str, str]]
    working_dir: Optional[str]
    cpus: Optional[float]
    gpus: Optional[float]
    memory_bytes: Optional[int]

@type_check_only
class _Settings:
    """What every client is built from, and what its sync and async forms share (not a class at run time)."""

    def __new__(cls, provider: str, *, from_env: bool = False, **settings: Unpack[_ClientSettings]) -> Self: ...
    @property
    def provider(self) -> str: ...
    def list(
        self,
        *,
        status: Union[str, Sequence[str], None] = None,
        limit: Optional[int] = None,
        page_size: Optional[int] = None,
        since: Union[datetime.datetime, datetime.timedelta, float, None] = None,
    ) -> Stream[Job]: ...
    def follow_logs(self, id: str) -> Stream[str]: ...
    def wait_all(
        self,
        ids: Sequence[str],
        *,
        timeout: Optional[float] = None,
        interval: Optional[float] = None,
        max_interval: Optional[float] = None,
    ) -> Stream[_Ended]: ...

@disjoint_base
class Client(_Settings):
    """A blocking client of one provider."""

    @staticmethod
    def from_context(
        name: Optional[str] = None, *, config: Union[str, os.PathLike[str], None] = None, **settings: Unpack[_ClientSettings]
    ) -> Client:
        """A client of the config file's context `name` (default: `GPUJOBS_CONTEXT`, else its
        `current-context`), the environment and `settings` over it, as the CLI's `--context`."""
        ...

    def get(self, id: str) -> Job: ...
    def cancel(self, id: str) -> CancelResult: ...
    def submit(
        self, command: _Command, *, options: Optional[Mapping[str, Any]] = None, **fields: Unpack[_SubmitFields]
    ) -> Job: ...
    def wait(
        self, id: str, *, timeout: Optional[float] = None, interval: Optional[float] = None, max_interval: Optional[float] = None
    ) -> Job: ...
    def logs(self, id: str) -> str: ...
    def submit_sweep(
        self,
        name: str,
        command: _Command,
        *,
        tasks: _Tasks,
        max_running: Optional[int] = None,
        submit_concurrency: Optional[int] = None,
        timeout: Optional[float] = None,
        options: Optional[Mapping[str, Any]] = None,
        **fields: Unpack[_SweepFields],
    ) -> Sweep: ...

@disjoint_base
class AsyncClient(_Settings):
    """An asyncio client of one provider: the methods of `Client`, awaitable."""

    @staticmethod
    def from_context(
        name: Optional[str] = None, *, config: Union[str, os.PathLike[str], None] = None, **settings: Unpack[_ClientSettings]
    ) -> AsyncClient:
        """A client of the config file's context `name` (default: `GPUJOBS_CONTEXT`, else its
        `current-context`), the environment and `settings` over it, as the CLI's `--context`."""
        ...

    def get(self, id: str) -> Awaitable[Job]: ...
    def cancel(self, id: str) -> Awaitable[CancelResult]: ...
    def submit(
        self, command: _Command, *, options: Optional[Mapping[str, Any]] = None, **fields: Unpack[_SubmitFields]
    ) -> Awaitable[Job]: ...
    def wait(
        self, id: str, *, timeout: Optional[float] = None, interval: Optional[float] = None, max_interval: Optional[float] = None
    ) -> Awaitable[Job]: ...
    def logs(self, id: str) -> Awaitable[str]: ...
    def submit_sweep(
        self,
        name: str,
        command: _Command,
        *,
        tasks: _Tasks,
        max_running: Optional[int] = None,
        submit_concurrency: Optional[int] = None,
        timeout: Optional[float] = None,
        options: Optional[Mapping[str, Any]] = None,
        **fields: Unpack[_SweepFields],
    ) -> Awaitable[AsyncSweep]: ...

@type_check_only
class _RaySettings:
    """What a Ray client is built from (not a class at run time)."""

    def __new__(cls, base_url: Optional[str] = None, *, from_env: bool = False, **settings: Unpack[_Limits]) -> Self: ...

@disjoint_base
class RayClient(_RaySettings, Client):
    """A blocking client of a Ray cluster: `Client`'s methods, and Ray's own."""

    def delete(self, id: str) -> bool: ...
    def version(self) -> Tuple[str, str]: ...

@disjoint_base
class AsyncRayClient(_RaySettings, AsyncClient):
    """An asyncio client of a Ray cluster: `AsyncClient`'s methods, and Ray's own, awaitable."""

    def delete(self, id: str) -> Awaitable[bool]: ...
    def version(self) -> Awaitable[Tuple[str, str]]: ...

@disjoint_base
class Sandbox:
    """A running sandbox of every provider on a loopback port."""

    def __new__(
        cls,
        *,
        pace: str = "fast",
        empty: bool = False,
        seed: Optional[int] = None,
        slurm_release: Optional[str] = None,
        slurm_min_job_age: Optional[float] = None,
        slurm_accounting: bool = True,
    ) -> "Sandbox": ...
    def url(self, provider: str) -> str: ...
    def token(self, provider: str) -> Optional[str]: ...
    def issue_token(self, provider: str, lifespan: float) -> str: ...
    def env(self, provider: str) -> Dict[str, str]: ...
    def add_job(self, provider: str, command: str, *, name: Optional[str] = None, fail: bool = False, age: float = 0.0) -> str: ...
    def inject(
        self,
        fault_name: str,
        *,
        provider: Optional[str] = None,
        job: Optional[str] = None,
        method: Optional[str] = None,
        times: Optional[int] = None,
    ) -> None: ...
    def clear_faults(self) -> None: ...
    def requests(self) -> List[Tuple[str, str]]: ...
    def ray_package(self, uri: str) -> Optional[bytes]: ...
    def close(self) -> None: ...

def providers() -> List[Dict[str, Any]]: ...
def _constructors() -> List[Tuple[str, str, bool, bool]]: ...
