"""Against a real Ray head node: scripts/ray-live.sh runs these (GPUJOBS_LIVE=ray), with
RAY_API_SERVER_ADDRESS pointing at it. Elsewhere they are skipped, saying why."""

import asyncio
import os
import subprocess
import sys
import time
import uuid

import pytest

import gpujobs
from gpujobs import JobStatus

pytestmark = [
    pytest.mark.live_ray,
    pytest.mark.skipif(os.environ.get("GPUJOBS_LIVE") != "ray", reason="needs a real Ray: scripts/ray-live.sh runs these"),
]

# Ray's documented job-SDK example (docs.ray.io, "Python SDK Overview"), word for word but the import.
RAY_SDK_EXAMPLE = '''
from gpujobs.ray_compat import JobSubmissionClient, JobStatus
import time

# If using a remote cluster, replace 127.0.0.1 with the head node's IP address or set up port forwarding.
client = JobSubmissionClient("http://127.0.0.1:8265")
job_id = client.submit_job(
    # Entrypoint shell command to execute
    entrypoint="python script.py",
    # Path to the local directory that contains the script.py file
    runtime_env={"working_dir": "./"}
)
print(job_id)

def wait_until_status(job_id, status_to_wait_for, timeout_seconds=5):
    start = time.time()
    while time.time() - start <= timeout_seconds:
        status = client.get_job_status(job_id)
        print(f"status: {status}")
        if status in status_to_wait_for:
            break
        time.sleep(1)

wait_until_status(job_id, {JobStatus.SUCCEEDED, JobStatus.STOPPED, JobStatus.FAILED})
logs = client.get_job_logs(job_id)
print(logs)
'''

RAY_SCRIPT = '''# script.py
import ray

@ray.remote
def hello_world():
    return "hello world"

ray.init()
print(ray.get(hello_world.remote()))
'''


@pytest.fixture
def ray():
    return gpujobs.Client.from_env("ray")


def fresh(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def test_rays_documented_sdk_example_runs_with_only_the_import_changed(ray, tmp_path):
    (tmp_path / "script.py").write_text(RAY_SCRIPT)
    (tmp_path / "example.py").write_text(RAY_SDK_EXAMPLE)
    run = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    job_id = run.stdout.splitlines()[0]
    assert "status: " in run.stdout
    done = ray.wait(job_id, timeout=120, max_interval=1)
    assert done.status == JobStatus.SUCCEEDED, ray.logs(job_id)
    assert "hello world" in ray.logs(job_id)


def test_submit_wait_logs_and_errors(ray):
    job = ray.submit(["python", "-c", "import os; print('hi', os.environ['WHO'])"], id=fresh("py-ok"), env={"WHO": "python"})
    done = ray.wait(job.id, timeout=120, max_interval=1)
    assert (done.status, done.exit_code) == (JobStatus.SUCCEEDED, 0)
    assert done.finished_at is not None and done.finished_at.tzinfo is not None
    assert "hi python" in ray.logs(job.id)
    with pytest.raises(gpujobs.NotFoundError) as caught:
        ray.get("no-such-job")
    assert isinstance(caught.value, LookupError) and caught.value.provider == "ray"


def test_many_jobs_end_as_they_really_did(ray):
    sweep = fresh("py-sweep")
    codes = {f"{sweep}-{n}": code for n, code in enumerate([0, 0, 4])}
    for job_id, code in codes.items():
        ray.submit(["python", "-c", f"import sys; sys.exit({code})"], id=job_id)
    sleeper = ray.submit("sleep 600", id=f"{sweep}-sleep")
    assert ray.cancel(sleeper.id).outcome in ("stopped", "accepted")
    ends = dict(ray.wait_all([*codes, sleeper.id], timeout=120, max_interval=1))
    for job_id, code in codes.items():
        assert ends[job_id].exit_code == code
        assert ends[job_id].status == (JobStatus.SUCCEEDED if code == 0 else JobStatus.FAILED)
    assert ends[sleeper.id].status == JobStatus.CANCELED


def test_the_async_client_follows_logs_until_the_end():
    async def run():
        client = gpujobs.AsyncClient.from_env("ray")
        job = await client.submit(["python", "-c", "print('tick'); print('tock')"], id=fresh("py-follow"))
        text = "".join([chunk async for chunk in client.follow_logs(job.id)])
        done = await client.wait(job.id, timeout=60)
        return text, done

    text, done = asyncio.run(run())
    assert "tick" in text and "tock" in text and done.status == JobStatus.SUCCEEDED


def test_a_working_dir_through_ray_compat_reaches_the_job(tmp_path):
    from gpujobs.ray_compat import JobSubmissionClient, JobStatus as RayStatus

    (tmp_path / "main.py").write_text("print(open('msg.txt').read())")
    (tmp_path / "msg.txt").write_text("shipped-by-ray-compat")
    client = JobSubmissionClient()
    job_id = client.submit_job(entrypoint="python main.py", runtime_env={"working_dir": str(tmp_path)})
    deadline = time.time() + 120
    while not client.get_job_status(job_id).is_terminal() and time.time() < deadline:
        time.sleep(0.5)
    assert client.get_job_status(job_id) == RayStatus.SUCCEEDED, client.get_job_logs(job_id)
    assert "shipped-by-ray-compat" in client.get_job_logs(job_id)
    assert client.get_job_info(job_id).runtime_env["working_dir"].startswith("gcs://_ray_pkg_")
