"""Registered analysis factories: ``factory(**params) -> callable(context) -> dict``.

This module stays import-light (no torch, numpy, matplotlib at import): ``robustx list``
imports it. Each factory only validates/binds its parameters; the work lives in ``jobs.py``
and is imported when the analysis runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from robustx.config.markers import Range
from robustx.host.declare import component, declarations

Direction = Literal["random", "ce", "ll", "cw"]
RandomKind = Literal["sign", "gaussian"]
PathAttack = Literal["fgsm", "pgd", "cw"]
HessianMode = Literal["auto", "autograd", "finite_difference"]
Positive = Annotated[float, Range(gt=0)]
Count = Annotated[int, Range(ge=1)]
GridSize = Annotated[int, Range(ge=3, le=401)]


class Analysis:
    """A configured analysis: call it with a context (``run_dir``, ``run``, ``device``, ``out_dir``)."""

    def __init__(self, name: str, job: Callable[..., dict[str, Any]], params: dict[str, Any]) -> None:
        self.name, self.job, self.params = name, job, params

    def __call__(self, context: Any) -> dict[str, Any]:
        return self.job(context, **self.params)

    def __repr__(self) -> str:
        return f"Analysis({self.name!r}, {self.params!r})"


# -- adapters from a context to the jobs (imported lazily) -------------------------------
def _single(job_name: str) -> Callable[..., dict[str, Any]]:
    def run(context: Any, **params: Any) -> dict[str, Any]:
        from . import jobs
        from .context import out_dir_of, report_input_of

        return getattr(jobs, job_name)(report_input_of(context), out_dir_of(context), **params)

    return run


def _others(context: Any, paths: list[str], load_model: bool = True) -> list[Any]:
    """Other runs (named relative to the cwd or to this run's parent folder), read with this run's host."""
    from .context import report_input_of
    from .report_input import load_report_input

    host, device = report_input_of(context).host, getattr(context, "device", "cpu")
    return [load_report_input(path, device=device, load_model=load_model, host=host)
            for path in _resolve(paths, Path(context.run_dir))]


def _tradeoff(context: Any, *, runs: list[str], siblings: bool) -> dict[str, Any]:
    from .context import out_dir_of, report_input_of
    from .jobs import tradeoff_job

    run_dir = Path(context.run_dir)
    paths = list(runs)
    if siblings:
        paths += sorted(str(p) for p in run_dir.parent.iterdir()
                        if p.is_dir() and p != run_dir and (p / "results.json").exists())
    return tradeoff_job([report_input_of(context), *_others(context, paths, load_model=False)], out_dir_of(context))


def _resolve(paths: list[str], run_dir: Path) -> list[Path]:
    """Paths as given when they exist (or are absolute), else relative to ``run_dir``'s parent (a sweep folder)."""
    out = []
    for raw in paths:
        path = Path(raw).expanduser()
        out.append(path if path.is_absolute() or path.exists() else run_dir.parent / raw)
    return out


def _stepthrough(context: Any, *, compare: Optional[str], **params: Any) -> dict[str, Any]:
    from .context import out_dir_of, report_input_of
    from .jobs import pgd_stepthrough_job

    inputs = [report_input_of(context)]
    if compare:
        inputs += _others(context, [compare])
    return pgd_stepthrough_job(inputs, out_dir_of(context), **params)


def _html(context: Any, *, compare: list[str], out: Optional[str], **options: Any) -> dict[str, Any]:
    from .context import out_dir_of, report_input_of
    from .report import ReportOptions, build_report

    inputs = [report_input_of(context), *_others(context, list(compare))]
    target = Path(out) if out else out_dir_of(context) / "report.html"
    return build_report(inputs, target, ReportOptions(**options), analysis_dir=out_dir_of(context))


# -- the registered factories ------------------------------------------------------------
@component("decision_surface", kind="analysis", smoke={"n": 2, "grid": 9})
def decision_surface(*, n: Count = 8, grid: GridSize = 41, radius: Optional[Positive] = None,
                     directions: list[Direction] = ["random", "ce"], random_kind: RandomKind = "sign",
                     seed: int = 0, clip: bool = False) -> Analysis:
    """Decision surface g = z_y - max_j z_j (and CE loss) around images, with g = 0 contours."""
    return Analysis("decision_surface", _single("decision_surface_job"), dict(
        n=n, grid=grid, radius=radius, directions=tuple(directions), random_kind=random_kind, seed=seed, clip=clip))


@component("trajectories", kind="analysis", smoke={"n": 1, "grid": 9, "cw_steps": 5, "steps": 3})
def trajectories(*, n: Count = 4, grid: GridSize = 41, radius: Optional[Positive] = None, direction: Direction = "ce",
                 random_kind: RandomKind = "sign", attacks: list[PathAttack] = ["fgsm", "pgd", "cw"],
                 eps: Optional[Positive] = None, steps: Count = 10, cw_steps: Count = 50,
                 cw_c: Positive = 1.0, seed: int = 0) -> Analysis:
    """FGSM / PGD / C&W iterates projected onto a decision-surface plane."""
    return Analysis("trajectories", _single("trajectories_job"), dict(
        n=n, grid=grid, radius=radius, direction=direction, random_kind=random_kind, attacks=tuple(attacks),
        eps=eps, steps=steps, cw_steps=cw_steps, cw_c=cw_c, seed=seed))


@component("param_landscape", kind="analysis", smoke={"n": 64, "grid": 3})
def param_landscape(*, n: Count = 256, grid: GridSize = 21, radius: Positive = 1.0, seed: int = 0) -> Analysis:
    """Loss surface in parameter space along filter-normalized directions (Li et al. 2018)."""
    return Analysis("param_landscape", _single("param_landscape_job"),
                    dict(n=n, grid=grid, radius=radius, seed=seed))


@component("indicator", kind="analysis", smoke={"n": 8, "lanczos_steps": 3, "saliency_images": 2})
def indicator(*, n: Count = 64, eps: Optional[Positive] = None, top_k: Count = 3, lanczos_steps: Count = 20,
              hessian: HessianMode = "auto", fd_step: Positive = 1e-2,
              sparsity_tol: Annotated[float, Range(ge=0, le=1)] = 1e-2, saliency_images: Count = 8,
              seed: int = 0) -> Analysis:
    """Robustness indicator: Jacobian norms/sparsity and top Hessian eigenvalues of g (Yu et al. 2018)."""
    return Analysis("indicator", _single("indicator_job"), dict(
        n=n, eps=eps, top_k=top_k, lanczos_steps=lanczos_steps, hessian=hessian, fd_step=fd_step,
        sparsity_tol=sparsity_tol, saliency_images=saliency_images, seed=seed))


@component("robustness_curve", kind="analysis",
           smoke={"n": 32, "eps": [0.0, "8/255"], "attacks": [{"name": "pgd", "steps": 3}]})
def robustness_curve(*, attacks: list[dict] = [{"name": "pgd"}], n: Count = 256,
                     eps: Optional[list[Annotated[float, Range(ge=0)]]] = None, max_eps: Positive = 1.0,
                     alpha_ratio: Positive = 2.5, seed: int = 0) -> Analysis:
    """Accuracy vs eps for registered attacks, extended until accuracy reaches 0."""
    return Analysis("robustness_curve", _single("robustness_curve_job"), dict(
        attacks=[dict(a) for a in attacks], n=n, eps=eps, max_eps=max_eps, alpha_ratio=alpha_ratio, seed=seed))


@component("tradeoff", kind="analysis")
def tradeoff(*, runs: list[str] = [], siblings: bool = False) -> Analysis:
    """Clean vs robust accuracy (one threat model) across runs (this one, the listed runs, optionally sibling run dirs)."""
    return Analysis("tradeoff", _tradeoff, dict(runs=list(runs), siblings=siblings))


@component("training_dynamics", kind="analysis")
def training_dynamics() -> Analysis:
    """Per-epoch loss/accuracies and tracked images' class probabilities."""
    return Analysis("training_dynamics", _single("training_dynamics_job"), {})


@component("pgd_stepthrough", kind="analysis", smoke={"n": 3, "steps": 3})
def pgd_stepthrough(*, n: Count = 10, eps: Optional[Positive] = None, alpha: Optional[Positive] = None,
                    steps: Count = 10, compare: Optional[str] = None, seed: int = 0) -> Analysis:
    """Adversarial image, perturbation and probabilities after each PGD step (optionally vs another run)."""
    return Analysis("pgd_stepthrough", _stepthrough,
                    dict(n=n, eps=eps, alpha=alpha, steps=steps, compare=compare, seed=seed))


@component("html_report", kind="analysis",
           smoke={"grid": 7, "surface_images": 2, "steps": 2, "curve_n": 16, "indicator_n": 4, "curve_attacks": [{"name": "pgd", "steps": 2}]})
def html_report(*, compare: list[str] = [], out: Optional[str] = None, grid: GridSize = 41,
                radius: Optional[Positive] = None, surface_images: Count = 10, steps: Count = 10,
                eps: Optional[Positive] = None, curve_n: Count = 200, curve_attacks: Optional[list[dict]] = None,
                indicator_n: Count = 32, seed: int = 0) -> Analysis:
    """One self-contained interactive HTML page (plotly inline, no network) for one or more runs."""
    return Analysis("html_report", _html, dict(
        compare=list(compare), out=out, grid=grid, radius=radius, surface_images=surface_images, steps=steps,
        eps=eps, curve_n=curve_n, curve_attacks=curve_attacks, indicator_n=indicator_n, seed=seed))


#: one line per parameter name (``analysis.name`` where a name means something else there), for the CLI
PARAM_HELP: dict[str, str] = {
    "n": "images (the tracked ones first where single images are drawn)",
    "grid": "grid points per axis",
    "radius": "half-width of the plane [default: 4 x eps]",
    "directions": "x-axis direction (repeatable)",
    "direction": "x-axis direction",
    "random_kind": "random directions: sign (unit Linf) or gaussian (unit L2)",
    "clip": "clip grid points to [0,1]",
    "seed": "random seed",
    "eps": "attack budget, e.g. 8/255 [default: from results.json]",
    "robustness_curve.eps": "eps values to start from (repeatable) [default: 0, 1, 2, 4, ... 64 /255]",
    "steps": "PGD steps",
    "alpha": "PGD step size [default: 2.5 eps / steps]",
    "attacks": "attack paths to draw (repeatable)",
    "robustness_curve.attacks": "attack, e.g. \"pgd steps=20\" (repeatable)",
    "cw_steps": "C&W optimisation steps",
    "cw_c": "C&W constant c",
    "top_k": "Hessian eigenvalues per image",
    "lanczos_steps": "Lanczos iterations",
    "hessian": "Hessian-vector products: autograd, finite differences, or auto (finite differences for ReLU nets)",
    "fd_step": "finite-difference step (L2, pixel units)",
    "sparsity_tol": "|J_i| <= tol * max|J| counts as zero",
    "saliency_images": "images in saliency.png",
    "max_eps": "stop extending the eps list here",
    "alpha_ratio": "alpha = alpha_ratio * eps / steps unless the attack fixes alpha",
    "runs": "another run directory (repeatable)",
    "siblings": "also every run directory next to this one",
    "compare": "another run directory to compare with",
    "out": "HTML file to write [default: FIRST_RUN_DIR/analysis/report.html]",
    "surface_images": "images with decision surfaces",
    "curve_n": "test images for robustness curves",
    "curve_attacks": "robustness-curve attack (repeatable) [default: pgd]",
    "indicator_n": "test images for the indicator",
}


def param_help(analysis: str, name: str) -> str | None:
    return PARAM_HELP.get(f"{analysis}.{name}") or PARAM_HELP.get(name)


#: name -> factory, for the ``robustx analyze`` / ``robustx report`` commands (from the @component declarations above)
FACTORIES: dict[str, Callable[..., Analysis]] = {
    d.name: factory for factory, d in declarations(sys.modules[__name__], kind="analysis")}
