"""Start a run in a new directory, or continue one exactly as its directory records it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from robustx.base import distributed
from robustx.base.checkpoint import write_text_atomic
from robustx.base.errors import RecipeError, RobustxError
from robustx.base.files import check_writable, read_json
from robustx.config.models import saved_settings
from robustx.config.recipe import Recipe, parse_yaml, read_text, validate
from robustx.host.manager import PluginHost
from robustx.runs.directory import mark
from robustx.runs.recipe_run import RecipeRun, RunOptions


def start_run(recipe: Recipe, run_dir: Path, options: RunOptions, host: PluginHost,
              source: str | None) -> dict[str, Any]:
    """A fresh run: mark the directory as robustx's, record the resolved recipe, execute."""

    if distributed.is_main():  # only rank 0 writes; the others wait until the directory is complete
        mark(run_dir, kind="run", recipe=recipe.name, source=source)
        write_text_atomic(run_dir / "recipe.yaml", recipe.to_yaml())
    distributed.barrier()
    return RecipeRun(recipe, run_dir, replace(options, resume=False), host).execute()


def continue_run(run_dir: Path, options: RunOptions, host: PluginHost) -> dict[str, Any]:
    """An interrupted run, with the recipe.yaml it was created with (read, never rewritten).

    A run that already finished (its results.json is written last) is not run again: re-running
    its evaluation would rewrite results.json without the ``audit`` section and the saved outcomes
    without the attacks that ``robustx eval`` added. Its saved results are returned instead.
    """
    finished = run_dir / "results.json"
    if finished.is_file():
        results = read_json(finished, hint=f"re-evaluate the run with `robustx eval {run_dir} --fresh`")
        more = _epochs_to_add(run_dir, results)
        if more:  # recipe.yaml was edited to train longer: the model changes, so its evaluation is redone
            if options.echo:
                options.echo(f"{run_dir} finished; its recipe.yaml asks for {more} more epoch(s): training goes on and "
                             "the evaluation is redone for the new weights (the old results.json is replaced)")
            return _resume(run_dir, options, host)
        if options.echo:
            options.echo(f"{run_dir} already finished (results.json is written): nothing to resume; "
                         f"`robustx eval {run_dir} --attack ...` adds attacks, `robustx audit {run_dir}` audits it")
        return {**results, "run_dir": str(run_dir), "already_finished": True}
    return _resume(run_dir, options, host)


def _epochs_to_add(run_dir: Path, results: dict[str, Any]) -> int:
    """Epochs a finished run's recipe.yaml asks for beyond those it trained (0 when it stopped early)."""
    if results.get("stopped"):
        return 0
    try:
        wanted = saved_settings(parse_yaml(read_text(run_dir / "recipe.yaml"), "recipe.yaml")).train.epochs
        metrics = run_dir / "metrics.jsonl"
        trained = sum(1 for line in read_text(metrics).splitlines() if line.strip()) if metrics.is_file() else 0
    except (RobustxError, ValueError, TypeError, AttributeError):
        return 0  # an unreadable recipe is reported by the path that needs it
    return max(0, wanted - trained)


def _resume(run_dir: Path, options: RunOptions, host: PluginHost) -> dict[str, Any]:
    check_writable(run_dir, f"--resume {run_dir}")  # checkpoints go there: refuse before training
    saved = run_dir / "recipe.yaml"
    if not saved.is_file():
        raise RecipeError(f"--resume {run_dir}: its recipe.yaml is missing; start a new run instead")
    recipe = validate(parse_yaml(read_text(saved), str(saved)), str(saved), host)  # a binary file: one line
    return RecipeRun(recipe, run_dir, replace(options, resume=True), host).execute()
