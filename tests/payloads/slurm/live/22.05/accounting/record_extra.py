#!/usr/bin/env python3
"""More /slurmdb/vX/jobs filters, after record_accounting.py on the same cluster: lists given as
repeated parameters (`step=1&step=2`) rather than CSV. Appends to OUTDIR/requests.md.

Usage: record_extra.py URL TOKEN OUTDIR
"""
import json, os, sys, time, urllib.error, urllib.parse, urllib.request
BASE, TOKEN, OUT = sys.argv[1:4]
facts = json.load(open(os.path.join(OUT, "facts.json")))
VD = facts["versions"]["slurmdb"]
ids = {name: job["id"] for name, job in facts["jobs"].items()}
sep = "" if VD == "v0.0.38" else "/"
def when(epoch):
    return urllib.parse.quote(time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(epoch)))
first = min(e["end_time"] for e in facts["ended"].values()) - 600
window = f"start_time={when(first)}&end_time={when(time.time() + 60)}"
queries = [
    (f"step={ids['exit3']}&step={ids['ok']}", "two job ids as a repeated `step`", "step-repeated"),
    (f"step={ids['exit3']}&step=999999", "a known and an unknown id as a repeated `step`", "step-repeated-unknown"),
    (f"step={ids['exit3']}&step={ids['ok']}&step={ids['array']}&step={ids['timeout']}",
     "four ids (one an array job) as a repeated `step`", "step-repeated-four"),
    (f"step={ids['exit3']}&step={ids['ok']}&skip_steps=true", "a repeated `step`, without steps", "step-repeated-skip_steps"),
    ("job_name=acct-ok&job_name=acct-exit3", "two names as a repeated `job_name`", "job_name-repeated"),
    (f"state=CANCELLED&state=TIMEOUT&{window}", "two states as a repeated `state`, within a window", "state-repeated-window"),
]
rows = []
for query, what, name in queries:
    path = f"/slurmdb/{VD}/jobs{sep}?{query}"
    request = urllib.request.Request(BASE + path, headers={"X-SLURM-USER-NAME": "root", "X-SLURM-USER-TOKEN": TOKEN})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=120) as a:
            status, raw = a.status, a.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    ms = round((time.monotonic() - start) * 1000)
    save = f"slurmdb-jobs-{name}.json"
    open(os.path.join(OUT, save), "wb").write(raw)
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = None
    got = sorted({str(j.get("job_id")) for j in (answer or {}).get("jobs") or []}, key=int)
    errors = [e.get("error") or e.get("description") for e in (answer or {}).get("errors") or []]
    warnings = [w.get("description") for w in (answer or {}).get("warnings") or []]
    note = f"{what}: {len(got)} job id(s) {', '.join(got)}" + (f"; errors {errors}" if errors else "") + (
        f"; warnings {warnings}" if warnings else "") + (f"; body (not JSON): {raw[:60]!r}" if answer is None else "")
    rows.append(f"| `GET {path}` | {status} | {ms} | {save} | {note} |")
    print(status, query, "->", got, errors)
with open(os.path.join(OUT, "requests.md"), "a") as f:
    f.write("\n## Lists as repeated parameters\n\nRecorded by record_extra.py (in 22.05/accounting/) on the same cluster, "
            "right after the requests above.\n\n| request | HTTP status | ms | saved as | what / found |\n|---|---|---|---|---|\n")
    f.write("\n".join(rows) + "\n")
