"""The asyncio client: the same methods, awaitable; async iteration."""

import asyncio

import pytest

import gpujobs
from gpujobs import JobStatus

pytestmark = pytest.mark.asyncio


async def test_submit_wait_get(sb):
    client = sb.async_client("ray")
    job = await client.submit(["python", "train.py"])
    ended = await client.wait(job.id, interval=0.05, max_interval=0.2)
    assert ended.status is JobStatus.SUCCEEDED
    assert (await client.get(job.id)).id == job.id


async def test_many_gets_at_once(sb):
    client = sb.async_client("ray")
    ids = [(await client.submit(f"echo {n}")).id for n in range(20)]
    jobs = await asyncio.gather(*(client.get(i) for i in ids))
    assert [j.id for j in jobs] == ids


async def test_async_iteration_of_a_listing(sb):
    client = sb.async_client("ray")
    for n in range(3):
        await client.submit(f"echo {n}")
    seen = [job async for job in client.list()]
    assert len(seen) == 3
    assert len(await client.list().collect_async()) == 3


async def test_errors_are_raised_from_awaits(sb):
    client = sb.async_client("ray")
    with pytest.raises(gpujobs.NotFoundError):
        await client.get("missing")


async def test_wait_all_as_an_async_iterator(sb):
    client = sb.async_client("ray")
    ids = [(await client.submit(f"echo {n}")).id for n in range(3)]
    ends = {i: j async for i, j in client.wait_all(ids, interval=0.05, max_interval=0.2)}
    assert set(ends) == set(ids)


async def test_cancelling_an_await_stops_it(sb):
    with gpujobs.testing.sandbox(pace="demo", empty=True) as slow:
        client = slow.async_client("ray")
        job = await client.submit("sleep 100")
        task = asyncio.ensure_future(client.wait(job.id, interval=0.05, max_interval=0.1))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
