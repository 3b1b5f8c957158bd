"""(e) Neither a gradient-free attack (Square) nor transfer from a surrogate beats the white-box attacks.

Attacks that never look at the model's gradients can only win when those gradients mislead:
the signature of gradient masking (Athalye et al. 2018, sec. 3.1; Croce & Hein 2020 found it
this way in many defenses; Tramer et al. 2020).
"""

from __future__ import annotations

import torch

from robustx.evaluation.audit import attacks
from robustx.evaluation.audit.context import AuditContext, pct
from robustx.evaluation.audit.finding import Finding, verdict, worst
from robustx.evaluation.audit.surrogate import distill


def _compare(name: str, black: torch.Tensor, white: torch.Tensor, tolerance: float) -> tuple[str, str]:
    only_black = float(((black < 0.5) & (white >= 0.5)).float().mean())
    status = "fail" if float(white.mean() - black.mean()) > tolerance else "pass"
    return status, (f"{name} leaves {pct(black)} (breaks {100 * only_black:.1f}% of examples the white-box "
                    f"attacks miss)")


def _transfer(ctx: AuditContext, spec: dict) -> torch.Tensor:
    x = ctx.data.to_float(ctx.data.x)
    draws = ctx.config.n_predictions if ctx.stochastic else 1
    surrogate = distill(ctx.model.eval(), x, ctx.threat[1] if ctx.threat[0] == "Linf" else 0.0,
                        ctx.level.surrogate_steps, draws=draws)
    attack = ctx.create_attack(spec, surrogate)
    x_adv = torch.cat([attack(x[i:i + ctx.config.batch_size], ctx.data.y[i:i + ctx.config.batch_size])
                       for i in range(0, len(x), ctx.config.batch_size)])
    return ctx.score(x_adv)


def check(ctx: AuditContext) -> Finding:
    norm, eps, _ = ctx.threat
    if ctx.reference is not None and not ctx.whitebox:
        ctx.correct(ctx.reference, whitebox=True)
    if not ctx.whitebox:
        return verdict("skip", f"no white-box attack ran at {ctx.threat_label}")
    white = torch.stack(list(ctx.whitebox.values())).amin(0)
    parts, statuses = [f"at {ctx.threat_label} on {len(white)} examples the white-box attacks of this audit leave "
                       f"{pct(white)}"], []
    square = attacks.black_box(norm, eps, ctx.level.square_queries)
    if square is not None:
        status, text = _compare(f"Square ({ctx.level.square_queries} queries)", ctx.correct(square), white,
                                ctx.tolerance)
        statuses.append(status)
        parts.append(text)
    transfer_spec = attacks.iterative(norm, eps)
    if transfer_spec is not None:
        status, text = _compare("PGD transferred from a distilled surrogate", _transfer(ctx, transfer_spec), white,
                                ctx.tolerance)
        statuses.append(status)
        parts.append(text)
    if not statuses:
        return verdict("skip", f"no black-box or transfer attack for {norm}")
    status = worst(statuses)
    advice = ("" if status == "pass" else "attacks that ignore the gradients do better, so the gradients are masked: "
              "report the black-box/transfer number as an upper bound, and attack with BPDA or EOT (Athalye et al. "
              "2018) or an adaptive attack (Tramer et al. 2020)")
    return verdict(status, "; ".join(parts), advice)
