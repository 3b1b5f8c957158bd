"""Submit a study's unfinished rows as submitit jobs (one per row); wait for them (local) or return (slurm).

A failed row is recorded and does not stop the others; the table is written from the finished rows
exactly as the sequential study writes it (robustx.runs.cluster.row.refresh_study_files).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from robustx.base.errors import RecipeError
from robustx.host.manager import PluginHost, get_host
from robustx.runs.cluster.job import RowJob, write_state
from robustx.runs.cluster.options import LauncherOptions, require_submitit
from robustx.runs.cluster.row import load_study, refresh_study_files, row_dir
from robustx.runs.directory import create_run_dir, mark, read_marker

JOBS = "jobs.json"
JOBS_DIR = "jobs"  # submitit's folder: pickles and one log per job


def new_study_dir(name_or_path: str, overrides: list[str] | tuple[str, ...], out: str | Path,
                  host: PluginHost) -> tuple[Any, Path]:
    """Validate the study (every row), then create its directory as ``robustx.runs.study.start_study`` does."""
    import yaml  # lazy: PyYAML costs --help ~30 ms

    from robustx.base.checkpoint import write_text_atomic  # lazy: loads torch
    from robustx.config.recipe import apply_overrides, load_raw  # lazy: loads pydantic
    from robustx.runs.study import Study, resolve  # lazy: loads pydantic

    raw, source = load_raw(name_or_path, host)
    raw = apply_overrides(raw, overrides)
    study = resolve(raw, source, host)
    if not isinstance(study, Study):
        raise RecipeError(f"--launcher: {name_or_path} is one run, not a study (no variants, sweep or grid); "
                          "drop --launcher to run it here")
    study_dir = create_run_dir(out, study.name)
    mark(study_dir, kind="study", recipe=study.name, source=name_or_path)
    write_text_atomic(study_dir / "study.yaml", yaml.safe_dump(raw, sort_keys=False))
    return study, study_dir


def read_jobs(study_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((study_dir / JOBS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def launch_study(name_or_path: str | None, overrides: list[str] | tuple[str, ...] = (), *, options: LauncherOptions,
                 out: str | Path = "runs", resume: str | Path | None = None, device: str = "auto",
                 echo: Callable[[str], None] | None = None, host: PluginHost | None = None) -> dict[str, Any]:
    """Submit every unfinished row; with ``options.waits()`` wait and return the rows' results and the table."""
    from robustx.base.checkpoint import write_text_atomic  # lazy: loads torch
    from robustx.runs.study import _row_state, combined_table  # lazy: loads pydantic

    submitit = require_submitit()
    host = host or get_host()
    echo = echo or (lambda _msg: None)
    if resume is not None:
        study_dir = Path(resume).expanduser()
        if read_marker(study_dir)["kind"] != "study":
            raise RecipeError(f"--resume {study_dir} --launcher: a single run, not a study; drop --launcher")
        study, row_overrides = load_study(study_dir, overrides, host), tuple(overrides)
    else:
        if not name_or_path:
            raise RecipeError("no recipe given: name a study recipe or a YAML file")
        study, study_dir = new_study_dir(name_or_path, overrides, out, host)
        row_overrides = ()  # already in study.yaml
    study_dir = study_dir.resolve()  # the jobs may start elsewhere (a Slurm node's working directory)
    todo = [name for name, _ in study.rows if _row_state(row_dir(study_dir, name), True) != "finished"]
    echo(f"study directory: {study_dir} ({len(todo)} of {len(study.rows)} rows to run, launcher {options.launcher})")
    jobs: dict[str, Any] = {}
    record = read_jobs(study_dir)
    if todo:
        try:
            executor = submitit.AutoExecutor(folder=str(study_dir / JOBS_DIR), cluster=options.launcher)
        except Exception as exc:  # noqa: BLE001 - e.g. no sbatch on this machine
            if resume is None:  # nothing ran: leave no empty study directory behind

                shutil.rmtree(study_dir, ignore_errors=True)
            raise RecipeError(f"--launcher {options.launcher}: {exc}") from None
        executor.update_parameters(**options.submitit_parameters(f"robustx-{study.name}"))
        for name in todo:
            write_state(row_dir(study_dir, name), state="submitted", exit_code=None)
            job = executor.submit(RowJob(str(study_dir), name, device, row_overrides))
            jobs[name] = job
            record[name] = {"job_id": str(job.job_id), "launcher": options.launcher, "log": str(job.paths.stdout),
                            "stderr": str(job.paths.stderr),
                            "submitted": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            write_state(row_dir(study_dir, name), job_id=str(job.job_id), log=str(job.paths.stdout))
            echo(f"[{name}] job {job.job_id}, log {job.paths.stdout}")
        write_text_atomic(study_dir / JOBS, json.dumps(record, indent=2) + "\n")
    if not options.waits():
        return {"study": study.name, "study_dir": str(study_dir), "submitted": list(jobs), "jobs": record}
    failed: dict[str, str] = {}
    for name, job in jobs.items():
        try:
            job.result()
        except Exception:  # noqa: BLE001 - a failed row is reported, the others still count
            failed[name] = record[name]["log"]
    results = refresh_study_files(study, study_dir)
    from robustx.runs import study as study_module  # lazy: loads pydantic

    if hasattr(study_module, "write_study_figure"):  # figure.png / study.html, as the sequential study ends
        study_module.write_study_figure(study, results, study_dir)
    return {"study": study.name, "study_dir": str(study_dir), "rows": results, "failed": failed,
            "table": combined_table(study, results)}
