#!/usr/bin/env python3
"""Records what slurmrestd answers about ended jobs, from slurmctld (/slurm/) and from
accounting (/slurmdb/), into OUTDIR (README.md there says what was found).

Usage: record_accounting.py URL TOKEN WORKDIR OUTDIR

URL and TOKEN as `GPUJOBS_SLURM_SHELL=1 scripts/slurm-live.sh RELEASE` prints them (a cluster
with accounting), WORKDIR a directory the jobs may write in ($WORK/jobs). Submits, through
slurmrestd's own submit endpoint: a job that exits 3, one canceled while it sleeps, one killed by
its 1-minute time limit, one that succeeds, a 2-task array, and one asking for more memory than
the node has; waits until slurmctld has forgotten each (measuring how long after its end), then
reads each from accounting and tries the filters of /slurmdb/vX/jobs.
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
os.makedirs(OUT, exist_ok=True)
LOG = []  # (request line, status, milliseconds, saved as, note)
FACTS = {}


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
        with open(os.path.join(OUT, save), "wb") as f:
            f.write(raw)
        LOG.append((f"{method} {path}", status, ms, save, note))
    return status, parsed, raw


spec_status, spec, _ = call("GET", "/openapi/v3", save="openapi-v3.json", note="the whole served document")
assert spec_status == 200, spec_status
def newest(prefix):
    found = {m.group(1) for p in spec["paths"] for m in [re.match(prefix + r"(v[0-9.]+)/", p)] if m}
    return sorted(found, key=lambda v: [int(x) for x in v[1:].split(".")])[-1]
VS, VD = newest("/slurm/"), newest("/slurmdb/")
OLD = VS == "v0.0.38"
FACTS["versions"] = {"slurm": VS, "slurmdb": VD}
FACTS["slurmdb_paths"] = sorted(p for p in spec["paths"] if p.startswith("/slurmdb/") and "job" in p)
FACTS["info.version"] = spec["info"].get("version")
_, ping, _ = call("GET", f"/slurm/{VS}/ping/")
meta = ping.get("meta", {})
FACTS["release"] = (meta.get("Slurm") or meta.get("slurm") or {}).get("release")
jobs_path = next(p for p in spec["paths"] if re.fullmatch(f"/slurmdb/{VD}/jobs/?", p))
FACTS["jobs_parameters"] = [p["name"] for p in spec["paths"][jobs_path]["get"].get("parameters", [])]


def submission(name, command, **extra):
    """The body our client sends, in the shape of the version (see crates/gpujobs/src/providers/slurm)."""
    token = f"acct-{name}-{int(time.time())}"
    comment = f"gpujobs-token={token} gpujobs-request=00000000000000{len(name):02x}"
    job = {"name": f"acct-{name}", "partition": "debug", "current_working_directory": WORKDIR,
           "standard_output": f"{WORKDIR}/acct-{name}-%j.out", "comment": comment,
           "environment": {"PATH": "/usr/bin:/bin"} if OLD else ["PATH=/usr/bin:/bin"]}
    for key, value in extra.items():
        if key in ("time_limit", "memory_per_node") and not OLD:
            value = {"set": True, "infinite": False, "number": value}
        job[key] = value
    return {"script": f"#!/bin/bash\n{command}\n", "job": job}, comment


JOBS = {}  # name -> {"id", "comment"}
def submit(name, command, **extra):
    body, comment = submission(name, command, **extra)
    status, answer, _ = call("POST", f"/slurm/{VS}/job/submit", body, save=f"submit-{name}.json",
                             note=f"`{command}` {extra or ''}".strip())
    job_id = (answer or {}).get("job_id")
    if job_id:
        JOBS[name] = {"id": str(job_id), "comment": comment, "command": command}
    return status, answer


def read_state(answer):
    jobs = (answer or {}).get("jobs") or []
    if not jobs:
        return None
    states = []
    for j in jobs:
        s = j.get("job_state")
        states.append(s if isinstance(s, str) else (s[0] if s else "?"))
    return states


TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL",
            "DEADLINE", "PREEMPTED"}


def not_found(status, answer):
    if status == 404:
        return True
    text = json.dumps(answer or {}).lower()
    return status >= 400 and ("invalid job id" in text or "unable to find job" in text or "2017" in text)


# The timeout job first: it runs longest; two CPUs, so the sleeping job runs beside it.
submit("timeout", "sleep 600", time_limit=1)
submit("cancel", "sleep 300")
submit("exit3", "exit 3")
submit("ok", "echo ok")
submit("array", "echo task $SLURM_ARRAY_TASK_ID", array="0-1")
submit("too-much-memory", "echo never", memory_per_node=10_000_000)  # MB: refused, presumably
if "too-much-memory" in JOBS:  # accepted after all: see why it waits, then cancel it
    time.sleep(3)
    call("GET", f"/slurm/{VS}/job/{JOBS['too-much-memory']['id']}", save="slurm-job-too-much-memory-pending.json",
         note="accepted: what it waits for")
    call("DELETE", f"/slurm/{VS}/job/{JOBS['too-much-memory']['id']}", save="cancel-too-much-memory.json")

# Cancel the sleeping job once it runs.
for _ in range(120):
    status, answer, _ = call("GET", f"/slurm/{VS}/job/{JOBS['cancel']['id']}")
    if read_state(answer) == ["RUNNING"]:
        break
    time.sleep(1)
call("DELETE", f"/slurm/{VS}/job/{JOBS['cancel']['id']}", save="cancel-cancel.json", note="the sleeping job, while RUNNING")

# Poll every job on /slurm/ until it has ended and then until slurmctld has forgotten it.
ended, forgotten = {}, {}
deadline = time.time() + 20 * 60
while len(forgotten) < len(JOBS) and time.time() < deadline:
    for name, job in JOBS.items():
        if name in forgotten:
            continue
        status, answer, raw = call("GET", f"/slurm/{VS}/job/{job['id']}")
        states = read_state(answer)
        if name not in ended and states and all(s in TERMINAL for s in states):
            end = max((j.get("end_time") if isinstance(j.get("end_time"), int) else
                       (j.get("end_time") or {}).get("number", 0)) for j in answer["jobs"])
            ended[name] = {"seen": time.time(), "end_time": end, "states": states}
            with open(os.path.join(OUT, f"slurm-job-{name}-ended.json"), "wb") as f:
                f.write(raw)
            LOG.append((f"GET /slurm/{VS}/job/{job['id']}", status, None, f"slurm-job-{name}-ended.json",
                        f"the first answer with the job ended: {states}"))
        if name in ended and not_found(status, answer):
            now = time.time()
            forgotten[name] = {"seen": now, "after_end_time_s": round(now - ended[name]["end_time"], 1),
                               "after_seen_ended_s": round(now - ended[name]["seen"], 1)}
            call("GET", f"/slurm/{VS}/job/{job['id']}", save=f"slurm-job-{name}-notfound.json",
                 note=f"slurmctld has forgotten it: {forgotten[name]['after_end_time_s']} s after its end_time")
    time.sleep(1)
FACTS["ended"] = ended
FACTS["forgotten"] = forgotten

# Accounting: each job by id.
for name, job in JOBS.items():
    status, answer, _ = call("GET", f"/slurmdb/{VD}/job/{job['id']}", save=f"slurmdb-job-{name}.json",
                             note=f"`{job['command']}`")
    job["accounting"] = answer
ids = {name: job["id"] for name, job in JOBS.items()}
unknown = "999999"
status, answer, _ = call("GET", f"/slurmdb/{VD}/job/{unknown}", save="slurmdb-job-unknown.json", note="an id never used")

# Accounting: the list, with each filter worth trying.
start = min(int(job["accounting"]["jobs"][0]["time"]["submission"] if isinstance(job["accounting"]["jobs"][0]["time"]["submission"], int)
                else job["accounting"]["jobs"][0]["time"]["submission"]["number"])
            for job in JOBS.values() if (job.get("accounting") or {}).get("jobs"))
def hhmm(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(epoch))
filters = [  # (query, what, saved as slurmdb-jobs-<name>.json)
    ("", "no filter", ""),
    (f"step={ids['exit3']},{ids['ok']}", "two job ids through `step`", "step-two"),
    (f"step={ids['exit3']}%2C{ids['ok']}", "two job ids through `step`, the comma percent-encoded", "step-two-encoded"),
    (f"step={ids['exit3']}", "one job id through `step`", "step-one"),
    (f"step={ids['exit3']},{unknown}", "a known and an unknown id through `step`", "step-unknown"),
    (f"step={ids['exit3']}%2C{unknown}", "a known and an unknown id through `step`, the comma percent-encoded", "step-unknown-encoded"),
    (f"step={ids['array']}", "the array job's id through `step`", "step-array"),
    (f"job_id={ids['exit3']},{ids['ok']}", "`job_id` (not a parameter in the spec)", "job_id"),
    ("job_name=acct-ok,acct-exit3", "two names", "job_name-two"),
    ("job_name=acct-ok%2Cacct-exit3", "two names, the comma percent-encoded", "job_name-two-encoded"),
    ("job_name=acct-ok", "one name", "job_name-one"),
    ("state=FAILED", "one state", "state-one"),
    ("state=CANCELLED,TIMEOUT", "two states", "state-two"),
    ("state=CANCELLED%2CTIMEOUT", "two states, the comma percent-encoded", "state-two-encoded"),
    (f"state=FAILED&start_time={urllib.parse.quote(hhmm(start - 5))}&end_time={urllib.parse.quote(hhmm(time.time() + 60))}",
     "one state within a window start_time..end_time", "state-one-window"),
    (f"state=CANCELLED%2CTIMEOUT&start_time={urllib.parse.quote(hhmm(start - 5))}&end_time={urllib.parse.quote(hhmm(time.time() + 60))}",
     "two states (comma percent-encoded) within a window", "state-two-window"),
    (f"step={ids['exit3']}%2C{ids['ok']}&job_name=acct-ok", "two ids through `step` and a name", "step-and-name"),
    ("users=root", "a user", "users-root"),
    ("users=nobody", "a user with no jobs", "users-nobody"),
    ("account=gpujobs", "the account", "account"),
    (f"start_time={start - 5}", "start_time as a Unix time", "start_time-unix"),
    (f"start_time={urllib.parse.quote(hhmm(start - 5))}", "start_time as YYYY-MM-DDTHH:MM:SS", "start_time-iso"),
    (f"start_time={urllib.parse.quote(hhmm(start - 5))}&end_time={urllib.parse.quote(hhmm(time.time() + 60))}",
     "a window start_time..end_time", "window"),
    (f"start_time={urllib.parse.quote(hhmm(time.time() + 3600))}", "a window in the future", "window-future"),
    (f"submit_time={urllib.parse.quote(hhmm(start - 5))}", "submit_time (22.05's spec only)", "submit_time"),
    ("comment=" + urllib.parse.quote(JOBS["ok"]["comment"]), "`comment` (not a parameter in the spec)", "comment"),
    ("skip_steps=true", "without steps", "skip_steps"),
    ("exit_code=3", "an exit code", "exit_code"),
]
FACTS["filters"] = []
for query, what, name in filters:
    path = f"/slurmdb/{VD}/jobs" + ("/" if jobs_path.endswith("/") else "") + (f"?{query}" if query else "")
    save = f"slurmdb-jobs-{name}.json" if name else "slurmdb-jobs.json"
    status, answer, raw = call("GET", path, save=save, note=what)
    got = sorted({str(j.get("job_id")) for j in (answer or {}).get("jobs") or []}, key=int)
    errors = [e.get("error") or e.get("description") for e in (answer or {}).get("errors") or []]
    warnings = [w.get("description") for w in (answer or {}).get("warnings") or []]
    note = f"{what}: {len(got)} job id(s) {', '.join(got)}" + (f"; errors {errors}" if errors else "") + (
        f"; warnings {warnings}" if warnings else "") + (
        f"; body (not JSON): {raw[:60].decode(errors='replace').strip()!r}" if answer is None else "")
    LOG[-1] = LOG[-1][:4] + (note,)
    FACTS["filters"].append({"query": query, "status": status, "ids": got, "errors": errors, "warnings": warnings})

FACTS["jobs"] = {name: {k: v for k, v in job.items() if k != "accounting"} for name, job in JOBS.items()}
with open(os.path.join(OUT, "facts.json"), "w") as f:
    json.dump(FACTS, f, indent=1)

with open(os.path.join(OUT, "requests.md"), "w") as f:
    f.write(f"# Requests ({FACTS['release']}, {VS} and {VD})\n\n")
    f.write(f"Recorded by record_accounting.py (in 22.05/accounting/) against `scripts/slurm-live.sh`'s cluster "
            f"with accounting, MinJobAge=10. Job ids: " + ", ".join(f"{n} {j['id']}" for n, j in JOBS.items()) + ".\n\n")
    f.write("| request | HTTP status | ms | saved as | what / found |\n|---|---|---|---|---|\n")
    for line, status, ms, save, note in LOG:
        f.write(f"| `{line}` | {status} | {'' if ms is None else ms} | {save} | {note.replace('|', '/')} |\n")
    f.write("\n## From a job's end to slurmctld's \"not found\"\n\n")
    f.write("Polled every ~1 s (one GET per job per round). `after end_time`: from the job's own `end_time` "
            "(whole seconds); `after seen ended`: from the first answer showing it ended.\n\n")
    f.write("| job | state | after end_time (s) | after seen ended (s) |\n|---|---|---|---|\n")
    for name, fact in forgotten.items():
        f.write(f"| {name} ({JOBS[name]['id']}) | {','.join(ended[name]['states'])} | {fact['after_end_time_s']} | "
                f"{fact['after_seen_ended_s']} |\n")
print(json.dumps({k: FACTS[k] for k in ("release", "versions", "forgotten")}, indent=1))
