"""robustx's own attacks (those torchattacks and ART lack)."""

from __future__ import annotations

import torch

import robustx
from robustx.base.functional import logit_margin


def test_cw_linf_lowers_the_margin_within_eps(tiny_model, sample_batch):
    x, y = sample_batch
    attack = robustx.create_attack("cw_linf", tiny_model, eps=0.2, alpha=0.05, steps=10)
    x_adv = attack(x, y)
    assert (x_adv - x).abs().max() <= 0.2 + 1e-6 and x_adv.min() >= 0 and x_adv.max() <= 1
    with torch.no_grad():
        before, after = logit_margin(tiny_model(x), y), logit_margin(tiny_model(x_adv), y)
    assert after.mean() < before.mean() - 1.0
    assert (after < 0).float().mean() > 0.5  # most examples are pushed over the boundary


def test_cw_linf_kappa_stops_at_the_margin(tiny_model, sample_batch):
    """With kappa=0 the objective is flat once misclassified: already-wrong inputs do not move."""
    x, y = sample_batch
    wrong_label = (tiny_model(x).argmax(1) + 1) % 10
    x_adv = robustx.create_attack("cw_linf", tiny_model, eps=0.2, alpha=0.05, steps=5)(x, wrong_label)
    assert torch.equal(x_adv, x)


def test_logit_margin_by_hand():
    logits = torch.tensor([[1.0, 3.0, 2.0], [0.5, 0.0, 0.0]])
    assert torch.allclose(logit_margin(logits, torch.tensor([1, 1])), torch.tensor([1.0, -0.5]))


def _reference_cw_linf(model, x, y, eps, alpha, steps):
    """The textbook loop, written out: every iterate projected on the ball and on [0, 1]."""
    x_adv = x.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        objective = (-logit_margin(model(x_adv), y)).clamp(max=0).sum()
        (grad,) = torch.autograd.grad(objective, x_adv)
        x_adv = torch.min(torch.max(x_adv.detach() + alpha * grad.sign(), x - eps), x + eps).clamp(0, 1)
    return x_adv


def test_cw_linf_matches_the_reference_loop_with_small_steps(tiny_model, sample_batch):
    """Many small steps: iterates must stay in [0,1] throughout, or the final clamp undoes the attack."""
    x, y = sample_batch
    ours = robustx.create_attack("cw_linf", tiny_model, eps=0.3, alpha=0.01, steps=60)(x, y)
    reference = _reference_cw_linf(tiny_model, x, y, 0.3, 0.01, 60)
    assert torch.allclose(ours, reference, atol=1e-6)
    with torch.no_grad():
        assert (tiny_model(ours).argmax(1) == y).float().mean() < 0.2
