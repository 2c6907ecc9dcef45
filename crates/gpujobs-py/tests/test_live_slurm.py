"""Against a real slurmrestd: scripts/slurm-live.sh runs these for each Slurm release
(GPUJOBS_LIVE=slurm), with SLURMRESTD_URL, GPUJOBS_SLURM_TOKEN and GPUJOBS_SLURM_WORKDIR set.
Elsewhere they are skipped, saying why."""

import os
import uuid

import pytest

import gpujobs
from gpujobs import JobStatus

pytestmark = [
    pytest.mark.live_slurm,
    pytest.mark.skipif(os.environ.get("GPUJOBS_LIVE") != "slurm", reason="needs a real Slurm: scripts/slurm-live.sh runs these"),
]


@pytest.fixture
def slurm():
    # The token carries the user; the live script keeps it out of SLURM_JWT (Slurm's own tools would switch to JWT).
    return gpujobs.Client.slurm(os.environ["SLURMRESTD_URL"], os.environ["GPUJOBS_SLURM_TOKEN"])


def submit(slurm, command, **kwargs):
    return slurm.submit(
        command,
        name=f"py-{uuid.uuid4().hex[:8]}",
        working_dir=os.environ["GPUJOBS_SLURM_WORKDIR"],
        options={"time_limit": 120},
        **kwargs,
    )


def test_submit_wait_and_the_final_record(slurm):
    job = submit(slurm, ["sh", "-c", "echo from-python; exit 0"], env={"WHO": "python"})
    assert job.provider == "slurm" and job.id.isdigit()
    done = slurm.wait(job.id, timeout=120, max_interval=1)
    assert (done.status, done.exit_code) == (JobStatus.SUCCEEDED, 0)
    assert done.finished_at is not None and done.finished_at.tzinfo is not None
    assert isinstance(done.raw, dict)


def test_a_failure_a_cancel_and_many_at_once(slurm):
    failing = submit(slurm, ["sh", "-c", "exit 3"])
    sleeping = submit(slurm, "sleep 600")
    ok = submit(slurm, "true")
    assert slurm.cancel(sleeping.id).outcome in ("stopped", "accepted")
    ends = dict(slurm.wait_all([failing.id, sleeping.id, ok.id], timeout=120, max_interval=1))
    assert (ends[failing.id].status, ends[failing.id].exit_code) == (JobStatus.FAILED, 3)
    assert ends[sleeping.id].status == JobStatus.CANCELED
    assert ends[ok.id].status == JobStatus.SUCCEEDED
    listed = {job.id for job in slurm.list()}
    assert {failing.id, ok.id} <= listed


def test_an_unknown_job_is_not_found(slurm):
    with pytest.raises(gpujobs.NotFoundError):
        slurm.get("999999999")
