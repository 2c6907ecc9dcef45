"""Sweeps from Python against the sandbox: submitted exactly once (again: nothing
more), one array on Slurm, status counts, wait, retry of the failed tasks, cancel;
sync and async."""

import pytest

import gpujobs
from gpujobs import JobStatus

# What each provider's tasks need beyond the command.
NEEDS = {"slurm": {"working_dir": "/tmp"}}
FAST = {"interval": 0.05, "max_interval": 0.2, "timeout": 60}


def posts(sb):
    """POSTs the sandbox answered (each test's sandbox is its own)."""
    return sum(1 for method, _ in sb.requests() if method == "POST")


@pytest.mark.parametrize("provider", ["ray", "slurm"])
def test_a_sweep_goes_in_once_and_again_submits_nothing(sb, provider):
    client = sb.client(provider)
    sweep = client.submit_sweep("seeds", ["python", "train.py"], tasks=range(0, 10), **NEEDS.get(provider, {}))
    assert isinstance(sweep, gpujobs.Sweep) and sweep.name == "seeds"
    assert sweep.report == {"present": 0, "submitted": 10, "failed": 0}
    # One request for the whole sweep on Slurm (an array), one a task elsewhere.
    assert posts(sb) == (1 if provider == "slurm" else 10)
    again = client.submit_sweep("seeds", ["python", "train.py"], tasks=10, **NEEDS.get(provider, {}))
    assert again.report == {"present": 10, "submitted": 0, "failed": 0}
    assert posts(sb) == (1 if provider == "slurm" else 10)
    ends = sweep.wait(**FAST).collect()
    assert len(ends) == 10 and all(job.status is JobStatus.SUCCEEDED for _, job in ends)
    status = sweep.status()
    assert (status["tasks"], status["succeeded"], status["failed"]) == (10, 10, {})
    assert "Sweep(name=\"seeds\"" in repr(sweep)


@pytest.mark.parametrize("provider", ["ray", "slurm"])
def test_status_retry_and_cancel_of_a_sweep_with_parameters(sb, provider):
    client = sb.client(provider)
    tasks = [{"CODE": 0}, {"CODE": 3}, {"CODE": 0, "SEED": 7}, {"CODE": 5, "FAST": False}]
    sweep = client.submit_sweep("codes", "exit $CODE", tasks=tasks, **NEEDS.get(provider, {}))
    ends = dict(sweep.wait(**FAST))
    assert sorted(job.exit_code for job in ends.values()) == [0, 0, 3, 5]
    status = sweep.status()
    assert (status["succeeded"], status["failed"]) == (2, {"exit_code": 2}), status
    retried = sweep.retry_failed()
    assert retried == {"present": 2, "submitted": 2, "failed": 0}
    # Retried once only: the new attempts have not failed (yet).
    assert sweep.retry_failed()["submitted"] == 0
    canceled = sweep.cancel()
    assert sorted(index for index, _ in canceled) == [1, 3]
    assert all(isinstance(result, gpujobs.CancelResult) for _, result in canceled)


def test_a_sweep_python_cannot_describe_is_refused_before_anything_is_sent(sb):
    client = sb.client("ray")
    with pytest.raises(TypeError, match="`tasks` takes"):
        client.submit_sweep("s", "x", tasks="0-9")
    with pytest.raises(TypeError, match=r"tasks\[0\]"):
        client.submit_sweep("s", "x", tasks=[{"A": [1]}])
    with pytest.raises(ValueError, match="step 1"):
        client.submit_sweep("s", "x", tasks=range(0, 10, 2))
    with pytest.raises(gpujobs.InvalidRequestError, match="derived from the sweep"):
        client.submit_sweep("s", "x", tasks=2, id="mine")
    with pytest.raises(gpujobs.InvalidRequestError):
        client.submit_sweep("Bad_Name", "x", tasks=2)
    assert posts(sb) == 0
    # Matpool cannot submit a sweep exactly once: refused, not attempted.
    with pytest.raises(gpujobs.UnsupportedError):
        sb.client("matpool").submit_sweep("s", "x", tasks=2)


@pytest.mark.asyncio
async def test_an_async_sweep(sb):
    client = sb.async_client("slurm")
    sweep = await client.submit_sweep("a", "exit $CODE", tasks=[{"CODE": 0}, {"CODE": 1}], max_running=1,
                                      working_dir="/tmp")
    assert isinstance(sweep, gpujobs.AsyncSweep) and sweep.report["submitted"] == 2
    ends = [end async for end in await sweep.wait(**FAST)]
    assert sorted(job.exit_code for _, job in ends) == [0, 1]
    status = await sweep.status()
    assert status["failed"] == {"exit_code": 1}
    assert (await sweep.retry_failed())["submitted"] == 1
    assert len(await sweep.cancel()) == 1
