"""The leaderboard ingredients of issue 29 at the defense level: MART, label smoothing, AWP.

MART is checked against Eq. 9 written out per example; AWP against ART's AWP trainer (the same
weight perturbation on the same model and batch) and for exact restoration of the weights.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from robustx_defenses.awp import WeightPerturbation, perturbed_names
from robustx_defenses.mart import mart_loss
from test_defenses import HOST, SMALL_PGD, SMOKE, build, fresh_model, local_create_attack, make_ctx
from torch import nn

from robustx.base.errors import ParamError

#: every defense whose training loss is a cross-entropy (all built-ins): each takes ``label_smoothing``
CE_DEFENSES = ("standard", "pgd_at", "fgsm_rs", "mat_rand", "mat_max", "trades", "mart", "jacobian_reg",
               "ce_grad_reg", "adv_train_cw")


def bn_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Flatten(), nn.Linear(8 * 8 * 8, 10))


# -- MART ------------------------------------------------------------------------------------------


def test_mart_loss_is_eq_9_on_fixed_tensors():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [-1.0, 3.0, 0.0], [1.0, 1.0, 2.0]])
    logits_adv = torch.tensor([[0.5, 1.5, -0.5], [0.0, 1.0, 0.5], [0.2, 0.1, 2.0], [2.5, 0.0, 0.1]])
    y = torch.tensor([0, 2, 1, 2])
    beta = 6.0
    total_bce, total_kl = 0.0, 0.0
    for i in range(4):  # Eq. 9 per example, with plain Python arithmetic
        p = [math.exp(v) for v in logits[i].tolist()]
        p = [v / sum(p) for v in p]
        q = [math.exp(v) for v in logits_adv[i].tolist()]
        q = [v / sum(q) for v in q]
        yi = int(y[i])
        wrong = max((k for k in range(3) if k != yi), key=lambda k: q[k])
        total_bce += -math.log(q[yi]) - math.log(1.0001 - q[wrong] + 1e-12)
        kl = sum(p[k] * (math.log(p[k]) - math.log(q[k] + 1e-12)) for k in range(3))
        total_kl += kl * (1.0000001 - p[yi])
    expected_kl = total_kl / 4
    loss, robust = mart_loss(logits, logits_adv, y, beta)
    assert robust.item() == pytest.approx(expected_kl, rel=1e-5)
    assert loss.item() == pytest.approx(total_bce / 4 + beta * expected_kl, rel=1e-5)
    # a confidently correct clean prediction (p_y -> 1) silences its KL term: the "misclassification-aware" part
    sure = torch.tensor([[50.0, 0.0, 0.0]])
    assert mart_loss(sure, torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([0]), beta)[1].item() < 1e-6


def test_mart_trains_with_its_own_loss(digits_tensors):
    x, y, _, _ = digits_tensors
    model = fresh_model().train()
    defense = build("mart", attack=SMALL_PGD, beta=6.0)
    ctx = make_ctx(model)
    defense.setup(ctx)
    loss = defense.loss(model, x[:32], y[:32])
    loss.backward()
    assert math.isfinite(loss.item()) and ctx.stats["mart_kl"] > 0 and model.training


# -- label smoothing -------------------------------------------------------------------------------


def test_every_cross_entropy_defense_takes_label_smoothing():
    assert set(CE_DEFENSES) <= set(HOST.registry("defense").names())
    for name in CE_DEFENSES:
        build(name, label_smoothing=0.1)
        with pytest.raises(ParamError, match=r"label_smoothing: must be < 1"):
            build(name, label_smoothing=1.0)
        with pytest.raises(ParamError, match=r"label_smoothing: must be >= 0"):
            build(name, label_smoothing=-0.1)


@pytest.mark.parametrize("name", CE_DEFENSES)
def test_label_smoothing_reaches_the_loss(name, digits_tensors):
    x, y, _, _ = digits_tensors
    losses = []
    for smoothing in (0.0, 0.2):
        model = fresh_model().train()
        defense = build(name, **SMOKE.get(name, {}), label_smoothing=smoothing)
        defense.setup(make_ctx(model))
        torch.manual_seed(1)
        losses.append(defense.loss(model, x[:32], y[:32]).item())
    assert losses[0] != losses[1]


def test_label_smoothing_is_torchs_smoothed_cross_entropy(digits_tensors):
    x, y, _, _ = digits_tensors
    model = fresh_model().train()
    defense = build("standard", label_smoothing=0.1)
    defense.setup(make_ctx(model))
    log_p = F.log_softmax(model(x[:16]), dim=1)
    expected = (0.9 * F.nll_loss(log_p, y[:16]) - 0.1 * log_p.mean(dim=1).mean()).item()
    assert defense.loss(model, x[:16], y[:16]).item() == pytest.approx(expected, rel=1e-6)


# -- AWP -----------------------------------------------------------------------------------------------


def test_awp_spec_is_validated_with_its_path():
    assert build("pgd_at", awp={"gamma": 0.005, "warmup_epochs": 2}).awp == WeightPerturbation(0.005, 2)
    assert build("trades", awp=0.01).awp.gamma == 0.01
    for bad, message in [({"gama": 0.1}, r"^train.defense\[pgd_at\].awp: unknown key 'gama' \(did you mean 'gamma'\?\)"),
                         ({"gamma": -1}, r"awp.gamma: must be a finite number >= 0"),
                         ({"gamma": 0.01, "warmup_epochs": 1.5}, r"awp.warmup_epochs: must be a whole number"),
                         ({"warmup_epochs": 1}, r"awp.gamma: missing")]:
        with pytest.raises(ParamError, match=message):
            build("pgd_at", awp=bad)


@pytest.mark.parametrize("mode", ["pgd", "trades"])
def test_awp_perturbation_equals_arts_awp_trainer(mode):
    """ART's AdversarialTrainerAWPPyTorch computes the same v on the same model and batch (proxy SGD, lr 0.01)."""
    from art.attacks.evasion import ProjectedGradientDescent
    from art.defences.trainer import AdversarialTrainerAWPPyTorch
    from art.estimators.classification import PyTorchClassifier

    model, proxy = bn_net(), bn_net()
    torch.manual_seed(3)
    x, x_adv, y = torch.rand(16, 1, 8, 8), torch.rand(16, 1, 8, 8), torch.randint(0, 10, (16,))
    wrap = [PyTorchClassifier(m, loss=nn.CrossEntropyLoss(), input_shape=(1, 8, 8), nb_classes=10,
                              optimizer=torch.optim.SGD(m.parameters(), lr=0.01), clip_values=(0.0, 1.0))
            for m in (model, proxy)]
    attack = ProjectedGradientDescent(wrap[0], eps=0.1, eps_step=0.05, max_iter=1, verbose=False)
    gamma, beta = 0.01, 6.0
    trainer = AdversarialTrainerAWPPyTorch(wrap[0], wrap[1], attack, mode=mode, gamma=gamma, beta=beta, warmup=0)
    art_v = trainer._weight_perturbation(x_batch=x, x_batch_pert=x_adv, y_batch=y)

    model.train()
    if mode == "pgd":
        objective = lambda f: -F.cross_entropy(f(x_adv), y)  # noqa: E731
    else:
        def objective(f):
            logits = f(x)
            kl = F.kl_div(F.log_softmax(f(x_adv), dim=1), F.softmax(logits, dim=1).clamp_min(1e-8), reduction="sum")
            return -(F.cross_entropy(logits, y) + beta * kl / 16)
    ours = WeightPerturbation(gamma).perturbation(model, objective)
    assert list(ours) == list(art_v) == perturbed_names(model) == ["0.weight", "4.weight"]
    for name in ours:
        assert torch.allclose(ours[name], gamma * art_v[name], rtol=1e-4, atol=1e-9), name
        assert ours[name].norm().item() == pytest.approx(gamma * dict(model.named_parameters())[name].norm().item(),
                                                         rel=1e-5)


def test_awp_step_restores_the_weights_bitwise_and_trains_at_the_perturbed_point():
    x, y = torch.rand(16, 1, 8, 8), torch.randint(0, 10, (16,))
    model = bn_net().train()
    defense = build("pgd_at", attack=SMALL_PGD, awp={"gamma": 0.02})
    ctx = make_ctx(model)
    defense.setup(ctx)
    ctx.epoch = 1
    before = {k: v.clone() for k, v in model.state_dict().items()}
    loss = defense.loss(model, x, y)
    loss.backward()
    after = model.state_dict()
    params = dict(model.named_parameters())
    for key, value in before.items():  # weights bitwise as before; BN statistics moved by one (perturbed) forward
        if key in params:
            assert torch.equal(after[key], value), key
    assert after["1.num_batches_tracked"].item() == 1 and ctx.stats["awp"] == 1.0

    # the same step by hand: the examples, ART's/Wu's v added into a copy in place, CE at w + v
    reference = bn_net().train()
    reference.load_state_dict(before)
    x_adv = local_create_attack(SMALL_PGD, reference)(x, y)  # deterministic PGD, on the weights before the step
    v = WeightPerturbation(0.02).perturbation(reference, lambda f: -F.cross_entropy(f(x_adv), y))
    with torch.no_grad():
        for name, p in reference.named_parameters():
            if name in v:
                p.add_(v[name])
    expected = F.cross_entropy(reference(x_adv), y)
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    for name, p in model.named_parameters():
        assert torch.allclose(p.grad, dict(reference.named_parameters())[name].grad, rtol=1e-5, atol=1e-7), name
    assert torch.allclose(after["1.running_mean"], reference.state_dict()["1.running_mean"])


@pytest.mark.parametrize("name", ["pgd_at", "trades", "mart"])
def test_awp_waits_for_its_warmup_then_changes_the_loss(name, digits_tensors):
    x, y, _, _ = digits_tensors
    losses = {}
    for awp, epoch in [(None, 1), ({"gamma": 0.05, "warmup_epochs": 1}, 1), ({"gamma": 0.05, "warmup_epochs": 1}, 2)]:
        model = fresh_model().train()
        defense = build(name, **SMOKE[name], awp=awp)
        ctx = make_ctx(model)
        defense.setup(ctx)
        ctx.epoch = epoch
        torch.manual_seed(0)
        losses[(awp is not None, epoch)] = defense.loss(model, x[:32], y[:32]).item()
    assert losses[(True, 1)] == losses[(False, 1)]  # warm-up epoch: plain training, bit for bit
    assert losses[(True, 2)] > losses[(False, 1)]  # AWP ascends the loss in weight space
