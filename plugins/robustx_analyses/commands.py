"""``robustx report`` and ``robustx analyze ...``: the registered analyses, run on run directories.

Every command is generated from an analysis factory: its options from the factory's annotations
(``cli_options``), its work by calling the configured analysis on the core's ``AnalysisContext``,
exactly as a recipe's ``report.analyses`` does. Only click is imported at module level; torch and
friends load inside the command bodies, so ``robustx --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .analyses import FACTORIES, param_help
from .cli_options import factory_options, factory_params

RUN_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
#: ``robustx analyze NAME`` -> registered analysis
ANALYZE = {"surface": "decision_surface", "trajectories": "trajectories", "landscape": "param_landscape",
           "indicator": "indicator", "curve": "robustness_curve", "tradeoff": "tradeoff",
           "dynamics": "training_dynamics", "stepthrough": "pgd_stepthrough"}
#: repeatable options read better in the singular: --direction random --direction ce
SINGULAR = {"directions": "direction", "attacks": "attack", "curve_attacks": "curve_attack", "runs": "run"}


def _context(run_dir: Path, device: str) -> Any:
    from robustx.runs.rundir import AnalysisContext, load_run

    return AnalysisContext(run_dir=run_dir, run=load_run(run_dir), device=device)


def cli_name_of(analysis: str) -> str:
    """``robustx analyze NAME`` of a registered analysis (its own name when it has no short one)."""
    return next((name for name, full in ANALYZE.items() if full == analysis), analysis)


def _echo_summary(summary: dict[str, Any], out_dir: Path) -> None:
    summary = dict(summary)
    files = summary.pop("files", [])
    click.echo(json.dumps(summary, indent=1, default=str))
    for name in files:
        click.echo(f"wrote {out_dir / name}")


def _command(cli_name: str, analysis: str, callback: Any, *, skip: tuple[str, ...] = ()) -> click.Command:
    factory = FACTORIES[analysis]
    params: list[click.Parameter] = [click.Argument(["run_dirs"], nargs=-1, required=True, type=RUN_DIR)]
    params += factory_options(factory, skip=skip, flags=SINGULAR, help_for=lambda name: param_help(analysis, name))
    params.append(click.Option(["--device"], default="cpu", show_default=True, help="torch device, e.g. cpu or cuda"))
    doc = (factory.__doc__ or "").strip().splitlines()[0]
    return click.Command(cli_name, params=params, callback=callback, help=doc, short_help=doc)


def _analyze(analysis: str) -> Any:
    def run(run_dirs: tuple[Path, ...], device: str, **options: Any) -> None:
        from robustx.base.files import check_writable

        configured = FACTORIES[analysis](**factory_params(options))
        contexts = [_context(run_dir, device) for run_dir in run_dirs]
        for context in contexts:  # every output folder before the first analysis runs
            check_writable(context.out_dir, f"robustx analyze {cli_name_of(analysis)}")
        summaries = []
        for context in contexts:
            summaries.append(configured(context))
            _echo_summary(summaries[-1], context.out_dir)
        if analysis == "indicator" and len(contexts) >= 3:
            _echo_correlation(contexts, summaries)

    return run


def _echo_correlation(contexts: list[Any], summaries: list[dict[str, Any]]) -> None:
    """Spearman(jacobian_l1_mean, robust accuracy of one threat model) across the runs."""
    from .context import report_input_of
    from .indicator import rank_correlation
    from .results_view import headline, headline_key

    results = [report_input_of(c).results for c in contexts]
    key = headline_key(results)
    robust = [headline(r, key) for r in results]
    if any(value is None for value, _ in robust):
        return
    result = rank_correlation([s["jacobian_l1_mean"] for s in summaries], [value for value, _ in robust])
    click.echo(f"Spearman(jacobian_l1_mean, robust accuracy {robust[0][1]}) = {result['spearman_rho']:.3f} "
               f"(p = {result['p_value']:.3g}, n = {result['n']})")


def _report(run_dirs: tuple[Path, ...], device: str, **options: Any) -> None:
    """The first run's context; the others are compared with it."""
    from robustx.base.files import check_writable

    configured = FACTORIES["html_report"](compare=[str(p) for p in run_dirs[1:]], **factory_params(options))
    context = _context(run_dirs[0], device)
    out = options.get("out")
    check_writable(Path(out).expanduser().parent if out else context.out_dir, "robustx report")  # before the work
    summary = configured(context)
    click.echo(f"wrote {summary['path']} ({summary['bytes'] / 1e6:.1f} MB, {summary['seconds']:.1f} s)")


report = _command("report", "html_report", _report, skip=("compare",))
report.help = "Write one self-contained interactive HTML report (works offline) for one or more runs."

analyze = click.Group("analyze", help="Static analyses of runs (PNG figures + JSON/CSV numbers in RUN_DIR/analysis).")
for _name, _analysis in ANALYZE.items():
    analyze.add_command(_command(_name, _analysis, _analyze(_analysis)))
