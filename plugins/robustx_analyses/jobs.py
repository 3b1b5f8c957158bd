"""The work behind each registered analysis: compute on a ``ReportInput``, write files, summarize.

Each ``*_job(inp, out_dir, **params)`` returns the summary dict the pipeline records. The
registered factories (``analyses.py``) only bind parameters and import this module lazily.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from .errors import AnalysisError
from .outputs import relative, write_csv, write_json
from .report_input import ReportInput


def _images(inp: ReportInput, n: int, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The tracked images (the report's images) when present, else the first ``n`` test images."""
    if inp.tracked_x is not None and inp.tracked_y is not None:
        return inp.tracked_x[:n], inp.tracked_y[:n]
    return inp.sample(n, what)


def model_device(model: torch.nn.Module) -> torch.device:
    """Where the model's weights (or buffers) live: inputs go there."""
    tensor = next(model.parameters(), None)
    if tensor is None:
        tensor = next(model.buffers(), None)
    return tensor.device if tensor is not None else torch.device("cpu")


def default_radius(eps: float, random_kind: str, dim: int) -> float:
    """4 eps in the axis units: Linf for sign directions, the L2 length of a full-eps sign vector otherwise."""
    return 4 * eps if random_kind == "sign" else 4 * eps * math.sqrt(dim)


def decision_surface_job(inp: ReportInput, out: Path, *, n: int = 8, grid: int = 41, radius: float | None = None,
                         directions: tuple[str, ...] = ("random", "ce"), random_kind: str = "sign",
                         seed: int = 0, clip: bool = False) -> dict[str, Any]:
    from .plots import surface_figure
    from .surfaces import boundary_distance_along_u, decision_surfaces

    model = inp.require_model("decision_surface")
    x, y = _images(inp, n, "decision_surface")
    x, y = x.to(model_device(model)), y.to(model_device(model))
    radius = radius or default_radius(inp.default_eps(), random_kind, x[0].numel())
    labels = inp.labels(_classes(model, x))
    files, records, summary = [], [], {}
    for direction in directions:
        surfaces = decision_surfaces(model, x, y, direction=direction, random_kind=random_kind, radius=radius,
                                     grid=grid, seed=seed, clip=clip)
        distances = [boundary_distance_along_u(s) for s in surfaces]
        for i, (surface, dist) in enumerate(zip(surfaces, distances)):
            record = {"image": i, **surface.to_json(), "boundary_distance": dist}
            records.append(record)
            files.append(surface_figure(record, out / "decision_surface" / f"image{i}_{direction}.png",
                                        title=f"{inp.name}: image {i} ({labels[int(y[i])]})"))
        found = [d for d in distances if d is not None]
        summary[direction] = {
            "boundary_within_radius": len(found) / len(distances),
            "boundary_distance_mean": sum(found) / len(found) if found else None,
            "margin_at_input_mean": float(sum(float(s.margin[grid // 2, grid // 2]) for s in surfaces) / len(surfaces)),
            "zero_gradient_images": sum(bool(s.meta.get("zero_gradient")) for s in surfaces),
        }
    files.append(write_json(out / "decision_surface" / "surfaces.json", records))
    return {"images": int(x.shape[0]), "grid": grid, "radius": radius, "random_kind": random_kind,
            "directions": summary, "files": relative(files, out)}


def _classes(model: torch.nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad():
        return int(model(x[:1]).shape[1])


def trajectories_job(inp: ReportInput, out: Path, *, n: int = 4, grid: int = 41, radius: float | None = None,
                     direction: str = "ce", random_kind: str = "sign", attacks: tuple[str, ...] = ("fgsm", "pgd", "cw"),
                     eps: float | None = None, steps: int = 10, cw_steps: int = 50, cw_c: float = 1.0,
                     seed: int = 0) -> dict[str, Any]:
    from .plots import surface_figure
    from .surfaces import decision_surfaces
    from .trajectories import cw_path, fgsm_path, pgd_path, projected_paths

    model = inp.require_model("trajectories")
    x, y = _images(inp, n, "trajectories")
    x, y = x.to(model_device(model)), y.to(model_device(model))
    eps = eps or inp.default_eps()
    radius = radius or default_radius(eps, random_kind, x[0].numel())
    surfaces = decision_surfaces(model, x, y, direction=direction, random_kind=random_kind, radius=radius,
                                 grid=grid, seed=seed)
    paths = []
    for attack in attacks:
        if attack == "fgsm":
            paths.append(fgsm_path(model, x, y, eps=eps))
        elif attack == "pgd":
            paths.append(pgd_path(model, x, y, eps=eps, alpha=2.5 * eps / steps, steps=steps,
                                  generator=torch.Generator().manual_seed(seed)))
        elif attack == "cw":
            paths.append(cw_path(model, x, y, c=cw_c, steps=cw_steps))
        else:
            raise AnalysisError(f"trajectories: unknown attack '{attack}' (choose fgsm, pgd, cw)")
    files, records = [], []
    for i, surface in enumerate(surfaces):
        projected = [projected_paths(p, surface.u, surface.v, i) for p in paths]
        record = {"image": i, **surface.to_json(), "paths": projected}
        records.append(record)
        files.append(surface_figure(record, out / "trajectories" / f"image{i}_{direction}.png", projected,
                                    title=f"{inp.name}: attack paths on image {i}"))
    files.append(write_json(out / "trajectories" / "trajectories.json", records))
    residual = {p["attack"]: sum(r["paths"][k]["residual_l2"][-1] / max(r["paths"][k]["delta_l2"][-1], 1e-12)
                                 for r in records) / len(records)
                for k, p in enumerate(records[0]["paths"])} if records else {}
    final_margin = {p.attack: float((p.margins[-1] < 0).float().mean()) for p in paths}
    return {"images": len(records), "eps": eps, "radius": radius, "direction": direction,
            "off_plane_fraction_mean": residual, "success_rate": final_margin, "files": relative(files, out)}


def param_landscape_job(inp: ReportInput, out: Path, *, n: int = 256, grid: int = 21, radius: float = 1.0,
                        seed: int = 0) -> dict[str, Any]:
    from .landscape import param_loss_surface
    from .plots import landscape_figure

    model = inp.require_model("param_landscape")
    x, y = inp.sample(n, "param_landscape")
    result = param_loss_surface(model, x.to(model_device(model)), y.to(model_device(model)), radius=radius, grid=grid, seed=seed)
    files = [landscape_figure(result, out / "param_landscape.png", title=inp.name),
             write_json(out / "param_landscape.json", result)]
    center = grid // 2
    return {"n": int(x.shape[0]), "grid": grid, "radius": radius, "loss_at_center": float(result["loss"][center, center]),
            "loss_max": float(result["loss"].max()), "files": relative(files, out)}


def indicator_job(inp: ReportInput, out: Path, *, n: int = 64, eps: float | None = None, top_k: int = 3,
                  lanczos_steps: int = 20, hessian: str = "auto", fd_step: float = 1e-2, sparsity_tol: float = 1e-2,
                  saliency_images: int = 8, seed: int = 0) -> dict[str, Any]:
    from .indicator import robustness_indicator
    from .plots import indicator_figure, saliency_figure

    model = inp.require_model("indicator")
    x, y = inp.sample(n, "indicator")
    x, y = x.to(model_device(model)), y.to(model_device(model))
    eps = eps or inp.default_eps()
    result = robustness_indicator(model, x, y, eps=eps, top_k=top_k, lanczos_steps=lanczos_steps,
                                  hessian=hessian, fd_step=fd_step, sparsity_tol=sparsity_tol, seed=seed)  # type: ignore[arg-type]
    k = min(saliency_images, x.shape[0])
    labels = inp.labels(_classes(model, x))
    files = [
        write_json(out / "indicator.json", {"summary": result["summary"], "per_example": result["per_example"]}),
        write_csv(out / "indicator.csv", list(_per_example_columns(result)),
                  list(zip(*_per_example_columns(result).values()))),
        saliency_figure(x[:k].cpu().numpy(), result["jacobian"][:k].numpy(), [labels[int(c)] for c in y[:k]],
                        out / "saliency.png", title=f"{inp.name}: Jacobian of the logit margin"),
        indicator_figure(result["per_example"], out / "indicator.png", title=inp.name),
    ]
    return {**result["summary"], "files": relative(files, out)}


def _per_example_columns(result: dict[str, Any]) -> dict[str, list[Any]]:
    per = result["per_example"]
    columns = {k: v for k, v in per.items() if k != "hessian_eigenvalues"}
    for j in range(len(per["hessian_eigenvalues"][0]) if per["hessian_eigenvalues"] else 0):
        columns[f"hessian_eig_{j}"] = [row[j] for row in per["hessian_eigenvalues"]]
    return columns


def robustness_curve_job(inp: ReportInput, out: Path, *, attacks: list[dict[str, Any]] | None = None, n: int = 256,
                         eps: list[float] | None = None, max_eps: float = 1.0, alpha_ratio: float = 2.5,
                         seed: int = 0) -> dict[str, Any]:
    from robustx.config.components import check_spec

    from .curves import DEFAULT_EPS, robustness_curve
    from .plots import curve_figure

    registry = inp.attacks("robustness_curve")
    specs = attacks or [{"name": "pgd"}]
    for i, spec in enumerate(specs):  # unknown names and bad values fail now, not after the first curve
        if not isinstance(spec, dict) or "name" not in spec:
            raise AnalysisError(f"robustness_curve: each attack needs a name, got {spec!r}")
        check_spec("attack", spec, f"robustness_curve.attacks[{i}]", inp.host)
    model = inp.require_model("robustness_curve")
    x, y = inp.sample(n, "robustness_curve")
    x, y = x.to(model_device(model)), y.to(model_device(model))
    curves = []
    for spec in specs:
        curve = robustness_curve(model, x, y, attack=spec["name"], params=spec, eps_values=eps or DEFAULT_EPS,
                                 max_eps=max_eps, alpha_ratio=alpha_ratio, seed=seed, registry=registry,
                                 host=inp.host)
        curves.append({**curve, "run": inp.name})
    rows = [(c["attack"], e, a, cum) for c in curves for e, a, cum in zip(c["eps"], c["accuracy"], c["cumulative"])]
    files = [write_json(out / "robustness_curve.json", curves),
             write_csv(out / "robustness_curve.csv", ["attack", "eps", "accuracy", "cumulative_accuracy"], rows),
             curve_figure(curves, out / "robustness_curve.png", title=f"{inp.name}: robustness curve")]
    return {"n": int(x.shape[0]), "curves": {c["attack"]: {"eps": c["eps"], "accuracy": c["cumulative"],
                                                          "reached_zero": c["reached_zero"]} for c in curves},
            "files": relative(files, out)}


def tradeoff_job(inputs: list[ReportInput], out: Path) -> dict[str, Any]:
    from .curves import tradeoff_points
    from .plots import tradeoff_figure

    points = tradeoff_points([(i.name, i.results, i.metrics) for i in inputs])
    rows = [(p["name"], p["clean_accuracy"], p["robust_accuracy"], p["threat_model"]) for p in points]
    files = [write_json(out / "tradeoff.json", points),
             write_csv(out / "tradeoff.csv", ["run", "clean_accuracy", "robust_accuracy", "threat_model"], rows),
             tradeoff_figure(points, out / "tradeoff.png")]
    return {"runs": [p["name"] for p in points], "files": relative(files, out)}


def training_dynamics_job(inp: ReportInput, out: Path) -> dict[str, Any]:
    from .curves import training_dynamics
    from .plots import dynamics_figure

    if not inp.metrics:
        raise AnalysisError(f"training_dynamics: run '{inp.name}' has no metrics.jsonl")
    dynamics = training_dynamics(inp.metrics, inp.tracked_probs)
    labels = inp.tracked_y.tolist() if inp.tracked_y is not None else []
    files = [write_json(out / "training_dynamics.json", dynamics)]
    files.append(dynamics_figure(dynamics if labels else {**dynamics, "probs": None}, labels,
                                 out / "training_dynamics.png", title=inp.name))
    last = inp.metrics[-1]
    return {"epochs": len(inp.metrics), "final": {k: last.get(k) for k in dynamics["series"]},
            "files": relative(files, out)}


def pgd_stepthrough_job(inputs: list[ReportInput], out: Path, *, n: int = 10, eps: float | None = None,
                        alpha: float | None = None, steps: int = 10, seed: int = 0) -> dict[str, Any]:
    from .plots import stepthrough_figure
    from .stepthrough import pgd_stepthrough, stepthrough_summary

    first = inputs[0]
    x, y = _images(first, n, "pgd_stepthrough")
    eps = eps or first.default_eps()
    results, summary = [], {}
    for inp in inputs:
        model = inp.require_model("pgd_stepthrough")
        result = pgd_stepthrough(model, x.to(model_device(model)), y.to(model_device(model)), eps=eps, alpha=alpha,
                                 steps=steps, seed=seed)
        results.append((inp.name, result))
        summary[inp.name] = stepthrough_summary(result, y)
    num_classes = results[0][1]["probs"].shape[2]
    files = [write_json(out / "pgd_stepthrough.json", {name: {"probs": r["probs"], **summary[name]}
                                                        for name, r in results}),
             stepthrough_figure(results, y.tolist(), first.labels(num_classes), out / "pgd_stepthrough.png")]
    return {"eps": eps, "steps": steps, "models": summary, "files": relative(files, out)}
