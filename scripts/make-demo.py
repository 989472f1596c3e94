#!/usr/bin/env python3
"""Builds and refreshes the demo workspace (examples/demo-app).

  make-demo.py build            examples/demo-app = test/fixtures/demo-app + one in-progress run
  make-demo.py refresh DIR      re-stamp DIR's in-progress run to "now" so it reads as live
  make-demo.py refresh DIR --follow [SECONDS]
                                ... then keep appending events to it every SECONDS (default 5)
                                until interrupted; never writes session_end

The in-progress run is a flowscribe v1 run (docs/formats.md section 1b) whose events are the
first 19 events of the fixture run 20261118T140000Z-a1c3 (premarket, AAPL fully traded, MSFT
fetch started but without a verdict) re-stamped with a new run id and current times. It has a
session_start and no session_end, so a reader shows it as running while its file is fresh.
"""
import calendar, json, os, shutil, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "test", "fixtures", "demo-app")
EXAMPLE = os.path.join(ROOT, "examples", "demo-app")
TEMPLATE_RUN = "20261118T140000Z-a1c3"
LIVE_SUFFIX = "-live"
PREFIX_EVENTS = 19          # up to and including the MSFT fetch's "request" checkpoint
STEP_S = 0.8                # spacing of the re-stamped events, seconds


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


def run_id_at(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t)) + LIVE_SUFFIX


def template_events(workspace):
    path = os.path.join(workspace, ".autodev", "runs", TEMPLATE_RUN, "trace.jsonl")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def drop_live_runs(workspace):
    """Removes every earlier in-progress run (folder and its lines in the aggregate trace)."""
    runs = os.path.join(workspace, ".autodev", "runs")
    for name in os.listdir(runs):
        if name.endswith(LIVE_SUFFIX):
            shutil.rmtree(os.path.join(runs, name))
    agg = os.path.join(workspace, ".autodev", "trace.jsonl")
    with open(agg, encoding="utf-8") as f:
        kept = [l for l in f if not json.loads(l).get("run_id", "").endswith(LIVE_SUFFIX)]
    with open(agg, "w", encoding="utf-8") as f:
        f.writelines(kept)


def write_live_run(workspace, end_t):
    """Writes the in-progress run so that its last event is at end_t; returns (run_id, rest)."""
    events = template_events(workspace)
    head, rest = events[:PREFIX_EVENTS], events[PREFIX_EVENTS:]
    start_t = end_t - STEP_S * (len(head) - 1)
    run_id = run_id_at(start_t)
    lines = []
    for i, ev in enumerate(head):
        ev = dict(ev, run_id=run_id, timestamp=iso(start_t + i * STEP_S))
        lines.append(json.dumps(ev) + "\n")
    run_dir = os.path.join(workspace, ".autodev", "runs", run_id)
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "trace.jsonl"), "w", encoding="utf-8") as f:
        f.writelines(lines)
    with open(os.path.join(workspace, ".autodev", "trace.jsonl"), "a", encoding="utf-8") as f:
        f.writelines(lines)
    latest = os.path.join(workspace, ".autodev", "latest")
    if os.path.islink(latest) or os.path.exists(latest):
        os.remove(latest)
    with open(latest, "w", encoding="utf-8") as f:   # text form of `latest` (section 1b), as in the fixture
        f.write("runs/" + run_id)
    return run_id, [e for e in rest if e.get("event_type") != "session_end"]


def follow(workspace, run_id, rest, every):
    """Appends the rest of the template run, one event per `every` seconds, re-stamped to now."""
    paths = [os.path.join(workspace, ".autodev", "runs", run_id, "trace.jsonl"),
             os.path.join(workspace, ".autodev", "trace.jsonl")]
    print("make-demo: appending to live run %s every %ss (Ctrl-C stops)" % (run_id, every), flush=True)
    try:
        for ev in rest:
            time.sleep(every)
            line = json.dumps(dict(ev, run_id=run_id, timestamp=iso(time.time()))) + "\n"
            for p in paths:
                with open(p, "a", encoding="utf-8") as f:
                    f.write(line)
        while True:   # the run stays open: keep its file fresh without inventing events
            time.sleep(every)
            for p in paths[:1]:
                os.utime(p)
    except KeyboardInterrupt:
        pass


def build():
    if os.path.exists(EXAMPLE):
        shutil.rmtree(EXAMPLE)
    shutil.copytree(FIXTURE, EXAMPLE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # Deterministic times for the committed copy; `refresh` re-stamps it when a demo starts.
    run_id, _ = write_live_run(EXAMPLE, calendar.timegm((2026, 11, 22, 15, 0, 15, 0, 0, 0)))
    print("make-demo: wrote %s with in-progress run %s" % (os.path.relpath(EXAMPLE, ROOT), run_id))


def age_finished_runs(workspace, now):
    """Dates every other run's files to when the run happened (at most now - 1 h).

    A copy (cp, git clone) stamps every file with the copy time, and a run without an end
    (a crash) whose file is fresh reads as still running; only the live run should.
    """
    for base in (os.path.join(workspace, ".autodev", "runs"), os.path.join(workspace, "runs")):
        if not os.path.isdir(base):
            continue
        for name in os.listdir(base):
            if name.endswith(LIVE_SUFFIX):
                continue
            try:
                t = calendar.timegm(time.strptime(name[:16], "%Y%m%dT%H%M%SZ"))
            except ValueError:
                t = now - 86400
            t = min(t, now - 3600)
            for dirpath, _, files in os.walk(os.path.join(base, name)):
                for f in files:
                    os.utime(os.path.join(dirpath, f), (t, t))
                os.utime(dirpath, (t, t))


def refresh(workspace, follow_every=None):
    drop_live_runs(workspace)
    age_finished_runs(workspace, time.time())
    run_id, rest = write_live_run(workspace, time.time())
    print("make-demo: live run %s in %s" % (run_id, workspace), flush=True)
    if follow_every:
        follow(workspace, run_id, rest, follow_every)


def main(argv):
    if argv[:1] == ["build"]:
        build()
    elif argv[:1] == ["refresh"] and len(argv) >= 2:
        every = None
        if "--follow" in argv:
            i = argv.index("--follow")
            every = float(argv[i + 1]) if len(argv) > i + 1 else 5.0
        refresh(os.path.abspath(argv[1]), every)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
