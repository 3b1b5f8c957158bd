"""Start a run in a new directory, or continue one exactly as its directory records it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..engine.checkpoint import write_text_atomic
from ..errors import RecipeError
from ..plugins import PluginHost
from ..recipe import Recipe, parse_yaml, validate
from .directory import mark
from .recipe_run import RecipeRun, RunOptions


def start_run(recipe: Recipe, run_dir: Path, options: RunOptions, host: PluginHost,
              source: str | None) -> dict[str, Any]:
    """A fresh run: mark the directory as robustx's, record the resolved recipe, execute."""
    from .. import distributed

    if distributed.is_main():  # only rank 0 writes; the others wait until the directory is complete
        mark(run_dir, kind="run", recipe=recipe.name, source=source)
        write_text_atomic(run_dir / "recipe.yaml", recipe.to_yaml())
    distributed.barrier()
    return RecipeRun(recipe, run_dir, replace(options, resume=False), host).execute()


def continue_run(run_dir: Path, options: RunOptions, host: PluginHost) -> dict[str, Any]:
    """An interrupted run, with the recipe.yaml it was created with (read, never rewritten)."""
    saved = run_dir / "recipe.yaml"
    if not saved.is_file():
        raise RecipeError(f"--resume {run_dir}: its recipe.yaml is missing; start a new run instead")
    recipe = validate(parse_yaml(saved.read_text(encoding="utf-8"), str(saved)), str(saved), host)
    return RecipeRun(recipe, run_dir, replace(options, resume=True), host).execute()
