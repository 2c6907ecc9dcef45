"""The blocking client against the sandbox: every operation, the models, errors."""

import datetime
import threading
import time

import pytest

import gpujobs
from gpujobs import JobStatus


def test_submit_wait_get_on_every_provider_that_submits(sb):
    submitting = [p["name"] for p in gpujobs.providers() if p["capabilities"]["submit"]]
    assert {"ray", "yuanrong", "slurm"} <= set(submitting)
    for provider in submitting:
        client = sb.client(provider)
        # What each needs beyond the command.
        kwargs = {
            "yuanrong": {"working_dir": "/tmp"},
            "slurm": {"working_dir": "/tmp"},
            "matpool": {"options": {"gpu_model": "NVIDIA A16", "image": 1}},
        }.get(provider, {})
        job = client.submit(["python", "train.py", "--name", "a b"], name="t1", **kwargs)
        assert job.provider == provider and job.id
        ended = client.wait(job.id, timeout=30, interval=0.05, max_interval=0.2)
        assert ended.status is JobStatus.SUCCEEDED, (provider, ended)
        assert ended.is_terminal() and ended.status.is_terminal()
        again = client.get(job.id)
        assert again.id == job.id and again.status == "succeeded"


def test_a_job_is_immutable_and_its_times_are_aware(sb):
    client = sb.client("ray")
    job = client.wait(client.submit("echo hi").id, interval=0.05, max_interval=0.2)
    assert job.finished_at.tzinfo is not None
    assert job.finished_at.utcoffset() == datetime.timedelta(0)
    assert isinstance(job.raw, dict) and job.raw["submission_id"] == job.id
    with pytest.raises(AttributeError):
        job.status = JobStatus.FAILED
    assert "ray/" in str(job) and repr(job).startswith("Job(provider='ray'")
    assert job.to_dict()["status"] == "succeeded" and "raw" not in job.to_dict()


def test_a_failed_job_is_returned_not_raised(sb):
    client = sb.client("ray")
    job = client.submit("python x.py; exit 3")
    sb_id = sb.add_job("ray", "python fails.py", fail=True)
    ended = client.wait(sb_id, interval=0.05, max_interval=0.2)
    assert ended.status is JobStatus.FAILED and ended.exit_code not in (None, 0)
    client.wait(job.id, interval=0.05, max_interval=0.2)


def test_a_job_that_does_not_exist_is_a_lookup_error(sb):
    client = sb.client("ray")
    with pytest.raises(gpujobs.NotFoundError) as caught:
        client.get("no-such-job")
    assert isinstance(caught.value, LookupError)
    assert caught.value.provider == "ray" and caught.value.kind == "not_found"


def test_a_wait_that_runs_out_of_time_carries_the_last_job(sb):
    client = sb.client("ray")
    sb.close()
    with gpujobs.testing.sandbox(pace="demo", empty=True) as slow:
        client = slow.client("ray")
        job = client.submit("sleep 100")
        with pytest.raises(gpujobs.TimeoutError) as caught:
            client.wait(job.id, timeout=0.3, interval=0.05, max_interval=0.1)
        assert isinstance(caught.value, TimeoutError)
        assert caught.value.last_job is not None and caught.value.last_job.id == job.id


def test_a_refused_token_is_a_permission_error(sb):
    client = gpujobs.Client("ppio", base_url=sb.url("ppio"), token="wrong")
    with pytest.raises(gpujobs.AuthenticationError) as caught:
        client.get("x")
    assert isinstance(caught.value, PermissionError)
    assert "wrong" not in str(caught.value)


def test_rate_limits_carry_retry_after(sb):
    client = gpujobs.Client("ray", base_url=sb.url("ray"), max_attempts=1)
    sb.inject("rate_limited:7", provider="ray")
    with pytest.raises(gpujobs.RateLimitedError) as caught:
        client.get("anything")
    assert caught.value.retry_after == 7.0 and caught.value.status == 429


def test_transient_faults_are_retried(sb):
    client = sb.client("ray")
    job = client.submit("echo hi")
    sb.inject("status:503", provider="ray", method="GET", times=2)
    assert client.get(job.id).id == job.id


def test_list_is_lazy_and_collects(sb):
    client = sb.client("ray")
    ids = {client.submit(f"echo {n}").id for n in range(5)}
    stream = client.list()
    first = next(iter(stream))
    assert isinstance(first, gpujobs.Job)
    rest = stream.collect()
    assert {first.id, *(j.id for j in rest)} == ids
    assert len(client.list(limit=2).collect()) == 2
    assert client.list(status=["failed"]).collect() == []


def test_cancel_reports_what_it_did(sb):
    client = gpujobs.testing.sandbox(pace="demo", empty=True)
    with client as slow:
        ray = slow.client("ray")
        job = ray.submit("sleep 100")
        result = ray.cancel(job.id)
        assert result.outcome in ("stopped", "accepted") and result.job.id == job.id
        ended = ray.wait(job.id, interval=0.05, max_interval=0.2, timeout=30)
        assert ended.status is JobStatus.CANCELED


def test_logs_are_text(sb):
    client = sb.client("ray")
    job = client.submit("echo hello")
    client.wait(job.id, interval=0.05, max_interval=0.2)
    assert isinstance(client.logs(job.id), str)


def test_provider_options_are_checked(sb):
    slurm = sb.client("slurm")
    job = slurm.submit("python x.py", working_dir="/tmp", options={"partition": "debug", "time_limit": datetime.timedelta(minutes=5)})
    assert job.provider == "slurm"
    with pytest.raises(ValueError, match="no option `nonsense`"):
        slurm.submit("python x.py", options={"nonsense": 1})
    with pytest.raises(gpujobs.UnsupportedError):
        sb.client("ppio").submit("python x.py")


def test_secrets_never_show(sb):
    client = gpujobs.Client("ppio", base_url=sb.url("ppio"), token="sk-SECRET-123")
    assert "SECRET" not in repr(client)
    with pytest.raises(gpujobs.GpujobsError) as caught:
        gpujobs.Client("slurm", base_url="http://example.invalid", token="sk-SECRET-123").get("1")
    assert "SECRET" not in str(caught.value)


def test_wait_all_yields_each_end_once(sb):
    client = sb.client("ray")
    ids = [client.submit(f"echo {n}").id for n in range(4)]
    ids.append("gone")
    ends = dict(client.wait_all(ids, timeout=30, interval=0.05, max_interval=0.2))
    assert set(ends) == set(ids)
    assert isinstance(ends["gone"], gpujobs.NotFoundError)
    assert all(ends[i].status is JobStatus.SUCCEEDED for i in ids[:-1])


def test_a_blocking_wait_releases_the_gil(sb):
    with gpujobs.testing.sandbox(pace="demo", empty=True) as slow:
        client = slow.client("ray")
        job = client.submit("sleep 100")
        ticks = []

        def count():
            end = time.monotonic() + 0.6
            while time.monotonic() < end:
                ticks.append(1)
                time.sleep(0.01)

        other = threading.Thread(target=count)
        other.start()
        with pytest.raises(gpujobs.TimeoutError):
            client.wait(job.id, timeout=0.8, interval=0.1, max_interval=0.1)
        other.join()
        assert len(ticks) > 20, "the other thread ran while wait blocked"


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="unknown provider|no provider"):
        gpujobs.Client("nope")
    with pytest.raises(ValueError):
        gpujobs.Client("ray", base_url="http://127.0.0.1:1", attempt_timeout=-1)


def test_providers_describe_themselves():
    described = gpujobs.providers()
    names = [p["name"] for p in described]
    assert len(set(names)) == len(names) and {"ray", "slurm"} <= set(names)
    for provider in described:
        assert provider["title"] and provider["env"]["base_url"], provider
        assert isinstance(provider["capabilities"]["submit"], bool), provider


def test_every_provider_has_a_constructor_and_nothing_else_does():
    # The constructors are written out (for types and docs); the registry is the one list.
    names = {p["name"] for p in gpujobs.providers()}
    for client in (gpujobs.Client, gpujobs.AsyncClient):
        have = {n for n in vars(gpujobs._Constructors) if not n.startswith("_")} - {"from_env"}
        assert have == names, f"constructors {sorted(have)} but providers {sorted(names)}"
        assert all(callable(getattr(client, n)) for n in names)


def test_a_per_provider_constructor_reaches_its_provider(sb):
    client = gpujobs.Client.ray(sb.url("ray"))
    assert client.provider == "ray" and client.list().collect() == []
    with sb.environ("slurm"):
        assert gpujobs.Client.from_env("slurm").list().collect() == []


def test_list_takes_one_status_or_a_list(sb):
    client = sb.client("ray")
    job = client.submit("echo hi")
    client.wait(job.id, timeout=30)
    for status in ("succeeded", JobStatus.SUCCEEDED, ["succeeded"], ("running", "succeeded")):
        assert [j.id for j in client.list(status=status)] == [job.id], status
    assert client.list(status="running").collect() == []
    with pytest.raises(TypeError, match="a status or a list of them"):
        client.list(status=3)


def test_a_setting_the_provider_does_not_have_is_refused_not_dropped(sb):
    # Slurm's own settings are Slurm's: given to Ray, they are refused, naming whose they are.
    with pytest.raises(gpujobs.ConfigError, match="setting of slurm"):
        gpujobs.Client("ray", base_url=sb.url("ray"), user="alice")
    with pytest.raises(gpujobs.ConfigError, match="not a version gpujobs speaks"):
        gpujobs.Client("slurm", base_url=sb.url("slurm"), token=sb.token("slurm"), api_version="v0.0.39")
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        sb.client("ray").submit("echo hi", colour="blue")


def test_ray_only_methods_are_on_the_ray_client_alone(sb):
    ray = gpujobs.RayClient(sb.url("ray"))
    job = ray.submit("echo hi")
    ray.wait(job.id, timeout=30, interval=0.05, max_interval=0.2)
    assert ray.version()[0] and ray.delete(job.id) is True
    assert not hasattr(sb.client("ray"), "delete") and not hasattr(sb.client("ray"), "_ray_version")


def test_an_exception_carries_the_providers_own_words(sb):
    client = sb.client("ray")
    with pytest.raises(gpujobs.NotFoundError) as caught:
        client.get("raysubmit_nope")
    error = caught.value
    assert error.provider_message and error.provider_message in str(error)
    assert not error.provider_message.startswith("ray:")


def test_a_job_slurm_forgot_is_read_from_accounting_with_its_cause_and_usage():
    from gpujobs.testing import sandbox

    with sandbox(empty=True, slurm_min_job_age=0.2) as sb:
        client = sb.client("slurm")
        job = client.submit("python bad.py; exit 3", working_dir="/tmp")
        ended = client.wait(job.id, timeout=30, interval=0.05, max_interval=0.2)
        time.sleep(0.5)  # past MinJobAge: slurmctld forgets it
        again = client.get(job.id)
        assert (again.status, again.exit_code, again.cause) == (JobStatus.FAILED, 3, gpujobs.Cause.EXIT_CODE)
        assert again.cause == "exit_code" and not again.cause.is_infrastructure()
        assert again.usage["cpus"] == 1 and again.usage["nodes"] == "sandbox-node", again.usage
        assert ended.cause is gpujobs.Cause.EXIT_CODE
        assert [j.id for j in client.list()] == [], "slurmctld alone knows none"
        assert [j.id for j in client.list(since=3600)] == [job.id]
        assert [j.id for j in client.list(since=datetime.timedelta(hours=1))] == [job.id]


def test_without_accounting_a_forgotten_job_is_not_found():
    from gpujobs.testing import sandbox

    with sandbox(empty=True, slurm_min_job_age=0.2, slurm_accounting=False) as sb:
        client = sb.client("slurm")
        job = client.submit("echo ok", working_dir="/tmp")
        client.wait(job.id, timeout=30, interval=0.05, max_interval=0.2)
        time.sleep(0.5)
        with pytest.raises(gpujobs.NotFoundError):
            client.get(job.id)
