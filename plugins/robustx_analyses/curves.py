"""Robustness curves (accuracy vs eps), accuracy-robustness trade-off points, training dynamics.

Attacks come from the robustx attack registry (``registry.create(name, model, eps=..., **params)``),
so any attack plugin can be plotted. Two accuracies are recorded per eps:

* ``accuracy``: the attack run at that eps alone;
* ``cumulative``: an example counts as robust only if the attack failed at this eps *and every
  smaller one*. An adversarial example found inside a smaller norm ball also lies in the larger
  one, so this is the tighter (still attack-based) estimate and is non-increasing by
  construction. It is the curve that is plotted.

The eps list is extended by doubling until the cumulative accuracy reaches 0 or ``max_eps``.
When an attack takes both ``alpha`` and ``steps`` and the recipe does not fix ``alpha``, it is
scaled with eps (``alpha = alpha_ratio * eps / steps``, Madry et al.'s 2.5), otherwise a fixed
step size could never reach the boundary at large eps.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from .errors import AnalysisError

if TYPE_CHECKING:
    from robustx.host.registry import Registry

DEFAULT_EPS = (0.0, 1 / 255, 2 / 255, 4 / 255, 8 / 255, 16 / 255, 32 / 255, 64 / 255)


def _attack_params(factory: Any, params: dict[str, Any], eps: float, alpha_ratio: float,
                   implied: dict[str, str]) -> dict[str, Any]:
    from robustx.config.params import accepted_params

    named, _ = accepted_params(factory, positional=1)
    out = {**params, "eps": eps}
    if "alpha" in named and "steps" in named and "alpha" not in params:
        steps = params.get("steps", named["steps"].default)
        if isinstance(steps, (int, float)) and steps is not inspect.Parameter.empty and steps > 0:
            out["alpha"] = alpha_ratio * eps / steps
    return out


def _create_attack(registry: "Registry", name: str, model: torch.nn.Module, params: dict[str, Any],
                   host: Any = None) -> Any:
    """Each eps's attack is checked by robustx's one validation path (robustx.config.components.check_spec)."""
    from robustx.config.components import check_attack_params

    checked = check_attack_params(name, params, f"robustness_curve.{name}", host)
    return registry.create(name, model, **checked)


@torch.no_grad()
def _correct(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return model(x).argmax(1) == y


def robustness_curve(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, attack: str = "pgd",
                     params: dict[str, Any] | None = None, eps_values: Sequence[float] = DEFAULT_EPS,
                     max_eps: float = 1.0, extend: bool = True, alpha_ratio: float = 2.5,
                     batch_size: int = 256, seed: int = 0, registry: "Registry", host: Any = None) -> dict[str, Any]:
    """Accuracy of ``model`` on (x, y) under ``attack`` at increasing eps (see module doc).

    ``registry`` is the attack registry of the run's plugin host (``RunDir.host``, also ``host``: the
    one whose registries check the parameters), never a global one.
    """
    params = {k: v for k, v in (params or {}).items() if k not in ("name", "eps", "label")}
    resolved = registry.resolve(attack)
    eps_list = sorted({float(e) for e in eps_values if float(e) <= max_eps})
    if not eps_list:
        raise AnalysisError(f"robustness_curve: no eps value <= max_eps={max_eps}")
    robust_so_far = torch.ones(len(y), dtype=torch.bool)
    out: dict[str, Any] = {"attack": attack, "params": params, "n": len(y), "eps": [], "accuracy": [],
                           "cumulative": []}
    index = 0
    while True:
        eps = eps_list[index]
        if eps == 0:
            correct = torch.cat([_correct(model, x[s:s + batch_size], y[s:s + batch_size]).cpu()
                                 for s in range(0, len(y), batch_size)])
        else:
            torch.manual_seed(seed)
            adversary = _create_attack(registry, attack, model,
                                       _attack_params(resolved.entry.factory, params, eps, alpha_ratio,
                                                      resolved.implied), host)
            flags = []
            for s in range(0, len(y), batch_size):
                xb, yb = x[s:s + batch_size], y[s:s + batch_size]
                flags.append(_correct(model, adversary(xb, yb).detach(), yb).cpu())
            correct = torch.cat(flags)
        robust_so_far &= correct
        out["eps"].append(eps)
        out["accuracy"].append(float(correct.float().mean()))
        out["cumulative"].append(float(robust_so_far.float().mean()))
        if out["cumulative"][-1] == 0.0:
            break
        index += 1
        if index >= len(eps_list):
            if not extend or eps >= max_eps:
                break
            eps_list.append(min(max(2 * eps, 1 / 255), max_eps))
    out["reached_zero"] = out["cumulative"][-1] == 0.0
    return out


def tradeoff_points(runs: Sequence[tuple[str, dict[str, Any], list[dict[str, Any]]]],
                    key: list[Any] | None = None) -> list[dict[str, Any]]:
    """(name, results, metrics) per run -> clean vs robust accuracy, plus per-epoch validation pairs.

    The robust accuracy is one threat model's (``key`` = [norm, eps], default: the first run's first),
    never a mix of two; schema-1 runs give their worst case over all attacks, labelled as such.
    """
    from .results_view import headline, headline_key

    key = key or headline_key([results for _, results, _ in runs])
    points = []
    for name, results, metrics in runs:
        epochs = [m for m in metrics if m.get("val_accuracy") is not None]
        robust, label = headline(results, key)
        points.append({
            "name": name,
            "clean_accuracy": results.get("clean_accuracy"),
            "robust_accuracy": robust,
            "threat_model": label,
            "attacks": {a.get("name", "?"): a.get("robust_accuracy") for a in results.get("attacks", [])},
            "epochs": [m.get("epoch") for m in epochs],
            "val_accuracy": [m.get("val_accuracy") for m in epochs],
            "val_robust_accuracy": [m.get("val_robust_accuracy") for m in epochs],
        })
    return points


METRIC_KEYS = ("train_loss", "train_accuracy", "val_accuracy", "val_robust_accuracy")


def training_dynamics(metrics: list[dict[str, Any]], probs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Per-epoch curves from metrics.jsonl and per-epoch probabilities of the tracked images."""
    series = {key: [m.get(key) for m in metrics] for key in METRIC_KEYS if any(key in m for m in metrics)}
    out: dict[str, Any] = {"epoch": [m.get("epoch") for m in metrics], "series": series}
    if probs:
        out["prob_epochs"] = [p["epoch"] for p in probs]
        out["probs"] = [p["probs"] for p in probs]
    return out
