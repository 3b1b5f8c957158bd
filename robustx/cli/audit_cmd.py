"""``robustx audit RUN_DIR``: check a finished run's numbers for weak attacks and gradient masking."""

from __future__ import annotations

import click


@click.command("audit")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--level", type=click.Choice(["quick", "full"]), default="quick", show_default=True,
              help="quick: at most the evaluation's own time (first 200 examples); full: every example, "
                   "5000-query Square, 4 restarts.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--quiet", is_flag=True, help="Print only the verdicts, not each attack the audit runs.")
def audit(run_dir: str, level: str, device: str, quiet: bool) -> None:
    """Audit RUN_DIR's evaluation (checks a-g of docs/evaluation.md).

    \b
    Writes `audit: [{check, status, evidence, advice}]` into RUN_DIR/results.json and results.md.
    Exit code 0 even when a check fails: the verdict is the output (read the FAIL lines).
    """
    # lazy: a command's code loads when it runs, not at --help
    from robustx.evaluation.audit.report import banner, lines
    from robustx.runs.audit_run import audit_run  # lazy: PyYAML costs --help ~30 ms

    results, path = audit_run(run_dir, level=level, device=device,
                              echo=None if quiet else (lambda msg: click.echo(msg, err=True)))
    for line in lines(results):
        click.echo(line)
    text = banner(results)
    if text:
        click.secho(text, fg="red", bold=True)
    click.echo(f"audit ({level}, {results['audit_seconds']:.1f}s) written to {path}")
