"""``robustx report`` and ``robustx analyze ...``: click commands added by this plugin.

Only click is imported at module level; torch and friends load inside the command bodies,
so ``robustx --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


class Number(click.ParamType):
    """A float that may be written as an exact fraction (``8/255``), never eval'd."""

    name = "number"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        from robustx.errors import ParamError
        from robustx.params import parse_number

        try:
            parsed = parse_number(value, param.name if param else "value")
        except ParamError as exc:
            self.fail(str(exc), param, ctx)
        if isinstance(parsed, (int, float)) and not isinstance(parsed, bool):
            return float(parsed)
        self.fail(f"{value!r} is not a number (use 0.03 or 8/255)", param, ctx)


NUMBER = Number()
RUN_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
device_option = click.option("--device", default="cpu", show_default=True, help="torch device, e.g. cpu or cuda")


def _load(run_dir: Path, device: str) -> Any:
    from .rundir import load_report_input

    return load_report_input(run_dir, device=device)


def _echo_summary(summary: dict[str, Any], out_dir: Path) -> None:
    files = summary.pop("files", [])
    click.echo(json.dumps(summary, indent=1, default=str))
    for name in files:
        click.echo(f"wrote {out_dir / name}")


@click.command("report")
@click.argument("run_dirs", nargs=-1, required=True, type=RUN_DIR)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HTML file to write [default: FIRST_RUN_DIR/analysis/report.html]")
@click.option("--grid", default=41, show_default=True, type=click.IntRange(3, 401), help="decision-surface grid points per axis")
@click.option("--radius", type=NUMBER, default=None, help="decision-surface half-width [default: 4 x eps]")
@click.option("--eps", type=NUMBER, default=None, help="PGD budget for step-through and paths [default: from results.json]")
@click.option("--steps", default=10, show_default=True, type=click.IntRange(1, 1000), help="PGD steps")
@click.option("--curve-n", default=200, show_default=True, type=click.IntRange(1), help="test images for robustness curves")
@click.option("--indicator-n", default=32, show_default=True, type=click.IntRange(1), help="test images for the indicator")
@device_option
def report(run_dirs: tuple[Path, ...], out: Path | None, grid: int, radius: float | None, eps: float | None,
           steps: int, curve_n: int, indicator_n: int, device: str) -> None:
    """Write one self-contained interactive HTML report (works offline) for one or more runs."""
    from .report import ReportOptions, build_report

    inputs = [_load(path, device) for path in run_dirs]
    target = out or run_dirs[0] / "analysis" / "report.html"
    options = ReportOptions(grid=grid, radius=radius, eps=eps, steps=steps, curve_n=curve_n, indicator_n=indicator_n)
    summary = build_report(inputs, target, options, analysis_dir=run_dirs[0] / "analysis")
    click.echo(f"wrote {target} ({summary['bytes'] / 1e6:.1f} MB, {summary['seconds']:.1f} s)")


@click.group("analyze")
def analyze() -> None:
    """Static analyses of a run (PNG figures + JSON/CSV numbers in RUN_DIR/analysis)."""


@analyze.command("surface")
@click.argument("run_dir", type=RUN_DIR)
@click.option("--n", default=8, show_default=True, type=click.IntRange(1), help="images (the tracked ones first)")
@click.option("--grid", default=41, show_default=True, type=click.IntRange(3, 401))
@click.option("--radius", type=NUMBER, default=None, help="half-width of the grid [default: 4 x eps]")
@click.option("--direction", "directions", multiple=True, default=("random", "ce"), show_default=True,
              type=click.Choice(["random", "ce", "ll", "cw"]), help="x-axis direction (repeatable)")
@click.option("--kind", "random_kind", default="sign", show_default=True, type=click.Choice(["sign", "gaussian"]),
              help="random directions: sign (unit Linf) or gaussian (unit L2)")
@click.option("--trajectories/--no-trajectories", default=False, help="also draw FGSM/PGD/C&W paths")
@click.option("--seed", default=0, show_default=True)
@device_option
def surface(run_dir: Path, n: int, grid: int, radius: float | None, directions: tuple[str, ...], random_kind: str,
            trajectories: bool, seed: int, device: str) -> None:
    """Decision surfaces g(x + a u + b v) with the g = 0 boundary, and CE loss surfaces."""
    from .jobs import decision_surface_job, trajectories_job

    inp, out = _load(run_dir, device), run_dir / "analysis"
    _echo_summary(decision_surface_job(inp, out, n=n, grid=grid, radius=radius, directions=directions,
                                       random_kind=random_kind, seed=seed), out)
    if trajectories:
        _echo_summary(trajectories_job(inp, out, n=min(n, 4), grid=grid, radius=radius, random_kind=random_kind,
                                       seed=seed), out)


@analyze.command("indicator")
@click.argument("run_dirs", nargs=-1, required=True, type=RUN_DIR)
@click.option("--n", default=64, show_default=True, type=click.IntRange(1), help="test images")
@click.option("--eps", type=NUMBER, default=None, help="Linf budget of the Taylor bound [default: from results.json]")
@click.option("--hessian", default="auto", show_default=True, type=click.Choice(["auto", "autograd", "finite_difference"]))
@click.option("--seed", default=0, show_default=True)
@device_option
def indicator(run_dirs: tuple[Path, ...], n: int, eps: float | None, hessian: str, seed: int, device: str) -> None:
    """Robustness indicator per run; with 3+ runs, its Spearman correlation with robust accuracy."""
    from .indicator import rank_correlation
    from .jobs import indicator_job

    values, robust = [], []
    for run_dir in run_dirs:
        inp, out = _load(run_dir, device), run_dir / "analysis"
        summary = indicator_job(inp, out, n=n, eps=eps, hessian=hessian, seed=seed)
        _echo_summary(dict(summary), out)
        values.append(summary["jacobian_l1_mean"])
        robust.append(inp.results.get("worst_case_accuracy"))
    if len(run_dirs) >= 3 and all(r is not None for r in robust):
        result = rank_correlation(values, robust)
        click.echo(f"Spearman(jacobian_l1_mean, worst_case_accuracy) = {result['spearman_rho']:.3f} "
                   f"(p = {result['p_value']:.3g}, n = {result['n']})")


@analyze.command("curve")
@click.argument("run_dir", type=RUN_DIR)
@click.option("--attack", "attacks", multiple=True, default=("pgd",), show_default=True,
              help="registered attack name (repeatable)")
@click.option("--n", default=256, show_default=True, type=click.IntRange(1), help="test images")
@click.option("--max-eps", type=NUMBER, default=1.0, show_default=True)
@click.option("--seed", default=0, show_default=True)
@device_option
def curve(run_dir: Path, attacks: tuple[str, ...], n: int, max_eps: float, seed: int, device: str) -> None:
    """Accuracy vs eps per attack, extending eps until accuracy reaches 0."""
    from .jobs import robustness_curve_job

    inp, out = _load(run_dir, device), run_dir / "analysis"
    _echo_summary(robustness_curve_job(inp, out, attacks=[{"name": a} for a in attacks], n=n, max_eps=max_eps,
                                       seed=seed), out)
