#!/usr/bin/env python3
"""Records how slurmrestd handles job arrays, from slurmctld (/slurm/) and from accounting
(/slurmdb/), into OUTDIR (README.md there says what was found).

Usage: record_arrays.py URL TOKEN WORKDIR OUTDIR [CLI_PREFIX]

URL and TOKEN as `GPUJOBS_SLURM_SHELL=1 scripts/slurm-live.sh RELEASE` prints them (a cluster
with accounting, 2 CPUs, MinJobAge=10), WORKDIR a directory the jobs may write in ($WORK/jobs,
the same path on the host and in the release's root). CLI_PREFIX, optional, is how to run Slurm's
own CLI against that cluster (e.g. "chroot ROOT env SLURM_CONF=$WORK/slurm.conf"); with it,
`squeue -r` / `sacct` are saved beside the REST answers at the same moments, as ground truth.

What it does, in order:
  7. submits an array "0-20000" (above MaxArraySize): the refusal;
  1. submits "arr-throttle", array "0-9%2" of `sleep 20`, and reads GET /slurm/V/jobs and
     GET /slurm/V/job/<A> at once, when two tasks run, and ~25 s later;
  2. GET /slurm/V/job/<A>_<i> for a running task, a pending one, an index not in the array;
  3. (data-parser releases) GET /slurm/V/jobs/state/?job_id=<A>, <A>_3, <A>_0, <split-off id>;
  5. accounting while tasks are pending, then again after the array ended;
  4. DELETE /slurm/V/job/<A>_8 (pending), then DELETE /slurm/V/job/<A> (the rest);
  6. submits "arr-idx", array "0-2", whose script exports GPUJOBS_TASK_INDEX from
     SLURM_ARRAY_TASK_ID, with standard_output WORKDIR/arr-%A_%a.out, and reads the files.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BASE, TOKEN, WORKDIR, OUT = sys.argv[1:5]
CLI = shlex.split(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] else None
os.makedirs(OUT, exist_ok=True)
LOG = []  # (request line, status, milliseconds, saved as, note)
FACTS = {"answers": {}}
T0 = time.time()


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
        summary = summarize(parsed) if parsed is not None else {"body": raw[:200].decode(errors="replace")}
        FACTS["answers"][save] = {"request": f"{method} {path}", "status": status,
                                  "t": round(time.time() - T0, 1), **summary}
        LOG.append([f"{method} {path}", status, ms, save, note, summary])
    return status, parsed, raw


def cli(args, save, note=""):
    if not CLI:
        return
    try:
        out = subprocess.run(CLI + args, capture_output=True, text=True, timeout=60)
        text = f"$ {' '.join(args)}\n{out.stdout}{out.stderr}"
    except Exception as e:  # noqa: BLE001 - recorded, not fatal
        text = f"$ {' '.join(args)}\nfailed: {e}\n"
    with open(os.path.join(OUT, save), "w") as f:
        f.write(text)
    LOG.append([" ".join(args), "", "", save, note, {}])


def plain(value):
    """A number as written: plain, or {set, infinite, number} shown as the number / 'unset'."""
    if isinstance(value, dict) and "set" in value:
        if not value.get("set"):
            return "unset"
        if value.get("infinite"):
            return "infinite"
        return value.get("number")
    return value


def state_of(record):
    s = record.get("job_state")
    if s is None:
        s = (record.get("state") or {}).get("current")
    if isinstance(s, list):
        return ",".join(s)
    return s


SLURM_FIELDS = ("job_id", "array_job_id", "array_task_id", "array_task_string", "array_max_tasks",
                "job_state", "state_reason")


def summarize(answer):
    out = {}
    if not isinstance(answer, dict):
        return out
    records = []
    for j in answer.get("jobs") or []:
        if "array" in j and "job_state" not in j:  # accounting
            a = j.get("array") or {}
            records.append({"job_id": j.get("job_id"), "name": j.get("name"),
                            "array": {"job_id": a.get("job_id"), "task_id": a.get("task_id"), "task": a.get("task"),
                                      "limits": a.get("limits")},
                            "state": state_of(j), "reason": (j.get("state") or {}).get("reason")})
        elif "state" in j and "job_state" not in j and "name" not in j:  # jobs/state
            records.append(j)
        else:
            records.append({k: j.get(k) for k in SLURM_FIELDS} | {"name": j.get("name")})
    if "jobs" in answer:
        out["records"] = records
    for key in ("job_id", "step_id", "job_submit_user_msg", "result", "status"):
        if key in answer:
            out[key] = answer[key]
    errors = [{k: e.get(k) for k in ("error_number", "error_code", "error", "description", "source") if k in e}
              for e in answer.get("errors") or []]
    warnings = [w.get("description") for w in answer.get("warnings") or []]
    if errors:
        out["errors"] = errors
    if warnings:
        out["warnings"] = warnings
    return out


def brief(summary):
    """A one-line note for requests.md."""
    parts = []
    for r in summary.get("records") or []:
        if "array" in r:
            a = r["array"]
            parts.append(f"{r['job_id']}: array.job_id={a['job_id']} task_id={plain(a['task_id'])} "
                         f"task={a['task']!r} {r['state']}")
        elif "array_job_id" in r:
            parts.append(f"{r['job_id']}: {plain(r['array_job_id'])}_{plain(r['array_task_id'])} "
                         f"str={r['array_task_string']!r} max={plain(r['array_max_tasks'])} "
                         f"{state_of(r)}/{r['state_reason']}")
        else:
            parts.append(json.dumps(r, separators=(",", ":")))
    for e in summary.get("errors") or []:
        parts.append(f"error {e.get('error_number', e.get('error_code'))} {e.get('error')!r} {e.get('description')!r}")
    for w in summary.get("warnings") or []:
        parts.append(f"warning {w!r}")
    for key in ("job_id", "step_id", "job_submit_user_msg", "result", "status"):
        if key in summary:
            parts.append(f"{key}={json.dumps(summary[key])}")
    if not summary.get("records") and "records" in summary:
        parts.append("jobs: []")
    return "; ".join(parts)


status, spec, _ = call("GET", "/openapi/v3")
assert status == 200, status


def newest(prefix):
    found = {m.group(1) for p in spec["paths"] for m in [re.match(prefix + r"(v[0-9.]+)/", p)] if m}
    return sorted(found, key=lambda v: [int(x) for x in v[1:].split(".")])[-1]


VS, VD = newest("/slurm/"), newest("/slurmdb/")
OLD = VS == "v0.0.38"


def path_of(pattern):
    found = [p for p in spec["paths"] if re.fullmatch(pattern, p)]
    return found[0] if found else None


JOBS_PATH = path_of(f"/slurm/{VS}/jobs/?")
STATE_PATH = path_of(f"/slurm/{VS}/jobs/state/?")
DB_JOBS_PATH = path_of(f"/slurmdb/{VD}/jobs/?")
FACTS["versions"] = {"slurm": VS, "slurmdb": VD, "info.version": spec["info"].get("version")}
FACTS["paths"] = {p: {m: [q["name"] for q in op.get("parameters", [])] for m, op in spec["paths"][p].items()
                      if isinstance(op, dict) and m in ("get", "post", "delete")}
                  for p in spec["paths"] if re.search(f"/({VS}|{VD})/jobs?(/|$)", p)}
_, ping, _ = call("GET", f"/slurm/{VS}/ping/")
meta = ping.get("meta", {})
FACTS["release"] = (meta.get("Slurm") or meta.get("slurm") or {}).get("release")
print("release", FACTS["release"], VS, VD, flush=True)


def submission(name, script, array, output=None):
    job = {"name": name, "partition": "debug", "current_working_directory": WORKDIR,
           "comment": f"gpujobs-token={name}-{int(time.time())} gpujobs-request=0000000000000001",
           "environment": {"PATH": "/usr/bin:/bin"} if OLD else ["PATH=/usr/bin:/bin"], "array": array}
    job["standard_output"] = output or f"{WORKDIR}/{name}-%A_%a.out"
    return {"script": f"#!/bin/bash\n{script}\n", "job": job}


def records(answer):
    return (answer or {}).get("jobs") or []


def tasks_of(answer, array_id):
    return [j for j in records(answer) if plain(j.get("array_job_id")) == array_id]


def running(answer, array_id):
    return [j for j in tasks_of(answer, array_id) if "RUNNING" in (state_of(j) or "")]


TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL",
            "DEADLINE", "PREEMPTED"}


def all_ended(answer, array_id):
    t = tasks_of(answer, array_id)
    return bool(t) and all(set((state_of(j) or "").split(",")) & TERMINAL for j in t)


def jobs(save, note):
    return call("GET", JOBS_PATH, save=save, note=note)


def squeue(save, note):
    cli(["squeue", "-r", "--states=all", "-o", "%i %A %F %K %T %r %j"], save, note)


def accounting(tag, array_id, note):
    q = DB_JOBS_PATH
    call("GET", f"{q}?job_name=arr-throttle", save=f"slurmdb-jobs-name-{tag}.json", note=f"{note}; no window")
    call("GET", f"{q}?job_name=arr-throttle&start_time=2000-01-01T00:00:00",
         save=f"slurmdb-jobs-name-start2000-raw-{tag}.json", note=f"{note}; start_time=2000-01-01T00:00:00, colons as is")
    call("GET", f"{q}?job_name=arr-throttle&start_time=2000-01-01T00%3A00%3A00",
         save=f"slurmdb-jobs-name-start2000-{tag}.json", note=f"{note}; start_time=2000-01-01T00:00:00, colons %3A")
    call("GET", f"/slurmdb/{VD}/job/{array_id}", save=f"slurmdb-job-A-{tag}.json", note=note)
    call("GET", f"/slurmdb/{VD}/job/{array_id}_3", save=f"slurmdb-job-A_3-{tag}.json", note=note)
    fields = "JobID%20,JobIDRaw,JobName%15,State,Reason%20,Start,End"
    cli(["sacct", "-X", "-a", "--name=arr-throttle", "-S", "2000-01-01", "-o", fields], f"sacct-name-{tag}.txt", note)
    cli(["sacct", "-X", "-j", str(array_id), "-o", fields], f"sacct-j-A-{tag}.txt", note)


def job_states(tag, array_id, split_id, note):
    if not STATE_PATH:
        return
    for what, value in (("A", str(array_id)), ("A_3", f"{array_id}_3"), ("A_0", f"{array_id}_0"),
                        ("split", str(split_id)), ("A_42", f"{array_id}_42")):
        call("GET", f"{STATE_PATH}?job_id={urllib.parse.quote(value)}", save=f"jobs-state-{what}-{tag}.json",
             note=f"{note}; job_id={value}")
    call("GET", STATE_PATH, save=f"jobs-state-all-{tag}.json", note=f"{note}; no job_id")


# 7. Above MaxArraySize.
call("POST", f"/slurm/{VS}/job/submit", submission("arr-too-big", "echo never", "0-20000"),
     save="submit-too-big.json", note='array "0-20000"')

# 1. The throttled array.
status, answer, _ = call("POST", f"/slurm/{VS}/job/submit", submission("arr-throttle", "sleep 20", "0-9%2"),
                         save="submit-throttle.json", note='array "0-9%2", `sleep 20`')
A = int(answer["job_id"])
FACTS["array_id"] = A
jobs("jobs-immediate.json", "at once after the submit")
call("GET", f"/slurm/{VS}/job/{A}", save="job-A-immediate.json", note="at once after the submit")
squeue("squeue-immediate.txt", "at once after the submit")

answer = None
for _ in range(60):
    _, answer, _ = call("GET", f"/slurm/{VS}/job/{A}")
    if len(running(answer, A)) >= 2:
        break
    time.sleep(0.5)
t_running = time.time()
FACTS["running_after_s"] = round(t_running - T0, 1)
jobs("jobs-running.json", "two tasks running")
_, answer, _ = call("GET", f"/slurm/{VS}/job/{A}", save="job-A-running.json", note="two tasks running")
squeue("squeue-running.txt", "two tasks running")
run = running(answer, A)
run_idx = plain(run[0]["array_task_id"]) if run else 0
split_id = min((j["job_id"] for j in run if j["job_id"] != A), default=A)
FACTS["first_running"] = {"index": run_idx, "split_job_id": split_id}

# 2. By index.
call("GET", f"/slurm/{VS}/job/{A}_{run_idx}", save="job-A_running.json", note=f"task {run_idx}, running")
call("GET", f"/slurm/{VS}/job/{A}_8", save="job-A_8-pending.json", note="task 8, pending")
call("GET", f"/slurm/{VS}/job/{A}_42", save="job-A_42-notinarray.json", note="index 42, not in 0-9")
call("GET", f"/slurm/{VS}/job/{split_id}", save="job-split-running.json", note=f"job {split_id}: the split-off running task by its own id")
# 3.
job_states("running", A, split_id, "two tasks running")
# 5. while pending
accounting("running", A, "two tasks running, 8 pending")

# ~25 s after the first tasks started: tasks 0,1 ended, 2,3 running.
time.sleep(max(0, t_running + 25 - time.time()))
jobs("jobs-25s.json", "~25 s after the first two started")
_, answer, _ = call("GET", f"/slurm/{VS}/job/{A}", save="job-A-25s.json", note="~25 s after the first two started")
squeue("squeue-25s.txt", "~25 s after")
call("GET", f"/slurm/{VS}/job/{A}_0", save="job-A_0-25s.json", note="task 0, ended by now")
call("GET", f"/slurm/{VS}/job/{split_id}", save="job-split-25s.json", note=f"job {split_id} (a split-off task), ended by now")
run = running(answer, A)
if run:
    idx = plain(run[0]["array_task_id"])
    call("GET", f"/slurm/{VS}/job/{A}_{idx}", save="job-A_running-25s.json", note=f"task {idx}, running")
job_states("25s", A, split_id, "~25 s after")
accounting("25s", A, "~25 s after: 2 ended, 2 running, 6 pending")

# 4. Cancel one pending task, then the whole array.
call("DELETE", f"/slurm/{VS}/job/{A}_8", save="delete-A_8.json", note="task 8, pending")
time.sleep(2)
jobs("jobs-after-delete-8.json", "2 s after DELETE A_8")
call("GET", f"/slurm/{VS}/job/{A}", save="job-A-after-delete-8.json", note="2 s after DELETE A_8")
call("GET", f"/slurm/{VS}/job/{A}_8", save="job-A_8-after-delete-8.json", note="2 s after DELETE A_8")
squeue("squeue-after-delete-8.txt", "2 s after DELETE A_8")
call("GET", f"/slurmdb/{VD}/job/{A}_8", save="slurmdb-job-A_8-after-delete-8.json", note="2 s after DELETE A_8")
call("GET", f"/slurmdb/{VD}/job/{A}", save="slurmdb-job-A-after-delete-8.json", note="2 s after DELETE A_8")
if STATE_PATH:
    call("GET", f"{STATE_PATH}?job_id={A}_8", save="jobs-state-A_8-after-delete-8.json", note="2 s after DELETE A_8; job_id=A_8")
call("DELETE", f"/slurm/{VS}/job/{A}", save="delete-A.json", note="the array job id: running and pending tasks remain")
time.sleep(2)
jobs("jobs-after-delete-A.json", "2 s after DELETE A")
_, answer, _ = call("GET", f"/slurm/{VS}/job/{A}", save="job-A-after-delete-A.json", note="2 s after DELETE A")
squeue("squeue-after-delete-A.txt", "2 s after DELETE A")
for _ in range(60):
    if all_ended(answer, A):
        break
    time.sleep(1)
    _, answer, _ = call("GET", f"/slurm/{VS}/job/{A}")
call("GET", f"/slurm/{VS}/job/{A}", save="job-A-ended.json", note="every task ended")
# Until slurmctld forgets the array (MinJobAge=10).
for _ in range(90):
    status, answer, _ = call("GET", f"/slurm/{VS}/job/{A}")
    if status >= 400 or not records(answer):
        break
    time.sleep(1)
call("GET", f"/slurm/{VS}/job/{A}", save="job-A-forgotten.json", note="slurmctld has forgotten the array")
call("GET", f"/slurm/{VS}/job/{A}_3", save="job-A_3-forgotten.json", note="slurmctld has forgotten the array")
if STATE_PATH:
    call("GET", f"{STATE_PATH}?job_id={A}", save="jobs-state-A-forgotten.json", note="forgotten; job_id=A")
# 5. after the end
time.sleep(2)
accounting("ended", A, "array ended (2 COMPLETED, 8 canceled), forgotten by slurmctld")
call("GET", f"/slurmdb/{VD}/job/{A}_8", save="slurmdb-job-A_8-ended.json", note="ended; task 8 was canceled while pending")
call("GET", f"/slurmdb/{VD}/job/{A}_5", save="slurmdb-job-A_5-ended.json", note="ended; task 5 was canceled (with the array) while pending")

# 6. The index through an exported variable.
status, answer, _ = call("POST", f"/slurm/{VS}/job/submit", submission(
    "arr-idx", 'export GPUJOBS_TASK_INDEX="$SLURM_ARRAY_TASK_ID"\necho "idx=$SLURM_ARRAY_TASK_ID $GPUJOBS_TASK_INDEX"',
    "0-2", output=f"{WORKDIR}/arr-%A_%a.out"), save="submit-idx.json", note='array "0-2", stdout arr-%A_%a.out')
B = int(answer["job_id"])
FACTS["idx_array_id"] = B
for _ in range(120):
    _, answer, _ = call("GET", f"/slurm/{VS}/job/{B}")
    if all_ended(answer, B) and len(tasks_of(answer, B)) == 3:
        break
    time.sleep(1)
call("GET", f"/slurm/{VS}/job/{B}", save="job-idx-ended.json", note="arr-idx, ended")
time.sleep(1)
outputs = {}
for i in range(3):
    p = os.path.join(WORKDIR, f"arr-{B}_{i}.out")
    try:
        with open(p) as f:
            outputs[f"arr-{B}_{i}.out"] = f.read()
    except OSError as e:
        outputs[f"arr-{B}_{i}.out"] = f"unreadable: {e}"
outputs["listing"] = sorted(n for n in os.listdir(WORKDIR) if n.startswith("arr-"))
FACTS["idx_outputs"] = outputs
with open(os.path.join(OUT, "idx-outputs.json"), "w") as f:
    json.dump(outputs, f, indent=1)
LOG.append(["(read the output files)", "", "", "idx-outputs.json", json.dumps(outputs), {}])

with open(os.path.join(OUT, "facts.json"), "w") as f:
    json.dump(FACTS, f, indent=1)
with open(os.path.join(OUT, "requests.md"), "w") as f:
    f.write(f"# Requests ({FACTS['release']}, {VS} and {VD})\n\n")
    f.write(f"Recorded by record_arrays.py (in 22.05/arrays/) against `scripts/slurm-live.sh`'s cluster with "
            f"accounting, 2 CPUs, MinJobAge=10. arr-throttle (\"0-9%2\", `sleep 20`) is job {A}; arr-idx "
            f"(\"0-2\") is job {B}. Two tasks of arr-throttle were running {FACTS['running_after_s']} s after the "
            f"start of the script; `t` is seconds since then. Each record below: `job_id: array_job_id_array_task_id "
            f"str=array_task_string max=array_max_tasks job_state/state_reason` (numbers shown plain; "
            f"`unset` = `{{set: false}}`); accounting: `job_id: array.job_id task_id task state`.\n\n")
    f.write("| request | HTTP status | ms | t | saved as | what / found |\n|---|---|---|---|---|---|\n")
    for line, status, ms, save, note, summary in LOG:
        t = FACTS["answers"].get(save, {}).get("t", "")
        found = brief(summary) if summary else ""
        text = (note + (" — " + found if found else "")).replace("|", "/").replace("\n", "\\n")
        f.write(f"| `{line}` | {status} | {ms} | {t} | {save} | {text} |\n")
print(json.dumps({k: FACTS[k] for k in ("release", "versions", "array_id", "idx_outputs")}, indent=1))
