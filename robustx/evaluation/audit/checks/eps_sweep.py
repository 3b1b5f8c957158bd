"""(c) A large enough budget drives accuracy to about 0; (d) accuracy does not rise with eps.

Both come from one sweep of PGD started at the clean input (no random start, so the numbers
measure what the gradient finds, not what random noise finds). At a budget that reaches the
all-grey image from every input, a working attack must succeed almost always; if it does not,
the gradients are unusable or the model ignores its input (Athalye et al. 2018, Carlini et al.
2019). An accuracy that rises with the budget means the attack, not the model, decides.
"""

from __future__ import annotations

import torch

from robustx.evaluation.audit import attacks
from robustx.evaluation.audit.context import AuditContext, pct
from robustx.evaluation.audit.finding import Finding, verdict

#: accuracy at the large budget: at most PASS_BELOW passes, at most WARN_BELOW warns, more fails
PASS_BELOW, WARN_BELOW = 0.05, 0.20
MULTIPLIERS = (0.25, 0.5, 1.0, 2.0, 4.0)


def sweep(ctx: AuditContext) -> list[tuple[float, torch.Tensor]]:
    """(eps, per-example correctness) from eps/4 to the large budget, increasing."""
    norm, eps, _ = ctx.threat
    top = attacks.large_budget(norm, eps, ctx.input_shape)
    budgets = sorted({round(min(m * eps, top), 6) for m in MULTIPLIERS} | {round(top, 6)})
    out = []
    for b in budgets:
        spec = attacks.iterative(norm, b, random_start=False)
        if spec is None:
            return []
        out.append((b, ctx.correct(spec)))
    return out


def _curve(points: list[tuple[float, torch.Tensor]]) -> str:
    return ", ".join(f"{b:.4g}: {pct(c)}" for b, c in points)


def check_large_budget(ctx: AuditContext) -> Finding:
    points = sweep(ctx)
    if not points:
        return verdict("skip", f"no PGD registered for {ctx.threat[0]}")
    top, correct = points[-1]
    acc = float(correct.mean())
    evidence = (f"PGD-{attacks.DEFAULT_STEPS} from the clean input at {ctx.threat[0]} eps {top:.4g} (reaches the "
                f"all-grey image from any input) leaves {pct(acc)} on {len(correct)} examples")
    if acc <= PASS_BELOW:
        return verdict("pass", evidence)
    advice = ("a gradient attack with this budget should succeed on almost every example: the gradients are "
              "unusable (masked, shattered or saturated: see check f) or the input is ignored; attack with "
              "BPDA / a margin loss / gradient-free attacks before trusting any number")
    return verdict("warn" if acc <= WARN_BELOW else "fail", evidence, advice)


def check_monotone(ctx: AuditContext) -> Finding:
    points = sweep(ctx)
    if len(points) < 2:
        return verdict("skip", f"no PGD registered for {ctx.threat[0]}")
    accs = [float(c.mean()) for _, c in points]
    rise = max(later - earlier for earlier, later in zip(accs, accs[1:]))
    evidence = f"accuracy vs {ctx.threat[0]} eps (PGD-{attacks.DEFAULT_STEPS}, no random start): {_curve(points)}"
    if rise > ctx.tolerance:
        return verdict("fail", evidence, f"accuracy rises by {100 * rise:.1f} points with a larger budget: the attack "
                       "is failing (step size, masked gradients), not the model succeeding; fix the attack first")
    return verdict("pass", evidence)
