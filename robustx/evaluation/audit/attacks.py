"""The attack specs the audit runs, per norm, by registry name (the core imports no attack library)."""

from __future__ import annotations

import math
from typing import Any

from robustx.config.threat import fmt_eps

#: iterative steps of the audit's own PGD when the evaluation lists no iterative attack
DEFAULT_STEPS = 20


def step_size(eps: float, steps: int) -> float:
    """2.5 eps / steps: PGD can cross the ball and come back (Madry et al. 2018)."""
    return 2.5 * eps / max(steps, 1)


def iterative(norm: str, eps: float, steps: int = DEFAULT_STEPS, random_start: bool = True) -> dict[str, Any] | None:
    """PGD at (norm, eps); None for norms without a registered PGD (L1)."""
    name = {"Linf": "pgd", "L2": "pgd_l2"}.get(norm)
    if name is None:
        return None
    return {"name": name, "eps": eps, "alpha": step_size(eps, steps), "steps": steps, "random_start": random_start}


def single_step(norm: str, eps: float) -> dict[str, Any] | None:
    """FGSM (Linf) or one full L2 gradient step (FGM)."""
    if norm == "Linf":
        return {"name": "fgsm", "eps": eps}
    if norm == "L2":
        return {"name": "pgd_l2", "eps": eps, "alpha": eps, "steps": 1, "random_start": False}
    return None


def black_box(norm: str, eps: float, queries: int) -> dict[str, Any] | None:
    """Square Attack (Andriushchenko et al. 2020): scores only, no gradients."""
    if norm not in ("Linf", "L2"):
        return None
    return {"name": "square", "norm": norm, "eps": eps, "n_queries": queries}


def large_budget(norm: str, eps: float, input_shape: tuple[int, ...]) -> float:
    """A budget that reaches the all-grey image from any input: accuracy must fall to about 0."""
    if norm == "Linf":
        return min(1.0, max(0.5, 4 * eps))
    return max(4 * eps, 0.5 * math.sqrt(math.prod(input_shape)))


def scaled(spec: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``spec`` with new values; a new ``eps`` rescales ``alpha`` so the attack keeps its shape (more
    ``steps`` keep the step size: the attack travels further, as a convergence test wants)."""
    out = dict(spec)
    if "eps" in changes and "alpha" in out and out.get("eps"):
        out["alpha"] = out["alpha"] * changes["eps"] / out["eps"]
    out.update(changes)
    return out


def label(spec: dict[str, Any]) -> str:
    """'pgd-20 eps=0.1' style names for evidence lines."""
    steps = f"-{spec['steps']}" if "steps" in spec else ""
    eps = f" eps={fmt_eps(float(spec['eps']))}" if "eps" in spec else ""
    return f"{spec['name']}{steps}{eps}"
