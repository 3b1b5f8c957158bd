"""(f) Gradient health: zero, NaN or infinite input gradients, and softmax saturation.

Gradient attacks need a usable input gradient. It is exactly zero behind a non-differentiable
step (quantization, rounding: "shattered gradients", Athalye et al. 2018) and it vanishes when
the softmax saturates in float32, so that the cross-entropy gradient softmax - onehot is 0
(large logits, Mosbach et al. 2018; Carlini et al. 2019). The logit-margin gradient tells the two
apart: it survives saturation but not shattering.
"""

from __future__ import annotations

import torch
from torch import nn

from robustx.evaluation.audit.context import AuditContext
from robustx.evaluation.audit.finding import Finding, verdict
from robustx.evaluation.stochastic import EOTModel

#: share of examples: above WARN_SHARE warns, above FAIL_SHARE fails (zero or non-finite gradients)
WARN_SHARE, FAIL_SHARE = 0.01, 0.10
SATURATION_WARN = 0.5


def _margin(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    true = logits.gather(1, y[:, None]).squeeze(1)
    other = logits.masked_fill(nn.functional.one_hot(y, logits.shape[1]).bool(), float("-inf")).amax(1)
    return true - other


def gradient_stats(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-example flags: CE gradient zero / non-finite, margin gradient zero, softmax saturated."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
        ce = nn.functional.cross_entropy(logits, y, reduction="sum")
        (g_ce,) = torch.autograd.grad(ce, x, retain_graph=True)
        (g_margin,) = torch.autograd.grad(_margin(logits, y).sum(), x, allow_unused=True)
    g_margin = torch.zeros_like(x) if g_margin is None else g_margin
    flat, flat_margin = g_ce.flatten(1), g_margin.flatten(1)
    probs = logits.detach().float().softmax(1)
    return {"nonfinite": ~torch.isfinite(flat).all(1),
            "zero": torch.isfinite(flat).all(1) & (flat.abs().amax(1) == 0),
            "margin_zero": flat_margin.abs().amax(1) == 0,
            "saturated": probs.amax(1) >= 1.0}


def check(ctx: AuditContext) -> Finding:
    target = EOTModel(ctx.model, ctx.config.eot_samples) if ctx.stochastic else ctx.model
    ctx.model.eval()
    parts: dict[str, list[torch.Tensor]] = {}
    for x, y in ctx.data.batches(ctx.config.batch_size):
        for key, flags in gradient_stats(target, x, y).items():
            parts.setdefault(key, []).append(flags.cpu())
    share = {k: float(torch.cat(v).float().mean()) for k, v in parts.items()}
    evidence = (f"on {len(ctx.data)} examples{' (EOT gradient)' if ctx.stochastic else ''}: input gradient of the "
                f"cross-entropy exactly zero for {100 * share['zero']:.1f}%, NaN/inf for "
                f"{100 * share['nonfinite']:.1f}%; logit-margin gradient zero for {100 * share['margin_zero']:.1f}%; "
                f"softmax saturated (max probability == 1 in float32) for {100 * share['saturated']:.1f}%")
    bad = max(share["zero"], share["nonfinite"])
    saturation = share["saturated"] > SATURATION_WARN or share["zero"] > share["margin_zero"] + WARN_SHARE
    if share["margin_zero"] > WARN_SHARE:
        advice = ("the gradient is zero even for the logit margin: a non-differentiable step shatters it; attack "
                  "with BPDA (replace the step by a differentiable approximation on the backward pass, Athalye "
                  "et al. 2018) and gradient-free attacks")
    elif saturation:
        advice = ("the softmax saturates, so the cross-entropy gradient vanishes: use a margin loss (APGD with "
                  "loss: dlr, C&W) or AutoAttack, which does")
    else:
        advice = "non-finite gradients: fix the model's numerics (e.g. log of 0) before attacking it"
    if share["nonfinite"] > 0 or bad > FAIL_SHARE:
        return verdict("fail", evidence, advice)
    if bad > WARN_SHARE or share["saturated"] > SATURATION_WARN:
        return verdict("warn", evidence, advice)
    return verdict("pass", evidence)
