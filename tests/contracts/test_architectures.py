"""Every registered architecture (except pattern names like ``timm:{model_name}``) builds for
CIFAR- and MNIST-sized inputs, trains (forward + backward in train mode) and gives input
gradients in eval mode (what attacks need); the parameter counts in docs/architectures.md hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import heavy_modules_after

from robustx.base.errors import ParamError
from robustx.config.params import validate_params
from robustx.host.manager import PluginHost

PROVIDED = ("num_classes", "in_channels", "image_size")
SHAPES = {"cifar": (3, 32), "mnist": (1, 28)}
ARCHITECTURES = PluginHost().registry("architecture")
NAMES = [entry.name for entry in ARCHITECTURES if entry.pattern is None]
DOC = Path(__file__).resolve().parents[2] / "docs" / "architectures.md"

#: cheaper settings for the parametrized build test (the defaults are covered by named variants, e.g.
#: wrn_28_10), declared next to each architecture (``@component(..., smoke={...})``)
CHEAP_PARAMS = {entry.name: entry.smoke for entry in ARCHITECTURES if entry.smoke is not None}
#: factories that only fix another one's parameters: that one's build test covers their code, and the
#: exact parameter counts (test_documented_parameter_counts) check the parameters they fix
FIXED_VARIANTS = {"wrn_28_10": "wide_resnet", "wrn_34_10": "wide_resnet", "wider_resnet18": "wide_resnet18"}


def _build(name: str, in_channels: int, image_size: int, num_classes: int = 10, **params):
    return ARCHITECTURES.create(name, num_classes=num_classes, in_channels=in_channels, image_size=image_size,
                                **params)


def _param_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _meta_count(name: str, in_channels: int = 3, image_size: int = 32, **params) -> int:
    """Parameters of a model built on the ``meta`` device: exact counts without allocating 46M floats."""
    import torch

    with torch.device("meta"):
        return _param_count(_build(name, in_channels, image_size, **params))


def _documented_counts() -> dict[str, tuple[int, int]]:
    """name -> (params for 3x32x32, params for 1x28x28), read from the table in docs/architectures.md."""
    counts = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 3 and cells[0].startswith("`") and re.match(r"[\d,]+", cells[2]):
            name = cells[0].split("`")[1]
            counts[name] = tuple(int(re.match(r"[\d,]+", c)[0].replace(",", "")) for c in cells[2:4])
    return counts


DOCUMENTED = _documented_counts()


def test_registry_holds_the_builtin_architectures():
    expected = {"mnist_cnn", "small_cnn", "basicnet", "resnet20", "resnet32", "resnet56", "preact_resnet18",
                "wide_resnet", "wrn_28_10", "wrn_34_10", "wide_resnet18", "wider_resnet18", "vgg11",
                "ds_mnist_net", "ds_cifar_convnet", "noisy_resnet20", "noisy_basicnet"}
    assert expected <= set(NAMES)


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
@pytest.mark.parametrize("name", [n for n in NAMES if n not in FIXED_VARIANTS])
def test_architecture_trains_and_attacks(name, shape):
    import torch

    in_channels, size = SHAPES[shape]
    torch.manual_seed(0)
    model = _build(name, in_channels, size, **CHEAP_PARAMS.get(name, {}))
    batch = 2
    x = torch.rand(batch, in_channels, size, size)
    y = torch.arange(batch) % 10

    model.train()
    out = model(x)
    assert out.shape == (batch, 10)
    torch.nn.functional.cross_entropy(out, y).backward()
    trainable = [p for p in model.parameters() if p.requires_grad]
    with_grad = [p for p in trainable if p.grad is not None and p.grad.abs().sum() > 0]
    assert len(with_grad) >= 0.9 * len(trainable), "most parameters should receive a gradient"

    model.eval()
    x_eval = x.clone().requires_grad_(True)
    out = model(x_eval)
    assert out.shape == (batch, 10) and torch.isfinite(out).all()
    torch.nn.functional.cross_entropy(out, y).backward()
    assert x_eval.grad is not None and x_eval.grad.abs().sum() > 0


def test_every_fixed_variant_builds_its_base():
    assert set(FIXED_VARIANTS.values()) <= set(NAMES) and set(FIXED_VARIANTS) <= set(NAMES)


def test_every_builtin_architecture_has_documented_counts():
    assert set(NAMES) <= set(DOCUMENTED), f"add a row to docs/architectures.md for {set(NAMES) - set(DOCUMENTED)}"


@pytest.mark.parametrize("name", NAMES)
def test_documented_parameter_counts(name):
    assert (_meta_count(name, 3, 32), _meta_count(name, 1, 28)) == DOCUMENTED[name], (
        f"the counts of {name} in docs/architectures.md are out of date")


def test_num_classes_is_honoured():
    import torch

    assert _build("resnet20", 3, 32, num_classes=100)(torch.rand(2, 3, 32, 32)).shape == (2, 100)


def test_small_cnn_runs_on_digits(sample_batch):
    x, _ = sample_batch  # 8x8 digits
    assert _build("small_cnn", 1, 8)(x).shape == (len(x), 10)


def test_width_parameters_change_the_model():
    base = _meta_count("wide_resnet18")
    assert 0.2 * base < _meta_count("wide_resnet18", width=0.5) < 0.3 * base  # parameters scale with width**2
    assert _meta_count("wide_resnet", depth=16, widen_factor=2) < 1e6


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("wide_resnet", {"widen_factor": 0}, "widen_factor: must be >= 1"),
        ("wide_resnet", {"dropout": 1.5}, "dropout: must be < 1"),
        ("wide_resnet", {"depht": 28}, "did you mean 'depth'"),
        ("wide_resnet18", {"width": "wide"}, "expected a number"),
        ("noisy_resnet20", {"on": "weight"}, "did you mean 'weights'"),
        ("resnet20", {"num_classes": 10}, "set by robustx itself"),
    ],
)
def test_bad_parameters_fail_validation(name, params, message):
    with pytest.raises(ParamError, match=message):
        validate_params(ARCHITECTURES.get(name).factory, params, f"model.{name}", provided=PROVIDED)


def test_valid_parameters_are_coerced():
    out = validate_params(ARCHITECTURES.get("wide_resnet").factory, {"depth": 34.0, "dropout": "3/10"}, "model",
                          provided=PROVIDED)
    assert out == {"depth": 34, "dropout": pytest.approx(0.3)}


def test_wide_resnet_depth_must_be_6n_plus_4():
    with pytest.raises(ParamError, match="6n\\+4"):
        ARCHITECTURES.create("wide_resnet", num_classes=10, in_channels=3, image_size=32, depth=27)


def test_listing_architectures_does_not_import_torch():
    code = (
        "from robustx.host.manager import PluginHost\n"
        "host = PluginHost()\n"
        "names = host.registry('architecture').names() + host.registry('transform').names()\n"
        "assert 'resnet20' in names and 'noisenet' in names, names\n"
    )
    assert heavy_modules_after(code, ("torch", "torchvision", "timm", "numpy")) == []
