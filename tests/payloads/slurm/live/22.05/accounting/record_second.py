#!/usr/bin/env python3
"""The second run of record_accounting.py's recordings: a cluster started with
GPUJOBS_SLURM_STORE_COMMENT=1 (AccountingStoreFlags=job_comment) and GPUJOBS_SLURM_MIN_JOB_AGE=300
(Slurm's default MinJobAge). Submits one job that succeeds, reads it from accounting (is the
comment there now?), and asks slurmctld for it 1 minute and 10 minutes after it ended, polling in
between to measure when it is forgotten.

Usage: record_second.py URL TOKEN WORKDIR OUTDIR
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BASE, TOKEN, WORKDIR, OUT = sys.argv[1:5]
PREFIX = "comment-stored-minjobage-300-"
LOG = []


def call(method, path, body=None, save=None, note=""):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method, headers={
        "X-SLURM-USER-NAME": "root", "X-SLURM-USER-TOKEN": TOKEN,
        **({"Content-Type": "application/json"} if data else {})})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    ms = round((time.monotonic() - start) * 1000)
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if save:
        with open(os.path.join(OUT, PREFIX + save), "wb") as f:
            f.write(raw)
        LOG.append((f"{method} {path}", status, ms, PREFIX + save, note))
    return status, parsed, raw


_, spec, _ = call("GET", "/openapi/v3")
def newest(prefix):
    found = {m.group(1) for p in spec["paths"] for m in [re.match(prefix + r"(v[0-9.]+)/", p)] if m}
    return sorted(found, key=lambda v: [int(x) for x in v[1:].split(".")])[-1]
VS, VD = newest("/slurm/"), newest("/slurmdb/")
OLD = VS == "v0.0.38"
jobs_path = next(p for p in spec["paths"] if re.fullmatch(f"/slurmdb/{VD}/jobs/?", p))
_, ping, _ = call("GET", f"/slurm/{VS}/ping/")
meta = ping.get("meta", {})
release = (meta.get("Slurm") or meta.get("slurm") or {}).get("release")

comment = f"gpujobs-token=acct-ok-stored-{int(time.time())} gpujobs-request=0123456789abcdef"
job = {"name": "acct-ok-stored", "partition": "debug", "current_working_directory": WORKDIR,
       "standard_output": f"{WORKDIR}/acct-ok-stored-%j.out", "comment": comment,
       "environment": {"PATH": "/usr/bin:/bin"} if OLD else ["PATH=/usr/bin:/bin"]}
status, answer, _ = call("POST", f"/slurm/{VS}/job/submit", {"script": "#!/bin/bash\necho ok\n", "job": job},
                         save="submit-ok.json", note="`echo ok` with a comment")
job_id = str(answer["job_id"])


def state(answer):
    jobs = (answer or {}).get("jobs") or []
    if not jobs:
        return None, None
    s = jobs[0].get("job_state")
    end = jobs[0].get("end_time")
    return (s if isinstance(s, str) else s[0]), (end if isinstance(end, int) else (end or {}).get("number"))


while True:
    status, answer, _ = call("GET", f"/slurm/{VS}/job/{job_id}")
    s, end = state(answer)
    if s == "COMPLETED":
        break
    time.sleep(1)
call("GET", f"/slurm/{VS}/job/{job_id}", save="slurm-job-ok-ended.json", note="just ended")
time.sleep(3)  # slurmctld sends the end to slurmdbd at once; give it a moment
call("GET", f"/slurmdb/{VD}/job/{job_id}", save="slurmdb-job-ok.json", note="comment stored?")
sep = "/" if jobs_path.endswith("/") else ""
call("GET", f"/slurmdb/{VD}/jobs{sep}?step={job_id}", save="slurmdb-jobs-step.json", note="the list, by step")

# 1 minute after the end, then poll every 5 s until forgotten, then 10 minutes after the end.
while time.time() < end + 60:
    time.sleep(1)
status, answer, _ = call("GET", f"/slurm/{VS}/job/{job_id}", save="slurm-job-ok-after-1min.json",
                         note=f"{round(time.time() - end)} s after end_time")
forgotten = None
while time.time() < end + 600:
    status, answer, _ = call("GET", f"/slurm/{VS}/job/{job_id}")
    if forgotten is None and (status == 404 or (status >= 400 and "2017" in json.dumps(answer or {}))):
        forgotten = round(time.time() - end, 1)
        call("GET", f"/slurm/{VS}/job/{job_id}", save="slurm-job-ok-forgotten.json",
             note=f"first not-found answer: {forgotten} s after end_time (polled every 5 s)")
    time.sleep(5)
call("GET", f"/slurm/{VS}/job/{job_id}", save="slurm-job-ok-after-10min.json",
     note=f"{round(time.time() - end)} s after end_time")

with open(os.path.join(OUT, "requests.md"), "a") as f:
    f.write(f"\n## Second run: AccountingStoreFlags=job_comment, MinJobAge=300 (Slurm's default)\n\n"
            f"A fresh cluster ({release}) started with GPUJOBS_SLURM_STORE_COMMENT=1 GPUJOBS_SLURM_MIN_JOB_AGE=300; "
            f"recorded by record_second.py (in 22.05/accounting/). Job id {job_id}, comment `{comment}`. "
            f"slurmctld forgot it {forgotten} s after its end_time.\n\n")
    f.write("| request | HTTP status | ms | saved as | what / found |\n|---|---|---|---|---|\n")
    for line, status, ms, save, note in LOG:
        f.write(f"| `{line}` | {status} | {ms} | {save} | {note} |\n")
print(json.dumps({"release": release, "job_id": job_id, "forgotten_after_end_s": forgotten}))
