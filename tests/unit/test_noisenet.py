"""NoiseNet / parametric noise injection (Rakin et al. 2018): stochastic at train and test
time, trainable per-layer alphas, and exactly the plain model once the noise is off."""

from __future__ import annotations

import copy

import pytest

from robustx.base.errors import ParamError, RobustxError
from robustx.config.params import validate_params
from robustx.host.manager import PluginHost

HOST = PluginHost()
ARCHITECTURES = HOST.registry("architecture")
TRANSFORMS = HOST.registry("transform")


def _plain_basicnet():
    import torch

    torch.manual_seed(0)
    return ARCHITECTURES.create("basicnet", num_classes=10, in_channels=1, image_size=8)


def _noisy(model, **params):
    return TRANSFORMS.create("noisenet", model, **params)


@pytest.mark.parametrize("on", ["weights", "activations", "both"])
def test_two_forward_passes_differ_even_in_eval_mode(on, sample_batch):
    x, _ = sample_batch
    model = _noisy(_plain_basicnet(), on=on).eval()
    assert not model(x).equal(model(x))


@pytest.mark.parametrize(("on", "per_layer"), [("weights", 1), ("activations", 1), ("both", 2)])
def test_alphas_are_parameters_that_get_gradients(on, per_layer, sample_batch):
    import torch
    from robustx_models.noise import noise_alphas
    from torch import nn

    plain = _plain_basicnet()
    layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in plain.modules())
    model = _noisy(plain, on=on, alpha_init=0.25)
    alphas = noise_alphas(model)
    assert len(alphas) == per_layer * layers
    params = {id(p) for p in model.parameters()}
    assert all(isinstance(a, nn.Parameter) and id(a) in params for a in alphas)
    assert all(float(a.detach()) == 0.25 for a in alphas)

    x, y = sample_batch
    torch.nn.functional.cross_entropy(model.train()(x), y).backward()
    assert all(a.grad is not None and a.grad.abs() > 0 for a in alphas)


def test_noise_off_is_deterministic_and_equals_the_plain_model(sample_batch):
    from robustx_models.noise import noise_disabled, set_noise

    x, _ = sample_batch
    plain = _plain_basicnet().eval()
    noisy = _noisy(copy.deepcopy(plain), on="both").eval()
    expected = plain(x)
    with noise_disabled(noisy):
        first, second = noisy(x), noisy(x)
    assert first.equal(second) and first.equal(expected)
    assert not noisy(x).equal(expected)  # the context manager restored the noise

    assert set_noise(noisy, False) == 6  # 4 conv + 2 linear layers
    assert noisy(x).equal(expected)


def test_zero_alpha_means_no_noise(sample_batch):
    x, _ = sample_batch
    plain = _plain_basicnet().eval()
    noisy = _noisy(copy.deepcopy(plain), on="both", alpha_init=0.0).eval()
    assert noisy(x).equal(plain(x))


def test_transform_shares_weights_in_place():
    from robustx_models.noise import NoisyConv2d, NoisyLinear

    plain = _plain_basicnet()
    first_conv, last_fc = plain.features[0], plain.classifier[-1]
    noisy = _noisy(plain)
    assert noisy is plain
    assert isinstance(noisy.features[0], NoisyConv2d) and isinstance(noisy.classifier[-1], NoisyLinear)
    assert noisy.features[0].weight is first_conv.weight and noisy.classifier[-1].bias is last_fc.bias


def test_noisy_architectures_save_and_load_their_alphas():
    import torch

    build = dict(num_classes=10, in_channels=3, image_size=32)
    model = ARCHITECTURES.create("noisy_resnet20", **build, on="both")
    with torch.no_grad():
        model.conv1.alpha_w.fill_(0.7)
    state = model.state_dict()
    assert "conv1.alpha_w" in state and "fc.alpha_a" in state
    clone = ARCHITECTURES.create("noisy_resnet20", **build, on="both")
    clone.load_state_dict(state)
    assert float(clone.conv1.alpha_w.detach()) == pytest.approx(0.7)


def test_transform_parameters_are_validated():
    factory = TRANSFORMS.get("noisenet").factory
    with pytest.raises(ParamError, match="did you mean 'activations'"):
        validate_params(factory, {"on": "activation"}, "transforms.noisenet", positional=1)
    with pytest.raises(ParamError, match="alpha_init: must be >= 0"):
        validate_params(factory, {"alpha_init": -1}, "transforms.noisenet", positional=1)


def test_model_without_conv_or_linear_is_an_error():
    from torch import nn

    with pytest.raises(RobustxError, match="no nn.Conv2d or nn.Linear"):
        _noisy(nn.Sequential(nn.ReLU()))
