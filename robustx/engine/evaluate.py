"""Robust accuracy for a list of attacks, batched, with the per-example worst case over all of them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from ..errors import RobustxError
from ..progress import progress_bar
from .batches import DeviceImageSet
from .specs import attack_params
from .stochastic import EOTModel, correct_fraction, is_stochastic

AttackFactory = Callable[[dict[str, Any], nn.Module], Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]
BALL_TOLERANCE = 1e-4


@dataclass
class EvalConfig:
    batch_size: int = 256
    eot_samples: int = 10
    n_predictions: int = 10
    progress: bool = True


class AttackContractError(RobustxError):
    """An attack returned images outside [0,1] or outside its eps-ball: its numbers would be wrong."""


def check_adversarial(name: str, attack: Any, x: torch.Tensor, x_adv: torch.Tensor) -> None:
    if x_adv.shape != x.shape:
        raise AttackContractError(f"attack '{name}' changed the input shape {tuple(x.shape)} -> {tuple(x_adv.shape)}")
    if x_adv.min() < -1e-6 or x_adv.max() > 1 + 1e-6:
        raise AttackContractError(f"attack '{name}' returned pixels outside [0, 1]")
    eps, norm = getattr(attack, "eps", None), getattr(attack, "norm", None)
    if eps is None or norm is None:
        return
    delta = (x_adv - x).flatten(1)
    size = delta.abs().amax(1) if norm == "Linf" else delta.norm(dim=1)
    if size.max() > eps + BALL_TOLERANCE:
        raise AttackContractError(f"attack '{name}' left its {norm} ball: {size.max():.5f} > eps {eps:.5f}")


def evaluate_attacks(model: nn.Module, data: DeviceImageSet, attacks: list[dict[str, Any]],
                     create_attack: AttackFactory, config: EvalConfig) -> dict[str, Any]:
    """Evaluate every attack spec (``{name: clean}`` included) on ``data``; return results.json content."""
    model.eval()
    first_x, _ = next(data.batches(min(config.batch_size, len(data))))
    stochastic = is_stochastic(model, first_x[:16])
    predictions = config.n_predictions if stochastic else 1
    target = EOTModel(model, config.eot_samples).eval() if stochastic else model
    worst = torch.ones(len(data), device=data.device)
    rows: list[dict[str, Any]] = []
    clean_accuracy = None
    for spec in attacks:
        name = spec["name"]
        params = attack_params(spec)
        attack = None if name == "clean" else create_attack(spec, target)
        scores = torch.empty(len(data), device=data.device)
        start, offset = time.perf_counter(), 0
        bar = progress_bar(total=len(data), desc=f"eval {name}", enabled=config.progress, unit="img")
        for x, y in data.batches(config.batch_size):
            if attack is not None:
                x_adv = attack(x, y)
                check_adversarial(name, attack, x, x_adv)
            else:
                x_adv = x
            scores[offset:offset + len(y)] = correct_fraction(model, x_adv, y, predictions)
            offset += len(y)
            bar.update(len(y))
        bar.close()
        accuracy = float(scores.mean())
        worst = torch.minimum(worst, scores)
        row = {"name": name, "label": spec.get("label") or name, "params": params, "robust_accuracy": accuracy, "n": len(data),
               "seconds": round(time.perf_counter() - start, 3)}
        if attack is not None:
            row["norm"], row["eps"] = getattr(attack, "norm", None), getattr(attack, "eps", None)
        if stochastic and attack is not None:
            row["eot_samples"] = config.eot_samples
        if stochastic:
            row["predictions_averaged"] = predictions
        if name == "clean":
            clean_accuracy = accuracy
        rows.append(row)
    if clean_accuracy is None:  # not listed: still measured once, and part of the worst case
        clean = torch.cat([correct_fraction(model, x, y, predictions) for x, y in data.batches(config.batch_size)])
        clean_accuracy = float(clean.mean())
        worst = torch.minimum(worst, clean)
    return {
        "clean_accuracy": clean_accuracy,
        "worst_case_accuracy": float(worst.mean()),
        "attacks": rows,
        "n": len(data),
        "stochastic": stochastic,
        "eot_samples": config.eot_samples if stochastic else None,
        "n_predictions": predictions,
    }
