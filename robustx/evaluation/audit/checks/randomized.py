"""(g) A randomized model: EOT was used, its sample count converged, and AutoAttack ran its 'rand' version.

A random defense hides its gradient behind the noise of one forward pass; the attack must follow
the expected gradient (EOT, Athalye et al. 2018, sec. 4.1) with enough samples that more would
not help, and AutoAttack's standard version is not meant for it (Croce & Hein 2020 give the 'rand'
version: APGD-CE and APGD-DLR with EOT).
"""

from __future__ import annotations

from robustx.evaluation.audit import attacks
from robustx.evaluation.audit.context import AuditContext, pct
from robustx.evaluation.audit.finding import Finding, verdict, worst

#: an EOT drop larger than this (beyond the tolerance) fails instead of warning
FAIL_DROP = 0.05


def _autoattack(ctx: AuditContext) -> tuple[str, str]:
    rows = [r for r in ctx.results.get("attacks", []) if r["name"].startswith("autoattack")]
    standard = [r for r in rows if r["name"] == "autoattack" and r.get("params", {}).get("version") == "standard"]
    if standard:
        return "fail", "AutoAttack ran its 'standard' version (pinned), which is not meant for randomized models"
    if not rows:
        return "warn", "no AutoAttack in the evaluation (its 'rand' version is the reference for randomized models)"
    return "pass", "AutoAttack ran its 'rand' version (APGD-CE and APGD-DLR with EOT, best expected loss kept)"


def check(ctx: AuditContext) -> Finding:
    evaluated_as_random = bool(ctx.results.get("stochastic"))
    if not ctx.stochastic and not evaluated_as_random:
        return verdict("skip", "the model is deterministic (repeated forward passes agree)")
    if ctx.stochastic and not evaluated_as_random:
        return verdict("fail", "the model is randomized but was evaluated as deterministic (no EOT)",
                       "re-evaluate: robustx detects randomness on the evaluated model; check the model in eval mode")
    samples = int(ctx.results.get("eot_samples") or ctx.config.eot_samples or 1)
    statuses, parts, advice = [], [], []
    if samples <= 1:
        statuses.append("fail")
        parts.append("attacks used 1 forward pass per gradient (no EOT)")
    aa_status, aa_text = _autoattack(ctx)
    statuses.append(aa_status)
    parts.append(aa_text)
    if aa_status != "pass":
        advice.append("add {name: autoattack} (version auto runs 'rand' on randomized models)")
    spec = ctx.reference
    if spec is not None:
        more = samples * ctx.level.eot_factor
        base = ctx.correct(spec, eot_samples=samples)
        stronger = ctx.correct(spec, eot_samples=more)
        drop = float(base.mean() - stronger.mean())
        parts.append(f"{attacks.label(spec)} at {ctx.threat_label}: EOT {samples} leaves {pct(base)}, EOT {more} "
                     f"leaves {pct(stronger)} ({len(base)} examples, {ctx.config.n_predictions} predictions each)")
        if drop > ctx.tolerance + 1e-9:
            statuses.append("fail" if drop > ctx.tolerance + FAIL_DROP else "warn")
            advice.append(f"EOT has not converged at {samples} samples: set evaluate.eot_samples: {more} "
                          f"(gives {pct(stronger)} here)")
        else:
            statuses.append("pass")
    if samples <= 1:
        advice.append("attack through the expected gradient: evaluate.eot_samples >= 10")
    return verdict(worst(statuses), "; ".join(parts), "; ".join(advice))
