"""A drop-in for Ray's job client: change one import.

>>> # from ray.job_submission import JobSubmissionClient, JobStatus
>>> from gpujobs.ray_compat import JobSubmissionClient, JobStatus
>>> client = JobSubmissionClient("http://127.0.0.1:8265")      # doctest: +SKIP
>>> job_id = client.submit_job(entrypoint="python script.py",
...                            runtime_env={"working_dir": "./"})  # doctest: +SKIP
>>> client.get_job_status(job_id)                                # doctest: +SKIP
<JobStatus.PENDING: 'PENDING'>

Ray's method names, arguments and return shapes (``JobDetails``, ``JobStatus``,
``tail_job_logs`` as an async iterator), over gpujobs' Rust core: no Ray
import, retries that never submit twice, bounded memory, terminal-safe text.
Failures are ``RuntimeError``s as in Ray (``JobSubmissionError``, which holds
the gpujobs exception as ``error``), but for an unreachable address, which is a
``ConnectionError`` as in Ray.

Where it differs from Ray's client, it says so rather than guess:

* ``address`` is the dashboard's HTTP address (``http://host:8265``); Ray's
  other address forms (``auto``, ``ray://``, a GCS address) need Ray itself and
  raise ``ValueError``. As in Ray, ``RAY_API_SERVER_ADDRESS`` and then
  ``RAY_ADDRESS`` override it.
* ``headers`` may carry ``Authorization: Bearer <token>``; other headers,
  ``cookies``, ``verify`` other than ``True``, ``create_cluster_if_needed`` and
  ``entrypoint_label_selector`` raise ``ValueError``.
* Submitting again with a ``submission_id`` already used by the *same*
  entrypoint returns that job's id (a retried submit never makes a second job);
  with another entrypoint it raises, as Ray does.
* Local files in ``runtime_env`` other than ``working_dir`` (a requirements
  file for ``pip``, a conda YAML, a local ``py_modules`` directory) raise
  ``ValueError``: give package names or URIs.
"""

from __future__ import annotations

import contextlib
import os
from enum import Enum

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` only for type checkers: it slows a fresh process's import
    from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, Union

from . import AsyncClient, RayClient
from . import errors
from .models import _Statuses

__all__ = [
    "DriverInfo",
    "JobDetails",
    "JobErrorType",
    "JobInfo",
    "JobStatus",
    "JobSubmissionClient",
    "JobSubmissionError",
    "JobType",
]

_DEFAULT_ADDRESS = "http://127.0.0.1:8265"


class _Record:
    """Ray's records: fields by name (``None`` when not given), equal by value,
    ``dict()`` as pydantic gives it. Plain classes: ``dataclasses`` would add
    about 11 ms to a fresh process's import."""

    __slots__: "tuple[str, ...]" = ()

    @classmethod
    def _fields(cls) -> "tuple[str, ...]":
        """Every field, the base classes' first."""
        return tuple(name for c in reversed(cls.__mro__) for name in c.__dict__.get("__slots__", ()))

    def __init__(self, **values: "Any") -> None:
        unknown = set(values) - set(self._fields())
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)}")
        for name in self._fields():
            setattr(self, name, values.get(name))

    def dict(self) -> "Dict[str, Any]":
        """The fields, as a dict."""
        return {name: getattr(self, name) for name in self._fields()}

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.dict() == other.dict()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields())
        return f"{type(self).__name__}({fields})"


class JobStatus(_Statuses):
    """A job's status, as Ray names it; ``is_terminal()``: STOPPED, SUCCEEDED or FAILED."""

    @classmethod
    def _ends(cls) -> "frozenset[str]":
        return frozenset({"STOPPED", "SUCCEEDED", "FAILED"})

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class JobErrorType(str, Enum):
    """Why a job failed, as Ray names it."""

    RUNTIME_ENV_SETUP_FAILURE = "RUNTIME_ENV_SETUP_FAILURE"
    JOB_SUPERVISOR_ACTOR_START_TIMEOUT = "JOB_SUPERVISOR_ACTOR_START_TIMEOUT"
    JOB_SUPERVISOR_ACTOR_START_FAILURE = "JOB_SUPERVISOR_ACTOR_START_FAILURE"
    JOB_SUPERVISOR_ACTOR_UNSCHEDULABLE = "JOB_SUPERVISOR_ACTOR_UNSCHEDULABLE"
    JOB_SUPERVISOR_ACTOR_UNKNOWN_FAILURE = "JOB_SUPERVISOR_ACTOR_UNKNOWN_FAILURE"
    JOB_SUPERVISOR_ACTOR_DIED = "JOB_SUPERVISOR_ACTOR_DIED"
    JOB_ENTRYPOINT_COMMAND_START_ERROR = "JOB_ENTRYPOINT_COMMAND_START_ERROR"
    JOB_ENTRYPOINT_COMMAND_ERROR = "JOB_ENTRYPOINT_COMMAND_ERROR"


class _Execution(_Record):
    """The fields of a job's execution that ``JobInfo`` and ``JobDetails`` share."""

    __slots__ = (
        "status", "entrypoint", "message", "start_time", "end_time", "metadata", "runtime_env",
        "driver_agent_http_address", "driver_node_id", "driver_exit_code",
    )
    # When it ran, and how it ended.
    status: JobStatus
    message: Optional[str]
    start_time: Optional[int]
    end_time: Optional[int]
    driver_exit_code: Optional[int]
    # What it ran, and where.
    entrypoint: str
    metadata: Optional[Dict[str, str]]
    runtime_env: Optional[Dict[str, Any]]
    driver_agent_http_address: Optional[str]
    driver_node_id: Optional[str]


class JobInfo(_Execution):
    """Ray's record of a job and its execution (what ``JobDetails`` extends)."""

    __slots__ = (
        "error_type", "entrypoint_num_cpus", "entrypoint_num_gpus", "entrypoint_memory",
        "entrypoint_resources",
    )
    error_type: Optional[JobErrorType]
    entrypoint_num_cpus: Optional[Union[int, float]]
    entrypoint_num_gpus: Optional[Union[int, float]]
    entrypoint_memory: Optional[int]
    entrypoint_resources: Optional[Dict[str, float]]


class JobType(str, Enum):
    """How a job was started."""

    SUBMISSION = "SUBMISSION"
    DRIVER = "DRIVER"


class DriverInfo(_Record):
    """The driver process of a job."""

    __slots__ = ("id", "node_ip_address", "pid")
    id: str
    node_ip_address: str
    pid: str


class JobDetails(_Execution):
    """A job as Ray's ``GET /api/jobs/{id}`` describes it (Ray's fields, Ray's types)."""

    __slots__ = ("type", "job_id", "submission_id", "driver_info", "error_type")
    type: JobType
    job_id: Optional[str]
    submission_id: Optional[str]
    driver_info: Optional[DriverInfo]
    error_type: Optional[str]

    @classmethod
    def _from_record(cls, record: "Dict[str, Any]") -> "JobDetails":
        fields = {k: v for k, v in record.items() if k in cls._fields()}
        fields["type"] = JobType(fields.get("type") or "SUBMISSION")
        fields["status"] = JobStatus(fields["status"])
        driver = fields.get("driver_info")
        if isinstance(driver, dict):
            fields["driver_info"] = DriverInfo(
                id=str(driver.get("id", "")),
                node_ip_address=str(driver.get("node_ip_address", "")),
                pid=str(driver.get("pid", "")),
            )
        return cls(**fields)


class JobSubmissionError(RuntimeError):
    """A request to the job server failed (Ray raises a ``RuntimeError`` too).
    ``error`` is the gpujobs exception, with its kind, status and request id."""

    def __init__(self, message: str, error: Optional[errors.GpujobsError] = None):
        super().__init__(message)
        self.error = error

    @property
    def status(self) -> Optional[int]:
        """The HTTP status, when there was an answer."""
        return None if self.error is None else self.error.status


def _ray_error(error: errors.GpujobsError, job_id: Optional[str] = None) -> Exception:
    """A gpujobs exception as Ray's client would raise it."""
    if isinstance(error, errors.TransportError):
        return error  # a ConnectionError, as Ray raises for an unreachable address
    if isinstance(error, errors.InvalidRequestError) and error.status is None:
        return error  # refused before anything was sent: a ValueError, as Ray raises for bad arguments
    if isinstance(error, errors.NotFoundError) and job_id is not None:
        message = f"Job {job_id} does not exist"
    elif error.status is not None:
        # Ray's words around the server's own.
        message = f"Request failed with status code {error.status}: {error.provider_message}."
    else:
        message = str(error)
    return JobSubmissionError(message, error)


@contextlib.contextmanager
def _as_ray(job_id: Optional[str] = None) -> Iterator[None]:
    """Raises gpujobs' exceptions as Ray's client would."""
    try:
        yield
    except errors.GpujobsError as e:
        raise _ray_error(e, job_id) from e


def _address(address: Optional[str]) -> str:
    # As Ray: the environment overrides the argument.
    address = (
        os.environ.get("RAY_API_SERVER_ADDRESS")
        or os.environ.get("RAY_ADDRESS")
        or address
        or _DEFAULT_ADDRESS
    )
    if not address.startswith(("http://", "https://")):
        raise ValueError(
            f"gpujobs.ray_compat needs the Ray dashboard's HTTP address "
            f"(e.g. {_DEFAULT_ADDRESS}), not {address!r}: Ray's other address forms need Ray itself"
        )
    return address.rstrip("/")


def _shown(address: str) -> str:
    """The address without a user or password in it."""
    scheme, _, rest = address.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host.rpartition('@')[2]}{slash}{path}"


def _token(headers: Optional[Dict[str, Any]]) -> Optional[str]:
    if not headers:
        return None
    other = [k for k in headers if k.lower() != "authorization"]
    auth = next((str(v) for k, v in headers.items() if k.lower() == "authorization"), None)
    if other or (auth is not None and not auth.startswith("Bearer ")):
        raise ValueError(
            "gpujobs.ray_compat sends only an `Authorization: Bearer <token>` header; "
            f"it cannot send {sorted(other) or ['Authorization: ' + '<not a bearer token>']}"
        )
    return None if auth is None else auth[len("Bearer ") :]


class JobSubmissionClient:
    """Ray's ``ray.job_submission.JobSubmissionClient``, over gpujobs.

    The same constructor and methods; see the module's notes for where it
    refuses what it cannot do the same way.
    """

    def __init__(
        self,
        address: Optional[str] = None,
        create_cluster_if_needed: bool = False,
        cookies: Optional[Dict[str, Any]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        headers: Optional[Dict[str, Any]] = None,
        verify: Optional[Union[str, bool]] = True,
        **kwargs: Any,
    ):
        if address is not None and not isinstance(address, str):
            raise TypeError(f"address must be a string, got {type(address)}")
        if metadata is not None and not isinstance(metadata, dict):
            raise TypeError(f"metadata must be a dict, got {type(metadata)}")
        refused = [
            name
            for name, given in (
                ("create_cluster_if_needed", create_cluster_if_needed),
                ("cookies", cookies),
                ("verify", verify is not True),
                *((name, True) for name in kwargs),
            )
            if given
        ]
        if refused:
            raise ValueError(f"gpujobs.ray_compat cannot honour {', '.join(refused)}")
        self._address = _address(address)
        self._default_metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
        self._async: "Optional[AsyncClient]" = None
        settings: Dict[str, Any] = {"base_url": self._address, "allow_insecure_http": True}
        token = _token(headers)
        if token is not None:
            settings["token"] = token
        self._settings = settings
        with _as_ray():
            self._client = RayClient(**settings)
            try:
                # As Ray's client: the connection is checked here, an unreachable
                # address a ConnectionError at once, in Ray's words.
                self._client.version()
            except errors.TransportError as e:
                raise ConnectionError(f"Failed to connect to Ray at address: {_shown(self._address)}.") from e

    def get_address(self) -> str:
        """The job server's address."""
        return self._address

    def get_version(self) -> str:
        """The Jobs API version (e.g. ``"4"``)."""
        with _as_ray():
            return self._client.version()[0]

    def submit_job(
        self,
        *,
        entrypoint: str,
        job_id: Optional[str] = None,
        runtime_env: Optional[Dict[str, Any]] = None,
        metadata: Optional[Dict[str, str]] = None,
        submission_id: Optional[str] = None,
        entrypoint_num_cpus: Optional[Union[int, float]] = None,
        entrypoint_num_gpus: Optional[Union[int, float]] = None,
        entrypoint_memory: Optional[int] = None,
        entrypoint_resources: Optional[Dict[str, float]] = None,
        entrypoint_label_selector: Optional[Dict[str, str]] = None,
    ) -> str:
        """Submits a job; its submission id. A local ``runtime_env["working_dir"]``
        is zipped and uploaded as Ray's client does (once per content)."""
        if not isinstance(entrypoint, str):
            raise TypeError(f"entrypoint must be a string, got {type(entrypoint)}")
        if runtime_env is not None and not isinstance(runtime_env, dict):
            raise TypeError(f"runtime_env must be a dict, got {type(runtime_env)}")
        if entrypoint_label_selector:
            raise ValueError("gpujobs.ray_compat cannot honour entrypoint_label_selector")
        env = dict(runtime_env or {})
        env_vars = env.pop("env_vars", None) or {}
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in env_vars.items()):
            raise TypeError("runtime_env['env_vars'] must be a dict of str to str")
        working_dir = env.pop("working_dir", None)
        excludes = env.pop("excludes", None)
        options: Dict[str, Any] = {}
        if entrypoint_resources:
            options["resources"] = dict(entrypoint_resources)
        if excludes:
            options["excludes"] = list(excludes)
        if env:
            options["runtime_env"] = env
        job_metadata = dict(metadata or {})
        job_metadata.update(self._default_metadata)
        with _as_ray():
            job = self._client.submit(
                entrypoint,
                id=submission_id or job_id,
                env=env_vars,
                metadata=job_metadata or None,
                working_dir=None if working_dir is None else os.fspath(working_dir),
                cpus=None if entrypoint_num_cpus is None else float(entrypoint_num_cpus),
                gpus=None if entrypoint_num_gpus is None else float(entrypoint_num_gpus),
                memory_bytes=entrypoint_memory,
                options=options or None,
            )
        return job.id

    def stop_job(self, job_id: str) -> bool:
        """Asks the job to stop; ``False`` if it had already ended."""
        try:
            with _as_ray(job_id):
                return self._client.cancel(job_id).outcome != "already_ended"
        except JobSubmissionError as e:
            # Ray answered `stopped: false` for a job it did not stop: Ray's client says False.
            if isinstance(e.error, errors.ConflictError):
                return False
            raise

    def delete_job(self, job_id: str) -> bool:
        """Deletes a job that has ended (a running job raises)."""
        with _as_ray(job_id):
            return self._client.delete(job_id)

    def get_job_info(self, job_id: str) -> JobDetails:
        """The job's details."""
        with _as_ray(job_id):
            job = self._client.get(job_id)
        return JobDetails._from_record(job.raw or {})

    def list_jobs(self) -> List[JobDetails]:
        """Every job the cluster knows."""
        with _as_ray():
            jobs = self._client.list().collect()
        return [JobDetails._from_record(job.raw or {}) for job in jobs]

    def get_job_status(self, job_id: str) -> JobStatus:
        """The job's status."""
        return self.get_job_info(job_id).status

    def get_job_logs(self, job_id: str) -> str:
        """Everything the job's driver has printed so far."""
        with _as_ray(job_id):
            return self._client.logs(job_id)

    async def tail_job_logs(self, job_id: str) -> AsyncIterator[str]:
        """What the job prints, as it prints it, until it ends."""
        if self._async is None:  # made when first needed: most scripts never tail
            self._async = AsyncClient("ray", **self._settings)
        with _as_ray(job_id):
            async for chunk in self._async.follow_logs(job_id):
                yield chunk
