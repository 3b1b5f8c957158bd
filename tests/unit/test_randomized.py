"""Randomized models measured honestly: AutoAttack 'rand' chosen automatically, no silent fallback to the
clean image, noise off while weights train, NoiseNet alphas without weight decay, fixed noise for analyses."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from robustx.evaluation.stochastic import (
    EOTModel,
    FixedNoise,
    in_training_phase,
    is_stochastic,
    keep_worst,
    training_phase,
)
from robustx.host.manager import PluginHost

HOST = PluginHost()


class RandomInput(nn.Module):
    def __init__(self, net: nn.Module, sigma: float = 0.2) -> None:
        super().__init__()
        self.net, self.sigma = net, sigma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x + self.sigma * torch.randn_like(x))


def test_autoattack_switches_to_rand_on_randomized_models_and_warns_when_pinned(tiny_model, sample_batch, capsys):
    from robustx_torchattacks.randomized import ExpectedLossEnsemble

    x, y = sample_batch
    attacks = HOST.registry("attack")
    eot = EOTModel(RandomInput(tiny_model), samples=2, predictions=3).eval()
    auto = attacks.create("autoattack", eot, eps=0.1)
    auto._get(x)
    assert isinstance(auto.attack, ExpectedLossEnsemble)
    assert [a.loss for a in auto.attack.attacks] == ["ce", "dlr"] and auto.attack.attacks[0].eot_iter == 10
    assert {a.steps for a in auto.attack.attacks} == {100}  # the published 'rand' version: 100 iterations
    assert "warning" not in capsys.readouterr().err
    pinned = attacks.create("autoattack", eot, eps=0.1, version="standard")
    assert "robustx: warning: attack 'autoattack': version 'standard' on a randomized model" in capsys.readouterr().err
    pinned._get(x)
    assert not isinstance(pinned.attack, ExpectedLossEnsemble)
    plain = attacks.create("autoattack", tiny_model, eps=0.1)
    plain._get(x)
    assert type(plain.attack).__name__ == "AutoAttackCascade" and plain.attack.version == "standard"


def test_apgd_on_a_randomized_model_never_falls_back_to_the_clean_image(tiny_model, sample_batch):
    import torchattacks

    x, y = sample_batch
    eot = EOTModel(RandomInput(tiny_model, 0.3), samples=1, predictions=3).eval()
    torch.manual_seed(0)
    adv = HOST.registry("attack").create("apgd", eot, eps=0.05, steps=5)(x, y)
    unchanged = (adv - x).flatten(1).abs().amax(1) == 0
    assert not unchanged.any()
    torch.manual_seed(0)
    library = torchattacks.APGD(eot, eps=0.05, steps=5)(x, y)  # the behaviour this fixes
    assert ((library - x).flatten(1).abs().amax(1) == 0).any()


def test_keep_worst_picks_per_example_the_candidate_that_fools_more_often(tiny_model, sample_batch):
    x, y = sample_batch
    fooled = x.clone()
    wrong = tiny_model(x).argmax(1) != y
    noise = torch.rand_like(x)  # grey noise: misclassified by the digits net for most examples
    chosen = keep_worst(tiny_model, [x, noise], y, predictions=1)
    noise_wrong = tiny_model(noise).argmax(1) != y
    expect = torch.where((noise_wrong & ~wrong)[:, None, None, None], noise, fooled)
    assert torch.equal(chosen[noise_wrong != wrong], expect[noise_wrong != wrong])


def test_inference_noise_is_off_while_weights_train_attacks_included(tiny_model, sample_batch):
    x, _ = sample_batch
    noisy = HOST.registry("transform").create("inference_noise", tiny_model, sigma=0.1).eval()
    assert is_stochastic(noisy, x)
    assert not in_training_phase()
    with training_phase():  # the training loop wraps each defense.loss (and its attack) in this
        assert in_training_phase() and not is_stochastic(noisy, x)
    always = HOST.registry("transform").create("inference_noise", tiny_model, sigma=0.1, train=True).eval()
    with training_phase():
        assert is_stochastic(always, x)


def test_noisenet_keeps_its_noise_while_training_attacks_included(sample_batch):
    x, _ = sample_batch
    torch.manual_seed(0)
    net = HOST.registry("architecture").create("basicnet", num_classes=10, in_channels=1, image_size=8)
    noisy = HOST.registry("transform").create("noisenet", net).eval()  # attacks run in eval mode
    with training_phase():
        assert is_stochastic(noisy, x)


def test_noisenet_alphas_are_exempt_from_weight_decay():
    from robustx_models.noise import noise_alphas

    torch.manual_seed(0)
    net = HOST.registry("architecture").create("basicnet", num_classes=10, in_channels=1, image_size=8)
    noisy = HOST.registry("transform").create("noisenet", net, on="both")
    names = {f"{prefix}.{n}" if prefix else n for prefix, module in noisy.named_modules()
             if hasattr(module, "no_weight_decay") for n in module.no_weight_decay()}
    params = dict(noisy.named_parameters())
    assert names and {id(params[n]) for n in names} == {id(a) for a in noise_alphas(noisy)}


def test_is_stochastic_does_not_fire_on_nan_outputs(sample_batch):
    x, _ = sample_batch
    nan_model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    with torch.no_grad():
        nan_model[1].weight.fill_(float("nan"))
    assert not is_stochastic(nan_model, x)


def test_fixed_noise_repeats_the_same_draw(tiny_model, sample_batch):
    x, _ = sample_batch
    model = RandomInput(tiny_model)
    fixed = FixedNoise(model, seed=3)
    assert torch.equal(fixed(x), fixed(x)) and not torch.equal(model(x), model(x))
    assert not torch.equal(FixedNoise(model, seed=4)(x), fixed(x))


@pytest.mark.parametrize("randomized", [False, True])
def test_indicator_records_how_it_handled_noise(tiny_model, sample_batch, randomized):
    from robustx_analyses.indicator import robustness_indicator

    x, y = sample_batch
    model = RandomInput(tiny_model) if randomized else tiny_model
    out = robustness_indicator(model, x[:8], y[:8], eps=0.1, lanczos_steps=3, hessian="finite_difference")
    assert out["summary"]["noise"].startswith("randomized model: one fixed noise draw") == randomized
    if randomized:  # with a fixed draw the measurement repeats exactly
        again = robustness_indicator(model, x[:8], y[:8], eps=0.1, lanczos_steps=3, hessian="finite_difference")
        assert again["summary"]["hessian_top_abs_mean"] == out["summary"]["hessian_top_abs_mean"]
