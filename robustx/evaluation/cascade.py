"""``evaluate.mode: cascade``: each attack runs only on the examples still correct for its threat model.

Why: AutoAttack attacks only the points its earlier sub-attacks left robust, and a misclassified
clean example needs no attack at all. A threat-model group (robustx.evaluation.worstcase) takes, per example,
the worst over clean and every attack that enters it, so an example that an earlier attack already
broke for *every* group this attack enters cannot change any group number: skipping it saves time
and leaves the worst case as it was. An earlier outcome covers this attack when it has the same
norm and is bounded with ``eps <= this eps``, or is minimum-norm with a perturbation within this eps.
Minimum-norm attacks and attacks without a threat model skip only the misclassified-clean examples
(their norms feed per-attack summaries).

In cascade mode an attack's ``correct`` is the worst case *so far* (over the covering attacks and
itself), so its row's ``robust_accuracy`` is cumulative, as AutoAttack prints it; ``attacked`` and
``broken`` count what it ran on and what it broke there. Tables with one cell per attack need ``each``.
"""

from __future__ import annotations

from typing import Any

import torch

from robustx.evaluation.worstcase import NORM_TOLERANCE, AttackOutcome

MODES = ("each", "cascade")


def prior_correct(done: list[AttackOutcome], threat: dict[str, Any] | None, clean: torch.Tensor) -> torch.Tensor:
    """Per example, the worst over clean and every earlier outcome that covers ``threat`` (see module doc)."""
    worst = clean.clone().float()
    if threat is None or threat.get("minimum_norm") or threat.get("eps") is None:
        return worst
    norm, eps = threat["norm"], float(threat["eps"])
    for a in done:
        t = a.threat
        if t is None or t["norm"] != norm:
            continue
        if t.get("minimum_norm"):
            if a.norm is not None:
                inside = a.norm <= eps + NORM_TOLERANCE
                worst = torch.minimum(worst, torch.where(inside, a.correct.float(), torch.ones_like(worst)))
        elif float(t["eps"]) <= eps + 1e-12:
            worst = torch.minimum(worst, a.correct.float())
    return worst


def attacked_rows(prior: torch.Tensor) -> torch.Tensor:
    """The examples still (possibly) correct: the ones a cascade attack runs on."""
    return prior > 0


def spread(prior: torch.Tensor, mask: torch.Tensor, part: torch.Tensor) -> torch.Tensor:
    """The full per-example vector: ``min(prior, part)`` on the attacked rows, ``prior`` elsewhere."""
    full = prior.clone()
    full[mask] = torch.minimum(prior[mask], part.float())
    return full


def spread_norms(n: int, mask: torch.Tensor, part: torch.Tensor) -> torch.Tensor:
    """Perturbation sizes on the attacked rows, 0 elsewhere (a misclassified example needs none)."""
    full = torch.zeros(n, dtype=part.dtype)
    full[mask] = part
    return full
