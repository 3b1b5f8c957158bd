"""Inside a job: run one row of a study in its sub-directory; refresh the study's table from finished rows.

The row runs exactly as in a sequential study (``robustx.runs.study.run_study``): a new row starts in
STUDY_DIR/<slug>, an interrupted one continues from its checkpoint, a finished one is left alone.
Every row that finishes rewrites table.md and study.json from every finished row's results.json
(under a lock), so a Slurm study's table is complete when its last row ends, with nothing waiting.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from robustx.base import distributed
from robustx.base.device import resolve_device
from robustx.base.errors import RecipeError, did_you_mean
from robustx.base.files import file_lock
from robustx.host.manager import PluginHost, get_host

LOCK = ".study.lock"


def load_study(study_dir: Path, overrides: list[str] | tuple[str, ...], host: PluginHost) -> Any:
    """The study as study.yaml records it (with ``overrides`` for rows that start now), every row validated."""
    from robustx.config.recipe import apply_overrides, parse_yaml, read_text  # lazy: loads pydantic
    from robustx.runs.study import expand  # lazy: loads pydantic

    saved = study_dir / "study.yaml"
    if not saved.is_file():
        raise RecipeError(f"{study_dir}: no study.yaml; give a study directory robustx created")
    raw = apply_overrides(parse_yaml(read_text(saved), str(saved)), overrides)
    return expand(raw, str(saved), host)


def row_dir(study_dir: Path, name: str) -> Path:
    from robustx.runs.study import slug  # lazy: loads pydantic

    return study_dir / slug(name)


def run_row(study_dir: Path, name: str, *, device: str = "auto", overrides: list[str] | tuple[str, ...] = (),
            progress: bool = False, echo: Any = None, host: PluginHost | None = None) -> dict[str, Any]:
    """Run (or continue) row ``name``; returns its results and refreshes the study's files."""
    from robustx.runs.launch import continue_run, start_run  # lazy: loads torch
    from robustx.runs.recipe_run import RunOptions  # lazy: loads torch
    from robustx.runs.study import _row_state  # lazy: loads pydantic

    host = host or get_host()
    study = load_study(study_dir, overrides, host)
    recipes = dict(study.rows)
    if name not in recipes:
        raise RecipeError(f"study {study.name} has no row '{name}'{did_you_mean(name, recipes)}")
    distributed.init_from_env(resolve_device(device))  # a multi-GPU row: DDP from submitit's environment
    options = RunOptions(device=device, progress=progress and distributed.is_main(),
                         echo=echo if distributed.is_main() else None)
    target = row_dir(study_dir, name)
    state = distributed.on_main(lambda: _row_state(target, True))
    if state == "finished":
        results = json.loads((target / "results.json").read_text(encoding="utf-8"))
    elif state == "interrupted":
        results = continue_run(target, options, host)
    else:
        distributed.on_main(lambda: target.mkdir(parents=True, exist_ok=True))
        results = start_run(recipes[name], target, options, host, source=None)
    if distributed.is_main():
        refresh_study_files(study, study_dir)
    return results


def study_lock(study_dir: Path) -> contextlib.AbstractContextManager[None]:
    """Rows finishing at the same moment write the study's files one after the other (POSIX flock)."""
    return file_lock(study_dir / LOCK)


def finished_results(study: Any, study_dir: Path) -> dict[str, dict[str, Any]]:
    """Every finished row's results.json (rows not finished, or with a torn file, are left out)."""
    results = {}
    for name, _ in study.rows:
        path = row_dir(study_dir, name) / "results.json"
        try:
            results[name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return results


def refresh_study_files(study: Any, study_dir: Path) -> dict[str, dict[str, Any]]:
    """study.json and table.md from the finished rows, as the sequential study writes them."""
    from robustx.base.checkpoint import write_text_atomic  # lazy: loads torch
    from robustx.runs.study import combined_table  # lazy: loads pydantic

    with study_lock(study_dir):
        results = finished_results(study, study_dir)
        summary = {"study": study.name, "rows": [{"name": n, "run_dir": str(row_dir(study_dir, n)),
                                                  "results": results.get(n)} for n, _ in study.rows],
                   "paper": study.paper}
        write_text_atomic(study_dir / "study.json", json.dumps(summary, indent=2))
        write_text_atomic(study_dir / "table.md", combined_table(study, results))
    return results
