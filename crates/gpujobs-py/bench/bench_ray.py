"""gpujobs against Ray's own JobSubmissionClient, on one real Ray, in one process per client.

    python bench_ray.py gpujobs|ray|aiohttp ADDRESS JOB_ID

Prints one JSON object: median get latency in a warm process (ms), median list latency (ms),
1,000 gets' throughput (gets/s; gpujobs: asyncio, 32 at a time; Ray's client: a thread pool of
32, as its users fan out a blocking client; aiohttp: a bare asyncio HTTP client, 32 and 128 at a
time, what the server itself can answer), and the process's peak memory (MiB). Run by
scripts/bench-python.sh, which also times a fresh process's import-and-get with hyperfine.
"""

import asyncio
import json
import resource
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

GETS = 1000
FAN_OUT = 32
WARM = 200
LISTS = 30


def median_ms(call, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    which, address, job_id = sys.argv[1:4]
    if which == "gpujobs":
        import gpujobs

        client = gpujobs.Client.ray(address)
        get = lambda: client.get(job_id)  # noqa: E731
        list_all = lambda: client.list().collect()  # noqa: E731

        async def many():
            aclient = gpujobs.AsyncClient.ray(address)
            gate = asyncio.Semaphore(FAN_OUT)

            async def one():
                async with gate:
                    await aclient.get(job_id)

            await asyncio.gather(*(one() for _ in range(GETS)))

        fan_out = lambda: asyncio.run(many())  # noqa: E731
    elif which == "aiohttp":
        import aiohttp

        url = f"{address}/api/jobs/{job_id}"

        async def bare(calls, at_once):
            gate = asyncio.Semaphore(at_once)
            async with aiohttp.ClientSession() as session:

                async def one():
                    async with gate:
                        async with session.get(url) as answer:
                            return await answer.json()

                return await asyncio.gather(*(one() for _ in range(calls)))

        get = lambda: asyncio.run(bare(1, 1))  # noqa: E731 (a session a call: not its warm figure)
        list_all = lambda: []  # noqa: E731
        fan_out = lambda: asyncio.run(bare(GETS, FAN_OUT))  # noqa: E731
        start = time.perf_counter()
        asyncio.run(bare(GETS, 128))
        wide = GETS / (time.perf_counter() - start)
    else:
        from ray.job_submission import JobSubmissionClient

        client = JobSubmissionClient(address)
        get = lambda: client.get_job_info(job_id)  # noqa: E731
        list_all = lambda: client.list_jobs()  # noqa: E731

        def fan_out():
            with ThreadPoolExecutor(FAN_OUT) as pool:
                list(pool.map(lambda _: client.get_job_info(job_id), range(GETS)))

    get()  # connections and caches warm
    result = {
        "client": which,
        "get_ms": median_ms(get, WARM),
        "list_ms": median_ms(list_all, LISTS),
        "jobs_listed": len(list_all()),
    }
    start = time.perf_counter()
    fan_out()
    result["gets_per_s"] = GETS / (time.perf_counter() - start)
    if which == "aiohttp":
        result["gets_per_s_128"] = wide
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
