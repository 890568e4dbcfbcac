"""Background jobs: a runner thread claims queued jobs and runs each in its own process.

A job's life: ``queued`` -> ``running`` -> ``succeeded`` | ``failed`` | ``cancelled``. The
result rows (a plan, a re-plan, a risk result) and the final state are written in one
transaction, so a job that dies half way leaves nothing behind. When the service starts, jobs
still marked ``running`` belong to a service that died: they are marked ``failed`` with the
reason, and can be re-run (a new job with the same parameters).

One service process owns the job queue of its database.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from typing import Any

from sqlalchemy import select, update

from contingent.service.db import Database
from contingent.service.models import (
    Announcement,
    EventRecord,
    Job,
    PlanRecord,
    Revision,
    RiskRecord,
    utcnow,
)

log = logging.getLogger(__name__)

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
DIED = "the server stopped while the job was running; nothing of it was kept (re-run it)"


class JobRunner:
    """Runs queued jobs, one at a time per slot, each in a fresh process.

    Parameters
    ----------
    db
        The service database.
    slots
        Jobs run at once.
    """

    def __init__(self, db: Database, slots: int = 1) -> None:
        self.db = db
        self.slots = max(1, slots)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._procs: dict[int, Any] = {}
        self._cancel: set[int] = set()
        self._lock = threading.Lock()

    def recover(self) -> int:
        """Mark jobs left ``running`` by a dead service as failed; returns how many."""
        with self.db.write() as s:
            res = s.execute(update(Job).where(Job.status == "running").values(
                status="failed", error=DIED, finished_at=utcnow()))
            n = res.rowcount or 0  # type: ignore[attr-defined]
        if n:
            log.warning("%d job(s) were running when the service stopped: marked failed", n)
        return n

    def start(self) -> None:
        """Recover, then start the runner threads."""
        self.recover()
        for i in range(self.slots):
            t = threading.Thread(target=self._loop, name=f"job-runner-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def notify(self) -> None:
        """A job was queued (or cancelled): look now rather than at the next poll."""
        self._wake.set()

    def cancel(self, job_id: int) -> None:
        """Stop a running job's process (the caller has recorded the request)."""
        with self._lock:
            self._cancel.add(job_id)
        self.notify()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the threads; running jobs are ended and marked failed."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            procs = list(self._procs.values())
        for p in procs:
            p.terminate()
        for t in self._threads:
            t.join(timeout)

    # -- the loop -------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self._claim()
            except Exception:
                log.exception("cannot claim a job")
                claimed = None
            if claimed is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                self._run(*claimed)
            except Exception as exc:
                log.exception("job %s failed in the runner", claimed[0])
                self._finish(claimed[0], "failed", f"{type(exc).__name__}: {exc}")

    def _claim(self) -> tuple[int, str, dict[str, Any]] | None:
        with self.db.write() as s:
            job = s.scalars(select(Job).where(Job.status == "queued").order_by(Job.id)
                            .limit(1).with_for_update(skip_locked=True)).first()
            if job is None:
                return None
            job.status = "running"
            job.started_at = utcnow()
            job.progress = "starting"
            return job.id, job.kind, json.loads(job.params)

    def _run(self, job_id: int, kind: str, params: dict[str, Any]) -> None:
        data = self._inputs(job_id, kind, params)
        proc = subprocess.Popen(
            [sys.executable, "-m", "contingent.service.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
        )
        with self._lock:
            self._procs[job_id] = proc
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, name=f"job-{job_id}-reader", daemon=True).start()
        log.info("job %d (%s) started in process %s", job_id, kind, proc.pid)
        last_write = 0.0
        pending: str | None = None
        try:
            assert proc.stdin is not None
            try:
                proc.stdin.write(json.dumps({"kind": kind, "data": data,
                                             "parent": os.getpid()}) + "\n")
                proc.stdin.close()
            except OSError:
                pass  # the process died at once; its exit is reported below
            while True:
                if self._stop.is_set():
                    proc.terminate()
                    self._finish(job_id, "failed", "the server shut down while the job was "
                                                   "running (re-run it)")
                    return
                if self._cancelled(job_id):
                    proc.terminate()
                    self._finish(job_id, "cancelled", "cancelled on request")
                    return
                try:
                    line = lines.get(timeout=0.25)
                except queue.Empty:
                    if pending is not None and time.monotonic() - last_write > 0.5:
                        self._progress(job_id, pending)
                        pending, last_write = None, time.monotonic()
                    continue
                if line is None:
                    code = proc.wait(10)
                    self._finish(job_id, "failed", "the job's process ended without a result "
                                                   f"(exit code {code})")
                    return
                try:
                    msg = json.loads(line)
                except json.JSONDecodeError:
                    log.warning("job %d: unreadable line from its process: %r", job_id,
                                line[:200])
                    continue
                if "progress" in msg:
                    pending = str(msg["progress"])[:500]
                    if time.monotonic() - last_write > 0.5:
                        self._progress(job_id, pending)
                        pending, last_write = None, time.monotonic()
                elif "result" in msg:
                    self._succeed(job_id, kind, params, data, msg["result"])
                    return
                else:
                    self._finish(job_id, "failed", str(msg.get("error", "?"))[:4000])
                    return
        finally:
            with self._lock:
                self._procs.pop(job_id, None)
                self._cancel.discard(job_id)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def _cancelled(self, job_id: int) -> bool:
        with self._lock:
            if job_id in self._cancel:
                return True
        with self.db.read() as s:
            return bool(s.scalar(select(Job.cancel_requested).where(Job.id == job_id)))

    def _progress(self, job_id: int, text: str) -> None:
        with self.db.write() as s:
            s.execute(update(Job).where(Job.id == job_id, Job.status == "running")
                      .values(progress=text))

    def _finish(self, job_id: int, status: str, error: str) -> None:
        with self.db.write() as s:
            s.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(
                status=status, error=error, finished_at=utcnow(),
                progress="cancelled" if status == "cancelled" else "failed"))
        log.info("job %d %s: %s", job_id, status, error.splitlines()[0] if error else "")

    # -- inputs and results ---------------------------------------------------------------

    def _inputs(self, job_id: int, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """Everything the job's process needs, read now, as plain data."""
        with self.db.read() as s:
            if kind == "plan":
                rev = s.get(Revision, params["revision_id"])
                assert rev is not None
                return {"scenario": rev.source, "scenario_file": f"revision {rev.number}",
                        "phase": params["phase"], "time_limit": params.get("time_limit"),
                        "workers": params.get("workers")}
            plan = s.get(PlanRecord, params["plan_id"])
            assert plan is not None
            rev = s.get(Revision, plan.revision_id)
            assert rev is not None
            data = {"scenario": rev.source, "scenario_file": f"revision {rev.number}",
                    "plan": plan.body}
            if kind == "risk":
                return {**data, "runs": params["runs"], "seed": params.get("seed", 0)}
            events = applicable_events(s, plan, params["upto_seq"])
            return {**data, "events": [(e.seq, json.loads(e.body)) for e in events],
                    "now": params["now"], "time_limit": params.get("time_limit"),
                    "workers": params.get("workers"), "move_cost": params.get("move_cost", 60),
                    "assume_flown": params.get("assume_flown", True)}

    def _succeed(self, job_id: int, kind: str, params: dict[str, Any], data: dict[str, Any],
                 result: dict[str, Any]) -> None:
        with self.db.write() as s:
            job = s.get(Job, job_id)
            if job is None or job.status != "running":
                return  # cancelled (or recovered) meanwhile: the result is not kept
            if kind in ("plan", "replan"):
                body = result["plan"]
                from contingent.scenario.model import parse_time

                completion = parse_time(body["completion"]) if body.get("completion") else None
                if kind == "plan":
                    revision_id = params["revision_id"]
                    based_on, now = None, None
                else:
                    base = s.get(PlanRecord, params["plan_id"])
                    assert base is not None
                    revision_id, based_on = base.revision_id, base.id
                    now = parse_time(params["now"])
                diff = None
                if kind == "replan":
                    diff = json.dumps({"diff": result.get("diff"), "check": result.get("check")})
                rec = PlanRecord(
                    operation_id=job.operation_id, revision_id=revision_id,
                    phase=body["phase"], kind=kind, status=body["status"],
                    completion=completion, body=json.dumps(body), based_on_id=based_on,
                    replan_now=now, diff=diff, job_id=job.id, created_at=utcnow(),
                    created_by=job.created_by)
                s.add(rec)
                s.flush()
                if kind == "plan" and body["status"] in ("optimal", "feasible") and s.scalar(
                        select(Announcement.id).where(
                            Announcement.operation_id == job.operation_id,
                            Announcement.phase == body["phase"])) is None:
                    # The first plan of a phase is what events report against until another
                    # is announced.
                    s.add(Announcement(operation_id=job.operation_id, phase=body["phase"],
                                       plan_id=rec.id, created_at=utcnow(),
                                       created_by=job.created_by))
                job.progress = f"done: {body['status']}"
            else:
                s.add(RiskRecord(operation_id=job.operation_id, plan_id=params["plan_id"],
                                 job_id=job.id, runs=int(params["runs"]),
                                 body=json.dumps(result["risk"]), created_at=utcnow(),
                                 created_by=job.created_by))
                job.progress = "done"
            job.status = "succeeded"
            job.finished_at = utcnow()
        log.info("job %d (%s) succeeded", job_id, kind)


def applicable_events(s: Any, plan: PlanRecord, upto_seq: int | None = None
                      ) -> list[EventRecord]:
    """The events of a plan's operation and phase that apply to it, in order.

    Events reported against the plan itself all apply. Events reported against an earlier
    plan that this one re-plans (directly or not) apply too, except cancellations (the
    re-plan has already dropped those sorties) and departures or arrivals of sorties it no
    longer has. Closures, unserviceable aircraft, handovers and readiness always apply.
    """
    lineage = set()
    cur: PlanRecord | None = plan
    while cur is not None and cur.id not in lineage:
        lineage.add(cur.id)
        cur = s.get(PlanRecord, cur.based_on_id) if cur.based_on_id else None
    q = select(EventRecord).where(EventRecord.operation_id == plan.operation_id,
                                  EventRecord.phase == plan.phase).order_by(EventRecord.seq)
    if upto_seq is not None:
        q = q.where(EventRecord.seq <= upto_seq)
    sorties = {x["id"] for x in json.loads(plan.body).get("sorties", [])}
    out = []
    for e in s.scalars(q):
        if e.plan_id == plan.id:
            out.append(e)
        elif e.kind in ("departed", "arrived", "cancelled"):
            body = json.loads(e.body)
            if e.plan_id in lineage and e.kind != "cancelled" and body.get("sortie") in sorties:
                out.append(e)
        else:
            out.append(e)
    return out


__all__ = ["DIED", "STATES", "JobRunner", "applicable_events"]
