"""(b) Convergence: twice the steps plus restarts lowers robust accuracy by no more than 1 point.

An attack that keeps improving with more iterations had not converged, so its number overstates
robustness (Carlini et al. 2019, sec. 5): the audit gives the stronger number to report instead. The same
holds for a whole evaluation whose only AutoAttack runs at a reduced budget (`autoattack_fast`, or a row
written by the 10-iteration port): it is flagged (robustx.evaluation.audit.budget).
"""

from __future__ import annotations

import torch

from robustx.evaluation.audit import attacks
from robustx.evaluation.audit.budget import describe, reduced_only
from robustx.evaluation.audit.context import AuditContext, pct
from robustx.evaluation.audit.finding import SEVERITY, Finding, verdict

#: above this drop (on top of the tolerance) the reported number is clearly wrong, not just loose
FAIL_DROP = 0.05


def check(ctx: AuditContext) -> Finding:
    """Convergence of the reference attack, and of the evaluation's budget: a reduced AutoAttack is flagged."""
    finding = _converged(ctx)
    reduced = reduced_only(_rows_at_threat(ctx))
    if not reduced:
        return finding
    text = (f"at {ctx.threat_label} the only AutoAttack-style evaluation is "
            f"{', '.join(describe(r) for r in reduced)}: a reduced budget (the published AutoAttack runs 100 "
            "iterations of APGD, APGD-T and FAB, and Square with 5000 queries) can overstate robustness")
    advice = (f"add {{name: autoattack, norm: {ctx.threat[0]}, eps: {ctx.threat_label.split()[1]}}} (the published "
              "configuration) and quote its number")
    status = finding.status if SEVERITY[finding.status] > SEVERITY["warn"] else "warn"
    evidence = f"{finding.evidence}; {text}" if finding.status != "skip" else text
    return verdict(status, evidence, "; ".join(a for a in (finding.advice, advice) if a))


def _rows_at_threat(ctx: AuditContext) -> list[dict]:
    norm, eps, _ = ctx.threat
    return [r for r in ctx.results.get("attacks", [])
            if r.get("norm") == norm and r.get("eps") is not None and abs(float(r["eps"]) - eps) < 1e-9]


def _converged(ctx: AuditContext) -> Finding:
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
