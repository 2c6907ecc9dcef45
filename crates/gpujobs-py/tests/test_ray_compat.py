"""gpujobs.ray_compat against the sandbox's Ray: Ray's names, arguments,
return shapes and errors; a local working directory uploaded once."""

import asyncio
import io
import time
import zipfile

import pytest

import gpujobs
from gpujobs.ray_compat import JobDetails, JobStatus, JobSubmissionClient, JobSubmissionError


@pytest.fixture
def ray(sb, monkeypatch):
    monkeypatch.delenv("RAY_API_SERVER_ADDRESS", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    return JobSubmissionClient(sb.url("ray"))


def test_rays_documented_example_runs_with_only_the_import_changed(ray):
    job_id = ray.submit_job(entrypoint="python -c \"print('hello world')\"", metadata={"team": "a"})
    assert isinstance(ray.get_job_status(job_id), JobStatus)
    info = ray.get_job_info(job_id)
    assert isinstance(info, JobDetails) and info.submission_id == job_id
    assert info.metadata == {"team": "a"} and info.entrypoint.startswith("python")
    for _ in range(200):
        if ray.get_job_status(job_id).is_terminal():
            break
        time.sleep(0.05)
    assert ray.get_job_status(job_id) == JobStatus.SUCCEEDED == "SUCCEEDED"
    assert isinstance(ray.get_job_logs(job_id), str)
    assert job_id in [j.submission_id for j in ray.list_jobs()]
    assert ray.stop_job(job_id) is False, "stopping an ended job says it did not stop it"
    assert ray.delete_job(job_id) is True
    assert ray.get_version() == "4" and ray.get_address() == ray._address


def test_failures_are_runtime_errors_as_in_ray(ray):
    with pytest.raises(RuntimeError, match="Job nope does not exist") as caught:
        ray.get_job_info("nope")
    assert isinstance(caught.value, JobSubmissionError)
    assert isinstance(caught.value.error, gpujobs.NotFoundError)
    running = ray.submit_job(entrypoint="sleep forever")
    with pytest.raises(RuntimeError, match="status code 500: Attempted to delete") as refused:
        ray.delete_job(running)  # Ray refuses to delete a running job
    assert str(refused.value).count("500") == 1, "the status said once, as Ray says it"
    assert ray.stop_job(running) is True


def test_an_unreachable_address_is_a_connection_error(monkeypatch):
    monkeypatch.delenv("RAY_API_SERVER_ADDRESS", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(ConnectionError, match=r"Failed to connect to Ray at address: http://127\.0\.0\.1:9\."):
        JobSubmissionClient("http://127.0.0.1:9")  # checked at once, in Ray's words
    with pytest.raises(ConnectionError) as caught:
        JobSubmissionClient("http://me:hunter2@127.0.0.1:9")
    assert "hunter2" not in str(caught.value)


def test_the_environment_overrides_the_address_as_in_ray(sb, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", sb.url("ray"))
    assert JobSubmissionClient("http://127.0.0.1:9").get_address() == sb.url("ray").rstrip("/")


def test_what_it_cannot_do_as_ray_does_is_refused(monkeypatch):
    monkeypatch.delenv("RAY_API_SERVER_ADDRESS", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    for kwargs in ({"cookies": {"a": "b"}}, {"verify": False}, {"headers": {"X-Custom": "1"}},
                   {"create_cluster_if_needed": True}):
        with pytest.raises(ValueError):
            JobSubmissionClient("http://127.0.0.1:8265", **kwargs)
    with pytest.raises(ValueError, match="dashboard's HTTP address"):
        JobSubmissionClient("auto")


def test_tail_job_logs_is_an_async_iterator(ray):
    job_id = ray.submit_job(entrypoint="echo hi")

    async def tail():
        return [chunk async for chunk in ray.tail_job_logs(job_id)]

    chunks = asyncio.run(tail())
    assert all(isinstance(c, str) for c in chunks)


def test_a_local_working_dir_is_zipped_and_sent_once(ray, sb, tmp_path):
    (tmp_path / "train.py").write_text("print('trained')\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "big.bin").write_bytes(b"x" * 1000)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "t.pyc").write_bytes(b"x")
    env = {"working_dir": str(tmp_path), "excludes": ["data/"], "pip": ["requests"]}
    first = ray.submit_job(entrypoint="python train.py", runtime_env=env)
    second = ray.submit_job(entrypoint="python train.py", runtime_env=env)
    puts = [p for m, p in sb.requests() if m == "PUT" and "/api/packages/" in p]
    gets = [p for m, p in sb.requests() if m == "GET" and "/api/packages/" in p]
    assert len(puts) == 1 and len(gets) == 2, sb.requests()
    uri = ray.get_job_info(first).runtime_env["working_dir"]
    assert uri == ray.get_job_info(second).runtime_env["working_dir"]
    assert uri.startswith("gcs://_ray_pkg_") and uri.endswith(".zip")
    package = zipfile.ZipFile(io.BytesIO(sb.ray_package(uri)))
    # Ray's default excludes (__pycache__) and the pattern given (data/) are left out.
    assert package.namelist() == ["train.py"]
    assert package.read("train.py") == b"print('trained')\n"
    # The rest of runtime_env is sent as given; `excludes` was used here.
    assert ray.get_job_info(first).runtime_env == {"working_dir": uri, "pip": ["requests"]}


def test_the_same_directory_changed_is_a_new_package(ray, sb, tmp_path):
    (tmp_path / "a.py").write_text("1")
    first = ray.get_job_info(ray.submit_job(entrypoint="python a.py", runtime_env={"working_dir": str(tmp_path)}))
    (tmp_path / "a.py").write_text("2")
    second = ray.get_job_info(ray.submit_job(entrypoint="python a.py", runtime_env={"working_dir": str(tmp_path)}))
    assert first.runtime_env["working_dir"] != second.runtime_env["working_dir"]


def test_what_ray_reads_locally_is_refused_and_types_are_checked(ray, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("requests\n")
    with pytest.raises(ValueError, match="local file"):
        ray.submit_job(entrypoint="python a.py", runtime_env={"pip": str(requirements)})
    with pytest.raises(TypeError):
        ray.submit_job(entrypoint="python a.py", runtime_env={"env_vars": {"A": 1}})
    with pytest.raises(TypeError, match="entrypoint must be a string"):
        ray.submit_job(entrypoint=["python", "a.py"])
    with pytest.raises(TypeError, match="runtime_env must be a dict"):
        ray.submit_job(entrypoint="python a.py", runtime_env="x")
    assert ray.list_jobs() == [], "nothing was submitted"


def test_everything_ray_job_submission_exports_is_here():
    import gpujobs.ray_compat as compat

    for name in ["JobSubmissionClient", "JobStatus", "JobErrorType", "JobInfo", "JobDetails", "DriverInfo", "JobType"]:
        assert hasattr(compat, name), name
    assert compat.JobErrorType("JOB_ENTRYPOINT_COMMAND_ERROR") == "JOB_ENTRYPOINT_COMMAND_ERROR"


def test_the_deprecated_job_id_is_the_submission_id_as_in_ray(ray):
    assert ray.submit_job(entrypoint="echo hi", job_id="old-style-id") == "old-style-id"
    assert ray.get_job_info("old-style-id").submission_id == "old-style-id"
