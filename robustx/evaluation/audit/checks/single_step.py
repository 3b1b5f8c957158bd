"""(a) An iterative attack does at least as well as a single-step one at the same threat model.

If FGSM beats PGD, PGD is not following the loss: a misconfigured step size, or gradients that
only point the right way at the clean input (gradient masking, Athalye et al. 2018).
"""

from __future__ import annotations

from robustx.evaluation.audit import attacks
from robustx.evaluation.audit.context import AuditContext, pct
from robustx.evaluation.audit.finding import Finding, verdict


def check(ctx: AuditContext) -> Finding:
    norm, eps, _ = ctx.threat
    single_spec, iter_spec = attacks.single_step(norm, eps), ctx.reference
    if single_spec is None or iter_spec is None:
        return verdict("skip", f"no single-step/iterative attack for {norm}")
    single = ctx.correct(single_spec, whitebox=True)
    iterative = ctx.correct(iter_spec, whitebox=True)
    only_single = float(((single < 0.5) & (iterative >= 0.5)).float().mean())
    gap = float(iterative.mean() - single.mean())
    evidence = (f"at {ctx.threat_label} on {len(single)} examples: {attacks.label(iter_spec)} leaves "
                f"{pct(iterative)}, {attacks.label(single_spec)} leaves {pct(single)}; the single step breaks "
                f"{100 * only_single:.1f}% of examples the iterative attack misses")
    if gap > ctx.tolerance:
        return verdict("fail", evidence, "the iterative attack is weaker than one gradient step: check its step "
                       "size and steps, add random restarts, use APGD; if it persists the gradients are masked "
                       "(see checks f and e)")
    return verdict("pass", evidence)
