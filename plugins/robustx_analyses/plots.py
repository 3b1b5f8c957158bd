"""Publication-quality static figures (PNG, 300 dpi) with matplotlib's object API.

``matplotlib.figure.Figure`` is used directly (no pyplot), so nothing depends on a GUI backend
or leaks global figure state between analyses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

DPI = 300
AXIS_NAMES = {
    "random": "random direction",
    "ce": "CE ascent (untargeted)",
    "ll": "CE descent, least-likely target",
    "cw": "C&W margin descent",
}
UNITS = {"sign": "Linf pixel units", "gaussian": "L2 pixel units"}


def _save(fig: Figure, path: Path) -> Path:
    from robustx.base.files import atomic_target

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_target(path) as tmp:  # savefig picks the format from the name: say it, the temporary ends in .tmp
        fig.savefig(tmp, dpi=DPI, bbox_inches="tight", format=path.suffix.lstrip(".") or "png")
    return path


def _image(x: np.ndarray) -> tuple[np.ndarray, str | None]:
    """(C,H,W) in [0,1] -> something imshow draws: gray for one channel, RGB otherwise."""
    if x.shape[0] == 1:
        return x[0], "gray"
    return np.transpose(x[:3], (1, 2, 0)), None


def surface_figure(surface: dict[str, Any], path: Path, paths: Sequence[dict[str, Any]] = (),
                   title: str = "") -> Path:
    """Decision surface g (left, g=0 contour in black) and CE loss surface (right), with attack paths."""
    a, b = np.asarray(surface["a"]), np.asarray(surface["b"])
    fig = Figure(figsize=(9.0, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    units = UNITS.get(surface.get("random_kind", "sign"), "")
    for ax, key, label, cmap in ((axes[0], "margin", "decision function g (logit margin)", "RdBu"),
                                 (axes[1], "loss", "cross-entropy loss", "viridis")):
        z = np.asarray(surface[key])
        if key == "margin":
            bound = float(np.abs(z).max()) or 1.0
            filled = ax.contourf(a, b, z, levels=30, cmap=cmap, vmin=-bound, vmax=bound)
            if z.min() < 0 < z.max():
                ax.contour(a, b, z, levels=[0.0], colors="black", linewidths=2.0)
        else:
            filled = ax.contourf(a, b, z, levels=30, cmap=cmap)
        fig.colorbar(filled, ax=ax, label=label)
        ax.plot([0], [0], marker="*", color="gold", markeredgecolor="black", markersize=12, linestyle="none",
                label="input x")
        for path_ in paths:
            ax.plot(path_["a"], path_["b"], marker="o", markersize=3, linewidth=1.2, label=path_["attack"].upper())
        ax.set_xlabel(f"a: {AXIS_NAMES.get(surface.get('direction', ''), 'u')} ({units})")
        ax.set_ylabel(f"b: random direction ({units})")
        ax.set_aspect("equal")
    axes[0].set_title("decision surface (black: g = 0)")
    axes[1].set_title("loss surface")
    if paths:
        axes[0].legend(loc="lower left", fontsize=7)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def landscape_figure(result: dict[str, Any], path: Path, title: str = "") -> Path:
    """Li et al. filter-normalized parameter-space loss (contours) and accuracy."""
    alpha, beta = np.asarray(result["alpha"]), np.asarray(result["beta"])
    fig = Figure(figsize=(9.0, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, key, label, cmap in ((axes[0], "loss", "cross-entropy loss", "viridis"),
                                 (axes[1], "accuracy", "accuracy", "magma")):
        z = np.asarray(result[key])
        filled = ax.contourf(alpha, beta, z, levels=30, cmap=cmap)
        fig.colorbar(filled, ax=ax, label=label)
        ax.plot([0], [0], marker="*", color="white", markeredgecolor="black", markersize=12)
        ax.set_xlabel("alpha (filter-normalized direction 1)")
        ax.set_ylabel("beta (filter-normalized direction 2)")
        ax.set_aspect("equal")
    axes[0].set_title("loss in parameter space")
    axes[1].set_title("accuracy in parameter space")
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def saliency_figure(x: np.ndarray, jacobian: np.ndarray, labels: Sequence[str], path: Path,
                    title: str = "") -> Path:
    """Images (top) and |dg/dx| normalized to [0, 1] per image (bottom), like Fig. 10 of Yu et al."""
    n = x.shape[0]
    fig = Figure(figsize=(1.4 * n + 1.0, 3.2), layout="constrained")
    axes = np.atleast_2d(fig.subplots(2, n, squeeze=False))
    last = None
    for i in range(n):
        img, cmap = _image(x[i])
        axes[0, i].imshow(img, cmap=cmap, vmin=0, vmax=1)
        axes[0, i].set_title(labels[i], fontsize=8)
        sal = np.abs(jacobian[i]).max(axis=0)
        sal = sal / (sal.max() or 1.0)
        last = axes[1, i].imshow(sal, cmap="inferno", vmin=0, vmax=1)
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("input")
    axes[1, 0].set_ylabel("|dg/dx|")
    if last is not None:
        fig.colorbar(last, ax=list(axes[1]), label="normalized |Jacobian|", fraction=0.02)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def indicator_figure(per_example: dict[str, list[float]], path: Path, title: str = "") -> Path:
    """Histograms of the per-example Jacobian L1 norm, sparsity and top |Hessian eigenvalue|."""
    fig = Figure(figsize=(10.0, 3.0), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, key, label in ((axes[0], "jacobian_l1", "||dg/dx||_1"),
                           (axes[1], "jacobian_sparsity", "Jacobian sparsity (fraction ~0)"),
                           (axes[2], "hessian_top_abs", "max |Hessian eigenvalue|")):
        ax.hist(per_example[key], bins=20, color="#4c72b0", edgecolor="white")
        ax.set_xlabel(label)
        ax.set_ylabel("examples")
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def curve_figure(curves: Sequence[dict[str, Any]], path: Path, title: str = "") -> Path:
    """Accuracy vs eps, one line per (run, attack)."""
    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.subplots()
    for curve in curves:
        label = curve["attack"] if not curve.get("run") else f"{curve['run']} / {curve['attack']}"
        ax.plot(curve["eps"], curve["cumulative"], marker="o", markersize=3, label=label)
    ax.set_xlabel("eps (pixel units of [0, 1] images)")
    ax.set_ylabel("robust accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(title or "robustness curve")
    return _save(fig, path)


def tradeoff_figure(points: Sequence[dict[str, Any]], path: Path) -> Path:
    """Clean vs robust accuracy (one threat model) per run; per-epoch validation paths as faint lines."""
    from .results_view import robust_axis_title

    fig = Figure(figsize=(5.5, 4.2), layout="constrained")
    ax = fig.subplots()
    for point in points:
        pairs = [(c, r) for c, r in zip(point["val_accuracy"], point["val_robust_accuracy"])
                 if c is not None and r is not None]
        if pairs:
            ax.plot(*zip(*pairs), alpha=0.35, linewidth=1)
        if point["clean_accuracy"] is not None and point["robust_accuracy"] is not None:
            ax.scatter([point["clean_accuracy"]], [point["robust_accuracy"]], s=40, zorder=3)
            ax.annotate(point["name"], (point["clean_accuracy"], point["robust_accuracy"]), fontsize=7,
                        xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("clean accuracy")
    ax.set_ylabel(robust_axis_title(list(points)))
    ax.grid(alpha=0.3)
    ax.set_title("accuracy-robustness trade-off")
    return _save(fig, path)


def dynamics_figure(dynamics: dict[str, Any], labels: Sequence[int], path: Path, title: str = "") -> Path:
    """Per-epoch loss/accuracies (left) and each tracked image's true-class probability (right)."""
    fig = Figure(figsize=(10.0, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    ax = axes[0]
    for key, values in dynamics["series"].items():
        pts = [(e, v) for e, v in zip(dynamics["epoch"], values) if v is not None]
        if pts:
            ax.plot(*zip(*pts), marker="o", markersize=3, label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("value")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("training dynamics")
    ax = axes[1]
    if dynamics.get("probs"):
        probs = np.asarray(dynamics["probs"])  # (E, 10, K)
        true = probs[:, np.arange(probs.shape[1]), np.asarray(labels[: probs.shape[1]])]
        image = ax.imshow(true.T, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                          extent=(dynamics["prob_epochs"][0] - 0.5, dynamics["prob_epochs"][-1] + 0.5,
                                  probs.shape[1] - 0.5, -0.5))
        fig.colorbar(image, ax=ax, label="probability of the true class")
        ax.set_xlabel("epoch (0 = before training)")
        ax.set_ylabel("tracked image")
        ax.set_title("tracked images")
    else:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def stepthrough_figure(results: Sequence[tuple[str, dict[str, Any]]], labels: Sequence[int],
                       class_names: Sequence[str], path: Path, images: int = 4) -> Path:
    """Rows: (model, image); columns: PGD steps; each cell the adversarial image and p(true class)."""
    first = results[0][1]
    steps = first["adv"].shape[0]
    n = min(images, first["adv"].shape[1])
    rows = len(results) * n
    fig = Figure(figsize=(1.1 * steps + 0.8, 1.2 * rows + 0.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, steps, squeeze=False))
    for m, (name, result) in enumerate(results):
        adv, probs = result["adv"].numpy(), result["probs"].numpy()
        for i in range(n):
            r = m * n + i
            for t in range(steps):
                img, cmap = _image(adv[t, i])
                ax = axes[r, t]
                ax.imshow(img, cmap=cmap, vmin=0, vmax=1)
                pred = int(probs[t, i].argmax())
                color = "green" if pred == int(labels[i]) else "red"
                ax.set_title(f"{class_names[pred]} {probs[t, i, pred]:.2f}", fontsize=6, color=color)
                ax.set_xticks([])
                ax.set_yticks([])
                if r == rows - 1:
                    ax.set_xlabel(f"step {t}", fontsize=7)
            axes[r, 0].set_ylabel(f"{name}\n#{i}", fontsize=7)
    fig.suptitle("PGD step-through (title: prediction and its probability)")
    return _save(fig, path)
