"""What runs in a job's own process: plan, risk or re-plan, on plain data.

Run as ``python -m contingent.service.worker``. The process never touches the database: it
reads its inputs from the service on stdin, sends progress lines and one result (or error)
back on stdout, and exits. It also exits at once if the
service that started it dies, so a killed server leaves no orphan solver running.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import traceback
from typing import IO, Any

log = logging.getLogger(__name__)


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.5)


def main() -> None:
    """Entry point of a job process: one JSON job on stdin, JSON lines on stdout.

    Each output line is ``{"progress": text}``, then one ``{"result": data}`` or
    ``{"error": text}``.
    """
    # Our protocol owns the real stdout; anything else printed goes to stderr.
    out: IO[str] = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s job %(name)s: %(message)s")
    job = json.loads(sys.stdin.readline())
    threading.Thread(target=_watch_parent, args=(int(job["parent"]),), daemon=True).start()
    lock = threading.Lock()

    def send(msg: dict[str, Any]) -> None:
        with lock:
            out.write(json.dumps(msg) + "\n")
            out.flush()

    try:
        result = RUNNERS[job["kind"]](job["data"], lambda text: send({"progress": str(text)}))
        send({"result": result})
    except Exception as exc:
        from contingent.errors import InputError

        if isinstance(exc, InputError):
            send({"error": str(exc)})
        else:
            send({"error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"})
    out.close()


def _scenario(data: dict[str, Any]) -> Any:
    from contingent.scenario import loads_scenario

    return loads_scenario(data["scenario"], file=data.get("scenario_file", "<revision>"))


def run_plan(data: dict[str, Any], progress: Any) -> dict[str, Any]:
    """Plan one phase; returns the plan file data."""
    from contingent.plan import plan as make_plan
    from contingent.planfile import plan_to_dict

    s = _scenario(data)
    progress("planning")
    p = make_plan(s, data["phase"], time_limit=data.get("time_limit"),
                  workers=data.get("workers") or 1, progress=progress)
    return {"plan": plan_to_dict(p, s.operation.tz)}


def run_risk(data: dict[str, Any], progress: Any) -> dict[str, Any]:
    """Simulate a plan under the scenario's disruptions; returns the risk result data."""
    from contingent.planfile import loads_plan
    from contingent.risk.simulate import simulate

    s = _scenario(data)
    p = loads_plan(data["plan"], file="<plan>")
    runs = int(data["runs"])
    progress(f"simulating 0/{runs}")
    r = simulate(s, p, runs=runs, seed=int(data.get("seed", 0)), workers=1,
                 progress=lambda done, total: progress(f"simulating {done}/{total}"))
    return {"risk": r.to_dict(s.operation.tz)}


def run_replan(data: dict[str, Any], progress: Any) -> dict[str, Any]:
    """Re-plan after events; returns the re-plan file data, its diff and its check."""
    from contingent.events import parse_events
    from contingent.planfile import loads_plan
    from contingent.replan import check_remaining, diff_to_dict, replan, replan_to_dict
    from contingent.scenario.model import parse_time

    s = _scenario(data)
    base = loads_plan(data["plan"], file="<plan>")
    events = []
    for seq, body in data["events"]:
        events.extend(parse_events([body], file=f"event #{seq}", first_seq=seq,
                                   numbered=True))
    now = parse_time(data["now"])
    r = replan(s, base, events, now, time_limit=data.get("time_limit"),
               workers=data.get("workers") or 1, move_cost=int(data.get("move_cost", 60)),
               assume_flown=bool(data.get("assume_flown", True)), progress=progress)
    tz = s.operation.tz
    out: dict[str, Any] = {"plan": replan_to_dict(r, tz), "diff": None, "check": []}
    if r.strategy != "none":
        progress("checking the re-plan")
        out["diff"] = diff_to_dict(r.diff, tz)
        out["check"] = [str(v) for v in check_remaining(s, r)]
    return out


RUNNERS = {"plan": run_plan, "risk": run_risk, "replan": run_replan}

if __name__ == "__main__":
    main()
