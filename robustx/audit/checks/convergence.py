"""(b) Convergence: twice the steps plus restarts lowers robust accuracy by no more than 1 point.

An attack that keeps improving with more iterations had not converged, so its number overstates
robustness (Carlini et al. 2019, sec. 5): the audit gives the stronger number to report instead.
"""

from __future__ import annotations

import torch

from .. import attacks
from ..context import AuditContext, pct
from ..finding import Finding, verdict

#: above this drop (on top of the tolerance) the reported number is clearly wrong, not just loose
FAIL_DROP = 0.05


def check(ctx: AuditContext) -> Finding:
    spec = ctx.reference
    if spec is None:
        return verdict("skip", f"no iterative attack for {ctx.threat[0]}")
    base = ctx.correct(spec, whitebox=True)
    steps = int(spec.get("steps", attacks.DEFAULT_STEPS))
    stronger = attacks.scaled(spec, steps=2 * steps)
    runs = [ctx.correct(stronger, run=i, whitebox=True) for i in range(ctx.level.restarts)]
    combined = torch.stack([base, *runs]).amin(0)
    drop = float(base.mean() - combined.mean())
    evidence = (f"at {ctx.threat_label} on {len(base)} examples: {attacks.label(spec)} leaves {pct(base)}; "
                f"{attacks.label(stronger)} x {ctx.level.restarts} restarts (per-example worst with it) "
                f"leaves {pct(combined)}: {100 * drop:.1f} points lower")
    if drop <= ctx.tolerance + 1e-9:  # float noise: exactly 1 point passes
        return verdict("pass", evidence)
    reported = ctx.reported
    if reported is not None and float(combined.mean()) >= reported - ctx.tolerance:
        # a stronger attack of the group (AutoAttack) already reached below the longer PGD: nothing overstated
        return verdict("pass", f"{evidence}; the reported {ctx.threat_label} number, {pct(reported)} over all "
                               "evaluated examples (worst of every attack of that threat model), is already as low")
    advice = (f"the attack had not converged: report {pct(combined)} (the stronger number on these examples), "
              f"or evaluate with steps: {2 * steps} and random restarts")
    return verdict("fail" if drop > ctx.tolerance + FAIL_DROP else "warn", evidence, advice)
