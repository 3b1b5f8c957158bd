"""``robustx study status | run-row``: the rows of a study launched through submitit (robustx.runs.cluster)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def study() -> None:
    """Look after studies whose rows run as jobs (robustx recipe run STUDY --launcher local|slurm)."""


@study.command("status")
@click.argument("study_dir", type=click.Path())
def status(study_dir: str) -> None:
    """Each row's state (finished, running, interrupted, failed, submitted, not started) and its log.

    \b
    Unfinished rows are submitted again by:
      robustx recipe run --resume STUDY_DIR --launcher local|slurm
    """
    # lazy: a command's code loads when it runs, not at --help
    from robustx.runs.cluster.status import status_table, study_status

    rows = study_status(study_dir)
    click.echo(status_table(rows))
    done = sum(r["state"] == "finished" for r in rows)
    click.echo(f"{done} of {len(rows)} rows finished")


@study.command("run-row", hidden=True)
@click.argument("study_dir", type=click.Path())
@click.argument("row")
@click.option("--device", default="auto")
@click.option("--override", "overrides", multiple=True)
def run_row_cmd(study_dir: str, row: str, device: str, overrides: tuple[str, ...]) -> None:
    """Run one row of STUDY_DIR here (what each launcher job executes)."""

    from robustx.runs.cluster.row import run_row  # lazy: a command's code loads when it runs, not at --help

    results = run_row(Path(study_dir), row, device=device, overrides=overrides,
                      echo=lambda msg: click.echo(msg, err=True))
    click.echo(f"[{row}] done: clean {100 * results['clean_accuracy']:.2f}%")


def launch_from_cli(name_or_path: str, overrides: tuple[str, ...], *, out: str, device: str, resume: str | None,
                    quiet: bool, launcher: str, config: str | None, given: dict) -> None:
    """``robustx recipe run STUDY --launcher ...``: submit, wait (local), print the table; failed rows -> exit 1."""

    from robustx.base.errors import RobustxError  # lazy: a command's code loads when it runs, not at --help
    from robustx.runs.cluster.launch import launch_study  # lazy: a command's code loads when it runs, not at --help
    from robustx.runs.cluster.options import load_options  # lazy: a command's code loads when it runs, not at --help

    options = load_options(launcher, config, given)
    if resume is not None:
        from robustx.host.manager import get_host  # lazy: a command's code loads when it runs, not at --help
        from robustx.runs.directory import read_marker  # lazy: a command's code loads when it runs, not at --help
        from robustx.runs.entry import check_name  # lazy: loads torch

        check_name(Path(resume), name_or_path, read_marker(Path(resume)), get_host())
    echo = None if quiet else (lambda msg: click.echo(msg, err=True))
    results = launch_study(name_or_path, overrides, options=options, out=out, resume=resume, device=device,
                           echo=echo)
    study_dir = results["study_dir"]
    if "table" not in results:  # slurm without waiting: the rows write table.md as they finish
        click.echo(f"submitted {len(results['submitted'])} rows; follow them with: robustx study status {study_dir}")
        return
    click.echo(results["table"])
    click.echo(f"study directory: {study_dir} (table.md, study.json, jobs.json, one run directory per row)")
    if results["failed"]:
        logs = "; ".join(f"{name} (log: {log})" for name, log in results["failed"].items())
        raise RobustxError(f"{len(results['failed'])} row(s) failed: {logs}; after a fix, "
                           f"`robustx recipe run {name_or_path} --resume {study_dir} --launcher {launcher}` "
                           "runs only the unfinished rows")
