"""What every audit check works with: the model, the audited examples, the evaluation's results,
attack building, and a cache so checks share the attacks they run."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Callable

import torch
from torch import nn

from robustx.config.threat import fmt_eps
from robustx.datasets.batches import DeviceImageSet
from robustx.evaluation.audit import attacks
from robustx.evaluation.audit.levels import AuditLevel
from robustx.evaluation.evaluator import EvalConfig, evaluate_outcomes
from robustx.evaluation.outcomes import spec_key
from robustx.evaluation.stochastic import correct_fraction, is_stochastic

AttackFactory = Callable[[dict[str, Any], nn.Module], Any]
#: audited when the evaluation lists no bounded attack (the common CIFAR-10 budget)
FALLBACK_THREAT = ("Linf", 8 / 255)


@dataclass
class AuditContext:
    model: nn.Module
    data: DeviceImageSet  # the audited examples (the first ``level.max_examples`` evaluated ones)
    results: dict[str, Any]  # the evaluation being audited (results.json content)
    create_attack: AttackFactory
    config: EvalConfig  # batch size, eot_samples and n_predictions of that evaluation
    level: AuditLevel
    echo: Callable[[str], None] = lambda _msg: None
    whitebox: dict[str, torch.Tensor] = field(default_factory=dict)  # label -> per-example correctness
    _cache: dict[str, torch.Tensor] = field(default_factory=dict)

    # -- facts --------------------------------------------------------------------------------
    @cached_property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.data.x.shape[1:])

    @cached_property
    def stochastic(self) -> bool:
        """Measured again here: an evaluation that missed the randomness is what check (g) is for."""

        x, _ = next(self.data.batches(min(16, len(self.data))))
        return is_stochastic(self.model, x)

    @cached_property
    def threat(self) -> tuple[str, float, str]:
        """(norm, eps, why): the threat model most of the evaluation's bounded attacks share."""
        groups = self.results.get("threat_models") or []
        if groups:
            g = max(groups, key=lambda g: (len(g.get("attacks", [])), g["eps"]))
            return g["norm"], float(g["eps"]), "the evaluation's main threat model"
        rows = [(r["norm"], float(r["eps"])) for r in self.results.get("attacks", [])
                if r.get("norm") and r.get("eps") is not None and not r.get("minimum_norm")]
        if rows:
            (norm, eps), _ = Counter(rows).most_common(1)[0]
            return norm, eps, "the evaluation's main threat model"
        return (*FALLBACK_THREAT, "no bounded attack in the evaluation: the common Linf 8/255")

    @property
    def threat_label(self) -> str:
        norm, eps, _ = self.threat
        return f"{norm} {fmt_eps(eps)}"

    @cached_property
    def reference(self) -> dict[str, Any] | None:
        """The evaluated iterative attack that did best at the threat model (else the audit's own PGD)."""
        norm, eps, _ = self.threat
        rows = [r for r in self.results.get("attacks", [])
                if r.get("norm") == norm and r.get("eps") is not None and abs(float(r["eps"]) - eps) < 1e-9
                and int(r.get("params", {}).get("steps", 1) or 1) > 1]
        if rows:
            best = min(rows, key=lambda r: r["robust_accuracy"])
            return {"name": best["name"], **best.get("params", {})}
        return attacks.iterative(norm, eps)

    @cached_property
    def reported(self) -> float | None:
        """The evaluation's robust accuracy at the audited threat model (its per-example worst case over
        every attack of the group, AutoAttack included), or None when it reported no such group."""
        norm, eps, _ = self.threat
        return next((float(g["robust_accuracy"]) for g in self.results.get("threat_models") or []
                     if g.get("norm") == norm and g.get("eps") is not None and abs(float(g["eps"]) - eps) < 1e-9),
                    None)

    @property
    def tolerance(self) -> float:
        """1 point, plus twice the sampling error of an accuracy averaged over stochastic predictions."""
        if not self.stochastic:
            return 0.01
        draws = len(self.data) * max(1, self.config.n_predictions)
        return 0.01 + 2 * math.sqrt(0.25 / draws)

    # -- running attacks ------------------------------------------------------------------------
    def correct(self, spec: dict[str, Any], *, eot_samples: int | None = None, run: int = 0,
                whitebox: bool = False) -> torch.Tensor:
        """Per-example correctness (fractions on randomized models) under ``spec``; cached per ``run``
        (a different ``run`` is a fresh random restart).

        ``whitebox``: the result joins the per-example white-box worst case of check (e).
        """

        eot = eot_samples or self.config.eot_samples
        key = f"{spec_key(spec)}|eot={eot}|run={run}"
        if key not in self._cache:
            self.echo(f"audit: {attacks.label(spec)}" + (f" (EOT {eot})" if self.stochastic else ""))
            config = replace(self.config, eot_samples=eot, progress=False)
            outcomes = evaluate_outcomes(self.model, self.data, [spec], self.create_attack, config)
            self._cache[key] = outcomes.attacks[0].correct.float().cpu()
        if whitebox:
            self.whitebox[key] = self._cache[key]
        return self._cache[key]

    def score(self, x_adv: torch.Tensor) -> torch.Tensor:
        """Per-example correctness of ready-made inputs (e.g. transferred adversarials), same rules."""

        predictions = self.config.n_predictions if self.stochastic else 1
        self.model.eval()
        out = [correct_fraction(self.model, x_adv[i:i + self.config.batch_size].to(self.data.device),
                                self.data.y[i:i + self.config.batch_size], predictions).cpu()
               for i in range(0, len(self.data), self.config.batch_size)]
        return torch.cat(out)


def pct(value: float | torch.Tensor) -> str:
    """0.8125 -> '81.2%' (accuracy tensors are averaged first)."""
    if isinstance(value, torch.Tensor):
        value = float(value.float().mean())
    return f"{100 * value:.1f}%"
