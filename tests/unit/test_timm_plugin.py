"""The ``timm:{model_name}`` architecture: sizing, small-input stems, ViT img_size/patch_size,
pass-through kwargs and clean errors. Never pretrained (no downloads in tests)."""

from __future__ import annotations

import pytest
from helpers import heavy_modules_after

from robustx.base.errors import ParamError, UnknownNameError
from robustx.config.params import validate_params
from robustx.host.manager import PluginHost

ARCHITECTURES = PluginHost().registry("architecture")


def _build(name, in_channels=3, image_size=32, **params):
    return ARCHITECTURES.create(name, num_classes=10, in_channels=in_channels, image_size=image_size, **params)


def test_pattern_name_passes_the_model_name():
    resolved = ARCHITECTURES.resolve("timm:resnet18")
    assert resolved.entry.name == "timm:{model_name}"
    assert resolved.implied == {"model_name": "resnet18"}


def test_resnet_gets_a_small_input_stem_and_trains():
    import torch
    from torch import nn

    model = _build("timm:resnet18", in_channels=1, image_size=28)
    assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (1, 1) and model.conv1.in_channels == 1
    assert model.conv1.out_channels == 64 and isinstance(model.maxpool, nn.Identity)
    x = torch.rand(2, 1, 28, 28, requires_grad=True)
    out = model(x)
    assert out.shape == (2, 10)
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_large_inputs_and_adapt_stem_false_keep_the_imagenet_stem():
    from torch import nn

    for model in (_build("timm:resnet18", image_size=96), _build("timm:resnet18", adapt_stem=False)):
        assert model.conv1.kernel_size == (7, 7) and model.conv1.stride == (2, 2)
        assert isinstance(model.maxpool, nn.MaxPool2d)


def test_stem_attribute_models_are_adapted():
    import torch

    model = _build("timm:convnext_atto")  # stem = Sequential(Conv2d 4x4 stride 4, LayerNorm2d)
    assert model.stem[0].kernel_size == (3, 3) and model.stem[0].stride == (1, 1)
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)


def test_vit_gets_image_size_and_patch_size():
    import torch

    model = _build("timm:vit_tiny_patch16_224", patch_size=4, depth=2)  # depth: a timm kwarg, keeps it fast
    assert len(model.blocks) == 2
    assert tuple(model.patch_embed.img_size) == (32, 32)
    assert model.patch_embed.num_patches == 64
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)


def test_extra_kwargs_reach_timm():
    assert _build("timm:resnet18", drop_rate=0.3).drop_rate == 0.3


def test_unknown_model_suggests_names():
    with pytest.raises(UnknownNameError, match="did you mean 'resnet18'"):
        _build("timm:resnet81")


def test_patch_size_on_a_convnet_is_a_parameter_error():
    with pytest.raises(ParamError, match="patch_size"):
        _build("timm:resnet18", patch_size=4)


def test_parameters_are_validated():
    factory = ARCHITECTURES.get("timm:resnet18").factory
    provided = ("num_classes", "in_channels", "image_size", "model_name")
    with pytest.raises(ParamError, match="expected true or false"):
        validate_params(factory, {"pretrained": "yes"}, "model", provided=provided)
    with pytest.raises(ParamError, match="patch_size: must be >= 1"):
        validate_params(factory, {"patch_size": 0}, "model", provided=provided)
    assert validate_params(factory, {"drop_rate": "1/10"}, "model", provided=provided) == {"drop_rate": 0.1}


def test_registering_the_timm_plugin_does_not_import_timm_or_torch():
    code = (
        "import robustx_timm\n"
        "from robustx.host.manager import PluginHost\n"
        "assert 'timm:{model_name}' in PluginHost().registry('architecture').names()\n"
    )
    assert heavy_modules_after(code, ("torch", "torchvision", "timm")) == []
