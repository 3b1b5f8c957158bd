"""Everything the HTML report shows, precomputed in Python into one JSON-able payload.

The page only draws: thumbnails, slider states, surfaces and bars all come from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from .errors import AnalysisError
from .jobs import model_device
from .report_input import ReportInput

TRACKED = 10


@dataclass
class ReportOptions:
    """What to compute for the report (defaults keep an MNIST-sized report well under a minute on CPU)."""

    grid: int = 41
    radius: float | None = None
    surface_images: int = 10
    steps: int = 10
    eps: float | None = None
    curve_n: int = 200
    curve_attacks: list[dict[str, Any]] | None = None
    indicator_n: int = 32
    seed: int = 0


def _r(value: float, digits: int = 4) -> float | None:
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _rows(t: torch.Tensor, digits: int = 4) -> Any:
    if t.dim() == 0:
        return _r(t, digits)
    return [_rows(row, digits) for row in t] if t.dim() > 1 else [_r(v, digits) for v in t.tolist()]


def shared_images(inputs: list[ReportInput]) -> tuple[torch.Tensor, torch.Tensor]:
    """The tracked images of the first run that has them (else its first test images)."""
    for inp in inputs:
        if inp.tracked_x is not None and inp.tracked_y is not None:
            return inp.tracked_x.cpu(), inp.tracked_y.cpu()
    for inp in inputs:
        if inp.eval_data is not None:
            x, y = inp.eval_data(TRACKED)
            return x.cpu(), y.cpu()
    raise AnalysisError("the report needs images: no run has tracking/examples.safetensors or a dataset")


def run_summary(inp: ReportInput, key: list[Any] | None = None) -> dict[str, Any]:
    """The summary-table row: recipe parts, accuracies per threat model (schema 2) or worst case (schema 1)."""
    from .results_view import SCHEMA1_LABEL, audit_summary, headline, threat_rows

    def name_of(section: Any) -> Any:
        return section.get("name") if isinstance(section, dict) else section

    robust, label = headline(inp.results, key)
    return {
        "name": inp.name,
        "path": str(inp.path) if inp.path else None,
        "defense": name_of((inp.recipe.get("train") or {}).get("defense")),
        "model": name_of(inp.recipe.get("model")),
        "dataset": name_of(inp.recipe.get("data")),
        "clean_accuracy": inp.results.get("clean_accuracy"),
        "robust_accuracy": robust, "robust_label": label,
        "threat_models": threat_rows(inp.results),
        "schema1_worst_case": None if "threat_models" in inp.results else inp.results.get("worst_case_accuracy"),
        "schema1_label": SCHEMA1_LABEL,
        "audit": audit_summary(inp.results),
        "stochastic": inp.results.get("stochastic"),
        "attacks": [{"name": a.get("name"), "params": a.get("params", {}), "robust_accuracy": a.get("robust_accuracy"),
                     "n": a.get("n")} for a in inp.results.get("attacks", [])],
        "epochs": len(inp.metrics),
    }


def dynamics_data(inp: ReportInput) -> dict[str, Any] | None:
    from .curves import training_dynamics

    if not inp.metrics and not inp.tracked_probs:
        return None
    data = training_dynamics(inp.metrics, inp.tracked_probs)
    if "probs" in data:
        data["probs"] = [[[_r(p, 4) for p in image] for image in epoch] for epoch in data["probs"]]
    return data


def stepthrough_data(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int,
                     seed: int) -> dict[str, Any]:
    from .images import png_data_uri
    from .stepthrough import amplify, pgd_stepthrough, stepthrough_summary

    device = model_device(model)
    result = pgd_stepthrough(model, x.to(device), y.to(device), eps=eps, steps=steps, seed=seed)
    adv, delta = result["adv"].numpy(), amplify(result["delta"], eps).numpy()
    n = x.shape[0]
    return {
        "adv": [[png_data_uri(adv[t, i]) for t in range(adv.shape[0])] for i in range(n)],
        "delta": [[png_data_uri(delta[t, i]) for t in range(delta.shape[0])] for i in range(n)],
        "linf": [[_r(float(result["delta"][t, i].abs().max()), 5) for t in range(adv.shape[0])] for i in range(n)],
        "probs": [[_rows(result["probs"][t, i]) for t in range(adv.shape[0])] for i in range(n)],
        **stepthrough_summary(result, y),
    }


def surface_data(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, grid: int, radius: float, eps: float,
                 steps: int, seed: int) -> dict[str, Any]:
    """Random and CE-adversarial planes per image, plus each image's PGD path on the CE plane."""
    from .surfaces import boundary_distance_along_u, decision_surfaces, zero_contour
    from .trajectories import pgd_path, projected_paths

    device = model_device(model)
    x, y = x.to(device), y.to(device)
    out: dict[str, Any] = {"radius": radius, "grid": grid, "planes": {}}
    for direction in ("random", "ce"):
        surfaces = decision_surfaces(model, x, y, direction=direction, radius=radius, grid=grid, seed=seed)
        out["a"] = _rows(surfaces[0].a)
        out["planes"][direction] = [
            {"margin": _rows(s.margin, 3), "boundary": boundary_distance_along_u(s), "zero": zero_contour(s),
             "zero_gradient": s.meta.get("zero_gradient", False)} for s in surfaces]
        if direction == "ce":
            path = pgd_path(model, x, y, eps=eps, alpha=2.5 * eps / steps, steps=steps,
                            generator=torch.Generator().manual_seed(seed))
            out["paths"] = [projected_paths(path, s.u, s.v, i) for i, s in enumerate(surfaces)]
    return out


def indicator_data(inp: ReportInput, model: torch.nn.Module, x_tracked: torch.Tensor, y_tracked: torch.Tensor,
                   *, n: int, eps: float, seed: int) -> dict[str, Any]:
    from .images import heat_data_uri
    from .indicator import jacobian_stats, margin_and_jacobian, robustness_indicator

    device = model_device(model)
    xs, ys = inp.sample(n, "the report's indicator")
    result = robustness_indicator(model, xs.to(device), ys.to(device), eps=eps, seed=seed)
    _, jac, _ = margin_and_jacobian(model, x_tracked.to(device), y_tracked.to(device))
    jac = jac.detach().cpu()
    stats = jacobian_stats(jac)
    return {
        "summary": {k: (_r(v, 5) if isinstance(v, float) else v) for k, v in result["summary"].items()},
        "saliency": [heat_data_uri(jac[i].abs().amax(dim=0).numpy()) for i in range(jac.shape[0])],
        "tracked": {k: _rows(v, 5) for k, v in stats.items()},
    }


def curve_data(inp: ReportInput, model: torch.nn.Module, options: ReportOptions) -> list[dict[str, Any]]:
    """Reuse RUN_DIR/analysis/robustness_curve.json when the pipeline already computed it.

    Attacks come from the run's plugin host; by default PGD when that host has it, else no curve.
    """
    from .curves import robustness_curve

    if inp.path is not None:
        cached = inp.path / "analysis" / "robustness_curve.json"
        if cached.exists():
            from robustx.base.files import read_json

            return read_json(cached, hint="delete it and the report recomputes the curve")
    attacks = options.curve_attacks
    if attacks is None:
        attacks = [{"name": "pgd"}] if inp.host is not None and "pgd" in inp.attacks("curves") else []
    if not attacks:
        return []
    registry = inp.attacks("the report's robustness curve")
    x, y = inp.sample(options.curve_n, "the report's robustness curve")
    device = model_device(model)
    return [{**robustness_curve(model, x.to(device), y.to(device), attack=a["name"], params=a, seed=options.seed,
                                registry=registry), "run": inp.name} for a in attacks]


def collect(inputs: list[ReportInput], options: ReportOptions) -> dict[str, Any]:
    """The whole report payload for one or more runs."""
    from .curves import tradeoff_points
    from .images import png_data_uri
    from .results_view import headline_key

    if not inputs:
        raise AnalysisError("a report needs at least one run")
    x, y = shared_images(inputs)
    eps = options.eps or inputs[0].default_eps()
    radius = options.radius or 4 * eps
    first_model = next((i.model for i in inputs if i.model is not None), None)
    num_classes = _num_classes(first_model, x, inputs)
    key = headline_key([i.results for i in inputs])
    runs = []
    for inp in inputs:
        run: dict[str, Any] = {"summary": run_summary(inp, key), "dynamics": dynamics_data(inp)}
        if inp.model is not None:
            with torch.no_grad():
                run["clean_probs"] = _rows(inp.model(x.to(model_device(inp.model))).softmax(1).cpu())
            run["stepthrough"] = stepthrough_data(inp.model, x, y, eps, options.steps, options.seed)
            k = min(options.surface_images, x.shape[0])
            run["surfaces"] = surface_data(inp.model, x[:k], y[:k], grid=options.grid, radius=radius, eps=eps,
                                           steps=options.steps, seed=options.seed)
            run["indicator"] = indicator_data(inp, inp.model, x, y, n=options.indicator_n, eps=eps, seed=options.seed)
            run["curves"] = curve_data(inp, inp.model, options)
        runs.append(run)
    payload: dict[str, Any] = {
        "classes": inputs[0].labels(num_classes),
        "images": {"thumbs": [png_data_uri(img) for img in x.numpy()], "labels": y.tolist()},
        "eps": eps, "steps": options.steps, "radius": radius, "runs": runs,
        "tradeoff": tradeoff_points([(i.name, i.results, i.metrics) for i in inputs], key),
        "correlation": _correlation(runs),
    }
    return payload


def _num_classes(model: torch.nn.Module | None, x: torch.Tensor, inputs: list[ReportInput]) -> int:
    if model is not None:
        with torch.no_grad():
            return int(model(x[:1].to(model_device(model))).shape[1])
    for inp in inputs:
        if inp.tracked_probs:
            return len(inp.tracked_probs[0]["probs"][0])
    return len(inputs[0].class_names) or 10


def _correlation(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Spearman(indicator, robust accuracy of one threat model) across runs, when there are at least 3."""
    from .indicator import rank_correlation

    pairs = [(r["indicator"]["summary"]["jacobian_l1_mean"], r["summary"]["robust_accuracy"])
             for r in runs if "indicator" in r and r["summary"]["robust_accuracy"] is not None]
    if len(pairs) < 3:
        return None
    result = rank_correlation([p[0] for p in pairs], [p[1] for p in pairs])
    label = next(r["summary"]["robust_label"] for r in runs if r["summary"]["robust_accuracy"] is not None)
    return {**result, "indicator": "jacobian_l1_mean", "accuracy": f"robust accuracy ({label})"}
