"""``run_recipe``: what ``robustx recipe run`` and ``robustx.run_recipe`` call."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from robustx.base import distributed
from robustx.base.device import resolve_device
from robustx.base.errors import RecipeError, RobustxError
from robustx.config.recipe import apply_overrides, load_raw
from robustx.host.manager import PluginHost, get_host
from robustx.runs.directory import create_run_dir, read_marker, remove_if_unstarted
from robustx.runs.launch import continue_run, start_run
from robustx.runs.recipe_run import RunOptions
from robustx.runs.study import Study, resolve, resume_study, start_study

__all__ = ["RunOptions", "run_recipe"]


def run_recipe(name_or_path: str | None, overrides: list[str] | tuple[str, ...] = (), *, out: str | Path = "runs",
               device: str = "auto", resume: str | Path | None = None, progress: bool = False,
               echo: Callable[[str], None] | None = None, host: PluginHost | None = None,
               loggers: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Run a recipe end to end; returns the results dict (also written to RUN_DIR/results.json).

    A recipe with ``variants`` or a ``sweep`` is a study: every row runs in its own sub-directory
    and the return value holds each row's results plus the combined table. With ``resume`` (a
    directory robustx created), ``name_or_path`` may be empty; when given it must name that run's recipe.
    """

    host = host or get_host()
    distributed.init_from_env(resolve_device(device))  # under torchrun: join the process group
    main = distributed.is_main()  # the other ranks of a torchrun job print nothing
    options = RunOptions(device=device, progress=progress and main, echo=echo if main else None)
    if resume is not None:
        if loggers:
            raise RecipeError(f"--resume {resume}: a run continues with the loggers its recipe.yaml names; "
                              f"--logger {loggers[0]} applies to new runs")
        return resume_dir(Path(resume).expanduser(), name_or_path, overrides, options, host)
    if not name_or_path:
        raise RecipeError("no recipe given: name a registered recipe or a YAML file")
    raw, source = load_raw(name_or_path, host)
    raw = add_loggers(apply_overrides(raw, overrides), loggers)
    target = resolve(raw, source, host)
    if isinstance(target, Study):
        return start_study(target, raw, out, options, host, source=name_or_path)
    run_dir = distributed.on_main(lambda: create_run_dir(out, target.name))  # one directory for all ranks
    try:
        return start_run(target, run_dir, options, host, source=name_or_path)
    except BaseException:
        if distributed.is_main():
            remove_if_unstarted(run_dir)
        raise


def add_loggers(raw: dict[str, Any], names: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``--logger NAME`` (repeatable): append trackers to the recipe's ``loggers`` (one already listed is kept)."""
    if not names:
        return raw
    listed = raw.get("loggers") or []
    if not isinstance(listed, list):
        return raw  # validation reports the malformed key
    have = {item if isinstance(item, str) else item.get("name") for item in listed if isinstance(item, (str, dict))}
    return {**raw, "loggers": [*listed, *(n for n in dict.fromkeys(names) if n not in have)]}


def resume_dir(run_dir: Path, name_or_path: str | None, overrides: list[str] | tuple[str, ...],
               options: RunOptions, host: PluginHost) -> dict[str, Any]:
    """Continue a run or study directory that robustx created (its marker says which recipe)."""
    marker = read_marker(run_dir)
    check_name(run_dir, name_or_path, marker, host)
    if marker["kind"] == "study":
        return resume_study(run_dir, overrides, options, host)
    if overrides:
        raise RecipeError(f"--resume {run_dir}: a run continues exactly as its recipe.yaml says, so overrides "
                          f"({', '.join(overrides)}) are not accepted; start a new run to change the recipe")
    return continue_run(run_dir, options, host)


def check_name(run_dir: Path, name_or_path: str | None, marker: dict[str, Any], host: PluginHost) -> None:
    """A NAME given with --resume must be the run's recipe (by name, or the file it came from)."""
    if not name_or_path or name_or_path in (marker["recipe"], marker.get("source")):
        return
    try:
        given = load_raw(name_or_path, host)[0].get("name")
    except RobustxError:
        given = None
    if given != marker["recipe"]:
        raise RecipeError(f"--resume {run_dir} holds a run of recipe '{marker['recipe']}', not '{name_or_path}'; "
                          f"name its recipe ({marker['recipe']}) or check the directory")
