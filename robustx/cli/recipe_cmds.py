"""``robustx recipe list | show | cp | validate | run``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from robustx.base.errors import RobustxError

OVERRIDES_HELP = "KEY=VALUE overrides, e.g. train.epochs=1 data.limit=512 evaluate.attacks.1.eps=8/255"


@click.group()
def recipe() -> None:
    """Find, copy, check and run recipes (YAML train-then-evaluate pipelines)."""


@recipe.command("list")
def list_recipes() -> None:
    """Registered recipes (built-in and from plugins)."""
    from robustx.host.manager import registry  # lazy: a command's code loads when it runs, not at --help

    entries = registry("recipe").entries()
    width = max((len(e.name) for e in entries), default=4)
    for entry in entries:
        click.echo(f"{entry.name.ljust(width)}  {entry.description}  [{entry.plugin}]")


@recipe.command("show")
@click.argument("name")
def show(name: str) -> None:
    """Print a recipe's YAML."""
    from robustx.config.recipe import find_recipe, read_text  # lazy: loads pydantic

    click.echo(read_text(find_recipe(name)), nl=False)


@recipe.command("cp")
@click.argument("name")
@click.argument("path", type=click.Path())
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def copy(name: str, path: str, force: bool) -> None:
    """Copy a recipe to PATH (a file or a folder) to edit it."""
    from robustx.config.recipe import find_recipe  # lazy: loads pydantic

    source = find_recipe(name)
    target = Path(path)
    if target.is_dir():
        target = target / source.name
    if target.exists() and not force:
        raise RobustxError(f"{target} already exists; pass --force to overwrite")
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        raise RobustxError(f"cannot write {target}: {exc.strerror}") from None
    click.echo(f"copied {name} to {target}; run it with: robustx recipe run {target}")


@recipe.command("validate")
@click.argument("name_or_path")
@click.argument("overrides", nargs=-1)
def validate_cmd(name_or_path: str, overrides: tuple[str, ...]) -> None:
    """Check a recipe (every name resolved, every value typed and in range) without running it.

    OVERRIDES are key=value pairs, exactly as for `robustx recipe run`.
    """
    from robustx.config.recipe import apply_overrides, load_raw  # lazy: loads pydantic
    from robustx.host.manager import get_host  # lazy: a command's code loads when it runs, not at --help
    from robustx.runs.study import Study, resolve  # lazy: loads pydantic

    raw, source = load_raw(name_or_path)
    target = resolve(apply_overrides(raw, overrides), source, get_host())
    if isinstance(target, Study):
        names = ", ".join(n for n, _ in target.rows)
        click.echo(f"ok: {target.name}: a study of {len(target.rows)} runs: {names}")
        return
    r = target.settings
    attacks = ", ".join(a["name"] for a in r.evaluate.attacks)
    click.echo(f"ok: {r.name}: {r.data.name} / {r.model.name} / {r.train.defense['name']} "
               f"for {r.train.epochs} epochs; evaluate {attacks}")


@recipe.command("schema")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write to a file instead of stdout.")
def schema(out: str | None) -> None:
    """Print the JSON Schema of recipes (for editor autocompletion), built from the installed plugins.

    \b
    VS Code (YAML extension): robustx recipe schema --out robustx.schema.json, then put
    # yaml-language-server: $schema=robustx.schema.json   at the top of a recipe.
    """

    from robustx.config.schema import recipe_schema  # lazy: loads pydantic

    text = json.dumps(recipe_schema(), indent=2)
    if out is None:
        click.echo(text)
        return
    try:
        Path(out).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise RobustxError(f"cannot write {out}: {exc.strerror}") from None
    click.echo(f"written: {out}")


@recipe.command("run")
@click.argument("name_or_path")
@click.argument("overrides", nargs=-1)
@click.option("--out", default="runs", show_default=True, type=click.Path(), help="Folder for run directories.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--resume", type=click.Path(), default=None,
              help="Continue an interrupted run (a directory robustx created) from its last completed epoch; "
                   "NAME_OR_PATH must be that run's recipe.")
@click.option("--quiet", is_flag=True, help="No progress bars or epoch lines.")
@click.option("--nproc", type=int, default=None,
              help="Train in N processes (torch.distributed, launched with torchrun; one per GPU on CUDA).")
@click.option("--logger", "loggers", multiple=True, metavar="NAME",
              help="Also log to this tracker (repeatable): tensorboard, mlflow, wandb; added to the recipe's loggers.")
@click.option("--launcher", type=click.Choice(["local", "slurm"]), default=None,
              help="A study: run each row as a submitit job (local: parallel processes here; slurm: sbatch). "
                   "See docs/running.md.")
@click.option("--launcher-config", type=click.Path(dir_okay=False), default=None,
              help="With --launcher: YAML of partition, time, gpus_per_node, nodes, account, cpus_per_task, mem_gb, "
                   "sbatch (extra #SBATCH flags), setup.")
@click.option("--partition", default=None, help="With --launcher slurm: the Slurm partition.")
@click.option("--time", "time_min", type=click.IntRange(min=1), default=None,
              help="With --launcher: minutes per row job (default 1440).")
@click.option("--gpus-per-node", type=click.IntRange(min=0), default=None,
              help="With --launcher: GPUs per row (one DDP process each).")
@click.option("--nodes", type=click.IntRange(min=1), default=None, help="With --launcher slurm: nodes per row.")
@click.option("--account", default=None, help="With --launcher slurm: the Slurm account.")
def run(name_or_path: str, overrides: tuple[str, ...], out: str, device: str, resume: str | None,
        quiet: bool, nproc: int | None, loggers: tuple[str, ...] = (), launcher: str | None = None,
        launcher_config: str | None = None, partition: str | None = None, time_min: int | None = None,
        gpus_per_node: int | None = None, nodes: int | None = None, account: str | None = None) -> None:
    """Train and evaluate as the recipe says; print the results table and the run directory.

    NAME_OR_PATH is a registered recipe (see `robustx recipe list`) or a YAML file. OVERRIDES are
    key=value pairs that replace recipe fields before validation: train.epochs=1,
    data.limit=512, evaluate.attacks.1.eps=8/255 (fractions are exact).

    \b
    Examples:
      robustx recipe run quickstart
      robustx recipe run mnist_pgd_at train.epochs=2 data.limit=5000 --device cpu
      robustx recipe run my_recipe.yaml evaluate.attacks.1.eps=8/255
      robustx recipe run mat_rand_wrn --resume runs/mat_rand_wrn-20260101-120000
      robustx recipe run report_t2_mat_rand --launcher slurm --partition gpu --gpus-per-node 1 --time 600
      robustx recipe run cifar10_pgd_at --nproc 2   (= torchrun --nproc_per_node 2 -m robustx recipe run ...)
    """
    if launcher is not None and loggers:
        raise RobustxError(f"--logger {loggers[0]} with --launcher: name the trackers in the recipe's loggers "
                           "(or as an override, loggers=[tensorboard]) so every row job gets them")
    if launcher is not None:  # a study's rows as submitit jobs (robustx.runs.cluster)
        from robustx.cli.study_cmds import launch_from_cli  # lazy: a command's code loads when it runs, not at --help

        launch_from_cli(name_or_path, overrides, out=out, device=device, resume=resume, quiet=quiet,
                        launcher=launcher, config=launcher_config,
                        given={"partition": partition, "time": time_min, "gpus_per_node": gpus_per_node,
                               "nodes": nodes, "account": account})
        return
    if nproc is not None:
        from robustx.base.distributed import relaunch  # lazy: a command's code loads when it runs, not at --help

        args = ["recipe", "run", name_or_path, *overrides, "--out", out, "--device", device]
        args += (["--resume", resume] if resume else []) + (["--quiet"] if quiet else [])
        args += [part for name in loggers for part in ("--logger", name)]
        raise SystemExit(relaunch(nproc, args))
    from robustx.evaluation.results import terminal_table  # lazy: a command's code loads when it runs, not at --help
    from robustx.runs.entry import run_recipe  # lazy: loads torch

    echo = None if quiet else (lambda msg: click.echo(msg, err=True))
    results = run_recipe(name_or_path, overrides, out=out, device=device, resume=resume,
                         progress=not quiet, echo=echo, loggers=loggers)
    from robustx.base.distributed import is_main  # lazy: a command's code loads when it runs, not at --help

    if not is_main():  # under torchrun, rank 0 prints for the job
        return
    if "study" in results:
        click.echo(results["table"])
        click.echo(f"study directory: {results['study_dir']} (table.md, study.json, one run directory per row)")
        return
    click.echo(terminal_table(results))
    if results.get("already_finished"):  # --resume of a finished run: its saved results, nothing re-run
        click.echo(f"run directory: {results['run_dir']} (already finished; nothing was re-run)")
        return
    if results.get("stochastic"):
        click.echo(f"(randomized model: EOT with {results['eot_samples']} samples, "
                   f"accuracy averaged over {results['n_predictions']} predictions)")
    headline = results.get("worst_case_threat_model")
    worst = f"{headline['norm']} {headline['eps']:.4g}" if headline else "worst case"
    click.echo(f"clean {100 * results['clean_accuracy']:.2f}%  {worst} {100 * results['worst_case_accuracy']:.2f}%"
               f"  ({results['seconds_total']:.1f}s)")
    click.echo(f"run directory: {results['run_dir']}")
