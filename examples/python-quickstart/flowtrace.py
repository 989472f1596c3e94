"""A tiny flowscribe v1 trace writer (standard library only).

Copy this file into your app if you cannot install flowscribe. It writes what Flowlens reads
(docs/formats.md section 1b):

    .autodev/trace.jsonl                 every run, appended
    .autodev/runs/<run_id>/trace.jsonl   this run only
    .autodev/latest                      symlink to runs/<run_id> (a text file holding the id
                                         where symlinks are not allowed)

Usage:

    from flowtrace import Session
    with Session(app="shop", mode="dev", tags=["quickstart"]) as trace:
        with trace.flow("orders/load", correlation={"date": "2026-11-20"}) as f:
            f.checkpoint("read", evidence={"rows": 3})
            f.success(reason="rows > 0")
        # a flow left without a verdict is closed with success on exit; an exception
        # escaping the `with` block is recorded as an `exception` event and re-raised.
"""
import datetime
import itertools
import json
import os
import random
import sys
import threading
import time
import traceback

#: Keys whose values never reach the trace (ra.yaml privacy.redact_keys defaults).
REDACT_KEYS = {"api_key", "token", "password", "secret", "auth", "cookie"}
#: Evidence larger than this (bytes of JSON) is cut, with a marker saying so.
PAYLOAD_LIMIT = 2048


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _redact(obj):
    if isinstance(obj, dict):
        return {k: ("***REDACTED***" if str(k).lower() in REDACT_KEYS else _redact(v)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_redact(v) for v in obj]
    return obj


def _small(obj):
    obj = _redact(obj)
    text = json.dumps(obj, default=str)
    if len(text) <= PAYLOAD_LIMIT:
        return json.loads(text)
    return {"truncated": True, "bytes": len(text), "head": text[:PAYLOAD_LIMIT]}


class Session:
    """One run of the app: `session_start` on enter, `session_end` on exit."""

    def __init__(self, app, mode="dev", tags=(), root=None, run_id=None):
        self.root = os.path.abspath(root or os.getcwd())
        self.app, self.mode, self.tags = app, mode, list(tags)
        started = _now()
        self.run_id = run_id or started.strftime("%Y%m%dT%H%M%SZ") + "-%04x" % random.randrange(0x10000)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._files = []
        self.flows_started = 0
        self.flows_ended = 0
        self.failed = False

    # -- context manager -------------------------------------------------------------------
    def __enter__(self):
        autodev = os.path.join(self.root, ".autodev")
        run_dir = os.path.join(autodev, "runs", self.run_id)
        os.makedirs(run_dir, exist_ok=True)
        self._files = [open(os.path.join(run_dir, "trace.jsonl"), "a", encoding="utf-8"),
                       open(os.path.join(autodev, "trace.jsonl"), "a", encoding="utf-8")]
        latest = os.path.join(autodev, "latest")
        if os.path.lexists(latest):
            os.remove(latest)
        try:
            os.symlink(os.path.join("runs", self.run_id), latest)
        except OSError:  # e.g. Windows without developer mode: the id in a text file
            with open(latest, "w", encoding="utf-8") as f:
                f.write(self.run_id + "\n")
        self.emit("session_start", _depth=2, app=self.app, mode=self.mode, tags=self.tags,
                  host=os.uname().nodename if hasattr(os, "uname") else "", pid=os.getpid())
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None:
            self.failed = True
            self.emit("exception", _depth=2, severity="critical", failure_class="SYSTEM.UNHANDLED",
                      exception=_exception(exc), reason=str(exc))
        self.emit("session_end", _depth=2, status="failed" if self.failed else "ok",
                  flows_started=self.flows_started, flows_ended=self.flows_ended)
        for f in self._files:
            f.close()
        return False

    # -- events ----------------------------------------------------------------------------
    def emit(self, event_type, _depth=1, **fields):
        """Write one event. file/line/function default to the caller (`_depth` frames up)."""
        rec = {"v": 1, "event_type": event_type, "run_id": self.run_id, "timestamp": _iso(_now())}
        if "file" not in fields:
            frame = sys._getframe(_depth)
            rec["file"] = os.path.relpath(frame.f_code.co_filename, self.root).replace(os.sep, "/")
            rec["line"] = frame.f_lineno
            rec["function"] = frame.f_code.co_name
        rec["thread"] = threading.current_thread().name
        for key in ("evidence", "data"):
            if key in fields:
                fields[key] = _small(fields[key])
        rec.update({k: v for k, v in fields.items() if v is not None})
        line = json.dumps(rec, default=str) + "\n"
        with self._lock:
            for f in self._files:
                f.write(line)
                f.flush()   # a crash keeps everything written so far

    def metric(self, name, value, unit=None, **fields):
        self.emit("metric", _depth=2, name=name, value=value, unit=unit, **fields)

    def flow(self, name, parent=None, tags=(), correlation=None):
        """A flow: use as a context manager; `parent` is another Flow."""
        return Flow(self, name, "f-%04d" % next(self._ids), parent, list(tags), correlation)


class Flow:
    """One flow instance: `flow_start`, checkpoints, then one verdict."""

    def __init__(self, session, name, flow_id, parent, tags, correlation):
        self.s, self.name, self.id = session, name, flow_id
        self.parent, self.tags, self.correlation = parent, tags, correlation
        self.verdict = None
        self._t0 = None

    def _emit(self, event_type, _depth, **fields):
        self.s.emit(event_type, _depth=_depth + 1, flow=self.name, flow_id=self.id,
                    parent_flow_id=self.parent.id if self.parent else None,
                    tags=self.tags or None, correlation=self.correlation, **fields)

    def __enter__(self):
        self._t0 = time.monotonic()
        self.s.flows_started += 1
        self._emit("flow_start", 2)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and self.verdict is None:
            self.verdict = "exception"
            self.s.failed = True
            last = traceback.extract_tb(tb)[-1]
            self.s.emit("exception", _depth=1, flow=self.name, flow_id=self.id,
                        parent_flow_id=self.parent.id if self.parent else None,
                        tags=self.tags or None, correlation=self.correlation,
                        severity="error", failure_class="SYSTEM.EXCEPTION",
                        reason="%s: %s" % (exc_type.__name__, exc), exception=_exception(exc, self.s.root),
                        duration_ms=self._elapsed(),
                        file=os.path.relpath(last.filename, self.s.root).replace(os.sep, "/"),
                        line=last.lineno, function=last.name)
            self.s.flows_ended += 1
            return True   # recorded; the app carries on with the next flow
        if self.verdict is None:   # no verdict given: the flow completed, at the `with` block's end
            self._verdict("success", reason="completed", severity="info")
        return False

    def _elapsed(self):
        return round((time.monotonic() - self._t0) * 1000, 1)

    def checkpoint(self, step, evidence=None, **data):
        self._emit("checkpoint", 2, step=step, evidence=evidence, data=data or None)

    def success(self, step=None, reason=None, evidence=None):
        self._verdict("success", step=step, reason=reason, evidence=evidence, severity="info")

    def failure(self, failure_class, reason, step=None, evidence=None, severity="error"):
        """A business expectation not met (no exception needed). failure_class: DOMAIN.DETAIL."""
        self.s.failed = True
        self._verdict("failure", step=step, failure_class=failure_class, reason=reason,
                      evidence=evidence, severity=severity)

    def _verdict(self, event_type, **fields):
        if self.verdict is not None:
            return
        self.verdict = event_type
        self.s.flows_ended += 1
        self._emit(event_type, 3, duration_ms=self._elapsed(), **fields)


def _exception(exc, root=None):
    frames = traceback.extract_tb(exc.__traceback__)
    rel = (lambda p: os.path.relpath(p, root).replace(os.sep, "/")) if root else (lambda p: p)
    return {"type": type(exc).__name__, "message": str(exc),
            "stack": [{"file": rel(f.filename), "line": f.lineno, "function": f.name} for f in frames]}
