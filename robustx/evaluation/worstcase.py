"""Per-threat-model worst case from per-example outcomes (the numbers results.json reports).

Why per threat model: robust accuracy is defined for one norm and one budget (RobustBench,
AutoAttack). A group (norm, eps) takes, per example, the worst over the clean prediction, every
bounded attack of that norm with eps_a <= eps, and every minimum-norm attack of that norm whose
perturbation for that example is within eps. Attacks of other norms and "unspecified" attacks never
enter it. Works on plain tensors so the same code merges saved and new outcomes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

#: slack for a minimum-norm perturbation "within eps" (float32 norms of a perturbation at eps)
NORM_TOLERANCE = 1e-5
CURVE_POINTS = 21
NORM_ORDER = ("Linf", "L2", "L1")


@dataclass
class AttackOutcome:
    """One attack's per-example result: ``correct`` in [0,1] (fractions on randomized models)."""

    row: dict[str, Any]  # the results.json row (name, label, params, threat fields ...)
    spec: dict[str, Any]
    correct: torch.Tensor
    norm: torch.Tensor | None = None  # perturbation size in the threat norm (minimum-norm attacks)
    rng: dict[str, Any] | None = None  # every RNG state after the attack ran (a resumed evaluation continues from it)

    @property
    def threat(self) -> dict[str, Any] | None:
        if self.row.get("minimum_norm"):
            return {"norm": self.row["norm"], "minimum_norm": True}
        if self.row.get("norm") and self.row.get("eps") is not None:
            return {"norm": self.row["norm"], "eps": self.row["eps"]}
        return None

    @property
    def label(self) -> str:
        return self.row.get("label") or self.row["name"]


@dataclass
class Outcomes:
    """Everything needed to recompute every number: labels, clean correctness, attack outcomes."""

    labels: torch.Tensor
    clean: torch.Tensor
    attacks: list[AttackOutcome] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def threat_name(threat: dict[str, Any] | None) -> str:
    """'Linf 0.1', 'L2 minimum norm' or 'unspecified' (the label the tables use)."""
    if threat is None:
        return "unspecified"
    if threat.get("minimum_norm"):
        return f"{threat['norm']} minimum norm"
    return f"{threat['norm']} {threat['eps']:.4g}"


def _within(outcome: AttackOutcome, eps: float) -> torch.Tensor:
    """Per-example correctness when only perturbations of size <= eps count (minimum-norm attacks)."""
    assert outcome.norm is not None
    inside = outcome.norm <= eps + NORM_TOLERANCE
    return torch.where(inside, outcome.correct, torch.ones_like(outcome.correct))


def group_accuracy(outcomes: Outcomes, norm: str, eps: float) -> tuple[float, list[str]]:
    """Robust accuracy of threat model (norm, eps) and the labels of the attacks that enter it."""
    worst, names = group_correct(outcomes, norm, eps)
    return float(worst.mean()), names


def group_correct(outcomes: Outcomes, norm: str, eps: float) -> tuple[torch.Tensor, list[str]]:
    """Per-example worst-case correctness of threat model (norm, eps) (what certificates are checked against)."""
    worst = outcomes.clean.clone()
    names = []
    for a in outcomes.attacks:
        threat = a.threat
        if threat is None or threat["norm"] != norm:
            continue
        if threat.get("minimum_norm"):
            if a.norm is None:
                continue
            worst = torch.minimum(worst, _within(a, eps))
        elif threat["eps"] <= eps + 1e-12:
            worst = torch.minimum(worst, a.correct)
        else:
            continue
        names.append(a.label)
    return worst, names


def threat_models(outcomes: Outcomes) -> list[dict[str, Any]]:
    """One group per distinct (norm, eps) of the bounded attacks, sorted by norm then eps."""
    keys = sorted({(t["norm"], t["eps"]) for a in outcomes.attacks if (t := a.threat) and "eps" in t},
                  key=lambda k: (NORM_ORDER.index(k[0]) if k[0] in NORM_ORDER else len(NORM_ORDER), k[0], k[1]))
    groups = []
    for norm, eps in keys:
        accuracy, names = group_accuracy(outcomes, norm, eps)
        groups.append({"norm": norm, "eps": eps, "robust_accuracy": accuracy, "attacks": names})
    return groups


def needed_norms(outcome: AttackOutcome, clean: torch.Tensor) -> torch.Tensor:
    """Per example, the perturbation size that broke it: 0 if clean is wrong, inf if never broken."""
    assert outcome.norm is not None
    broken = outcome.correct < 0.5
    size = torch.where(broken, outcome.norm, torch.full_like(outcome.norm, math.inf))
    return torch.where(clean < 0.5, torch.zeros_like(size), size)


def minimum_norm_summary(outcome: AttackOutcome, clean: torch.Tensor, budgets: list[float] = ()) -> dict[str, Any]:
    """Median norm over clean-correct examples, success rate, the accuracy-vs-eps curve, and the
    accuracy it alone leaves at each of ``budgets`` (the eps of the bounded groups of its norm)."""
    needed = needed_norms(outcome, clean)
    correct = needed[clean >= 0.5]
    finite = needed[torch.isfinite(needed)]
    if len(correct):
        median = float(correct.sort().values[(len(correct) - 1) // 2])  # lower median: an attained norm
        success = float(torch.isfinite(correct).float().mean())
    else:
        median, success = 0.0, 0.0
    top = float(finite.max()) if len(finite) else 0.0
    curve = []
    for i in range(CURVE_POINTS):
        eps = top * i / (CURVE_POINTS - 1)
        accuracy = float(torch.minimum(clean, _within(outcome, eps)).mean())
        curve.append([round(eps, 6), accuracy])
    at = {f"{eps:g}": float(torch.minimum(clean, _within(outcome, eps)).mean()) for eps in budgets}
    return {"median_norm": median if math.isfinite(median) else None, "success_rate": success,
            "accuracy_vs_eps": curve, "accuracy_at_eps": at}


def headline(outcomes: Outcomes, groups: list[dict[str, Any]]) -> tuple[float, dict[str, Any] | None]:
    """``worst_case_accuracy``: the group of the FIRST bounded attack listed (clean accuracy if none)."""
    first = next((t for a in outcomes.attacks if (t := a.threat) and "eps" in t), None)
    if first is None:
        return float(outcomes.clean.mean()), None
    group = next(g for g in groups if g["norm"] == first["norm"] and g["eps"] == first["eps"])
    return group["robust_accuracy"], {"norm": first["norm"], "eps": first["eps"]}


def summarize(outcomes: Outcomes) -> dict[str, Any]:
    """The threat-model part of results.json; also fills each minimum-norm row's summary."""
    groups = threat_models(outcomes)
    for a in outcomes.attacks:
        if a.norm is not None:
            budgets = [g["eps"] for g in groups if g["norm"] == a.row["norm"]]
            a.row.update(minimum_norm_summary(a, outcomes.clean, budgets))
    accuracy, threat = headline(outcomes, groups)
    return {
        "threat_models": groups,
        "worst_case_accuracy": accuracy,
        "worst_case_threat_model": threat,
        "unspecified": [a.label for a in outcomes.attacks if a.threat is None and a.row["name"] != "clean"],
    }
