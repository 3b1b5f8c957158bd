"""``robustx study status STUDY_DIR``: each row's state and log, from the files the rows and jobs write."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from robustx.base.errors import RecipeError
from robustx.host.manager import PluginHost, get_host
from robustx.runs.cluster.job import read_state
from robustx.runs.cluster.launch import read_jobs
from robustx.runs.cluster.row import load_study, row_dir
from robustx.runs.directory import CHECKPOINT, read_marker

STATES = ("finished", "running", "interrupted", "failed", "submitted", "requeued", "not started")


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    return True


def row_status(study_dir: Path, name: str, jobs: dict[str, Any]) -> dict[str, Any]:
    """finished (results.json) > the job's own state > interrupted (a checkpoint) > not started."""


    target = row_dir(study_dir, name)
    job = read_state(target)
    state = job.get("state") or "not started"
    if (target / "results.json").is_file():
        state = "finished"
    elif state == "running" and job.get("host") == socket.gethostname() and not _alive(job.get("pid")):
        state = "interrupted" if (target / CHECKPOINT).is_file() else "failed"  # the job died without a word
    elif state == "not started" and (target / CHECKPOINT).is_file():
        state = "interrupted"
    log = job.get("log") or (jobs.get(name) or {}).get("log")
    return {"row": name, "state": state, "job_id": job.get("job_id"), "exit_code": job.get("exit_code"),
            "log": log, "run_dir": str(target)}


def study_status(study_dir: str | Path, host: PluginHost | None = None) -> list[dict[str, Any]]:
    study_dir = Path(study_dir).expanduser()
    if read_marker(study_dir)["kind"] != "study":
        raise RecipeError(f"{study_dir} is a single run, not a study directory")
    study = load_study(study_dir, (), host or get_host())
    jobs = read_jobs(study_dir)
    return [row_status(study_dir, name, jobs) for name, _ in study.rows]


def status_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table: row, state (with the exit code of a failed row), log."""
    width = max([len(r["row"]) for r in rows] + [3])
    lines = [f"{'row'.ljust(width)}  {'state'.ljust(14)}  log"]
    for r in rows:
        state = r["state"] + (f" ({r['exit_code']})" if r["state"] in ("failed", "interrupted") and r["exit_code"]
                              else "")
        lines.append(f"{r['row'].ljust(width)}  {state.ljust(14)}  {r['log'] or '-'}")
    return "\n".join(lines)
