"""The registered architecture and transform factories: thin, torch-free, validated by robustx.

Every factory imports its model family lazily, so ``robustx list architectures`` never loads
torch. Architecture contract: ``factory(*, num_classes, in_channels, image_size, **params)``
returns an ``nn.Module`` mapping [0,1] images to logits (robustx adds normalization).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from robustx.config.params import Range

if TYPE_CHECKING:
    from torch import nn

Count = Annotated[int, Range(ge=1)]
NoiseSite = Literal["weights", "activations", "both"]
Alpha = Annotated[float, Range(ge=0)]


# -- plain CNNs ------------------------------------------------------------------------------
def mnist_cnn(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .plain_cnn import MnistCNN

    return MnistCNN(num_classes, in_channels, image_size)


def fast_mnist_net(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .plain_cnn import FastMnistNet

    return FastMnistNet(num_classes, in_channels, image_size)


def small_cnn(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .plain_cnn import SmallCNN

    return SmallCNN(num_classes, in_channels, image_size)


def basicnet(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .plain_cnn import BasicNet

    return BasicNet(num_classes, in_channels, image_size)


def ds_mnist_net(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .decision_surface import DSMnistNet

    return DSMnistNet(num_classes, in_channels, image_size)


def ds_cifar_convnet(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .decision_surface import DSCifarConvNet

    return DSCifarConvNet(num_classes, in_channels, image_size)


def vgg11(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .vgg import build_vgg

    return build_vgg("vgg11", num_classes, in_channels, image_size)


# -- residual nets ---------------------------------------------------------------------------
def _cifar_resnet(depth: int, num_classes: int, in_channels: int) -> "nn.Module":
    from .cifar_resnet import build_cifar_resnet

    return build_cifar_resnet(depth, num_classes, in_channels)


def resnet20(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    return _cifar_resnet(20, num_classes, in_channels)


def resnet32(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    return _cifar_resnet(32, num_classes, in_channels)


def resnet56(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    return _cifar_resnet(56, num_classes, in_channels)


def preact_resnet18(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .preact_resnet import build_preact_resnet18

    return build_preact_resnet18(num_classes, in_channels)


def wide_resnet(
    *,
    num_classes: Count,
    in_channels: Count,
    image_size: Count,
    depth: Annotated[int, Range(ge=10)] = 28,
    widen_factor: Count = 10,
    dropout: Annotated[float, Range(ge=0, lt=1)] = 0.0,
) -> "nn.Module":
    """WRN-depth-widen_factor; depth must be 6n+4 (16, 22, 28, 34, 40)."""
    from robustx.base.errors import ParamError

    if (depth - 4) % 6 != 0:
        raise ParamError(f"wide_resnet.depth: must be 6n+4 (16, 22, 28, 34, 40), got {depth}")
    from .wide_resnet import build_wide_resnet

    return build_wide_resnet(depth, widen_factor, dropout, num_classes, in_channels)


def wrn_28_10(
    *, num_classes: Count, in_channels: Count, image_size: Count, dropout: Annotated[float, Range(ge=0, lt=1)] = 0.0
) -> "nn.Module":
    return wide_resnet(num_classes=num_classes, in_channels=in_channels, image_size=image_size,
                       depth=28, widen_factor=10, dropout=dropout)


def wrn_34_10(
    *, num_classes: Count, in_channels: Count, image_size: Count, dropout: Annotated[float, Range(ge=0, lt=1)] = 0.0
) -> "nn.Module":
    return wide_resnet(num_classes=num_classes, in_channels=in_channels, image_size=image_size,
                       depth=34, widen_factor=10, dropout=dropout)


def wide_resnet18(
    *, num_classes: Count, in_channels: Count, image_size: Count, width: Annotated[float, Range(gt=0)] = 1.0
) -> "nn.Module":
    """ResNet-18 whose stage widths are ``64*width`` ... ``512*width`` (params grow with width**2)."""
    from .resnet18 import build_wide_resnet18

    return build_wide_resnet18(width, num_classes, in_channels)


#: stage widths 80/160/320/640: the ~17M-parameter variant
WIDER_RESNET18_WIDTH = 1.25


def wider_resnet18(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    return wide_resnet18(num_classes=num_classes, in_channels=in_channels, image_size=image_size,
                         width=WIDER_RESNET18_WIDTH)


# -- NoiseNet (parametric noise injection) ---------------------------------------------------
def noisenet(model: "nn.Module", *, on: NoiseSite = "weights", alpha_init: Alpha = 0.25) -> "nn.Module":
    """Transform: make every Conv2d/Linear of ``model`` a PNI layer (in place); noise stays on at test time."""
    from .noise import add_parametric_noise

    return add_parametric_noise(model, on=on, alpha_init=alpha_init)


def noisy_resnet20(
    *, num_classes: Count, in_channels: Count, image_size: Count, on: NoiseSite = "weights", alpha_init: Alpha = 0.25
) -> "nn.Module":
    return noisenet(resnet20(num_classes=num_classes, in_channels=in_channels, image_size=image_size),
                    on=on, alpha_init=alpha_init)


def noisy_basicnet(
    *, num_classes: Count, in_channels: Count, image_size: Count, on: NoiseSite = "weights", alpha_init: Alpha = 0.25
) -> "nn.Module":
    return noisenet(basicnet(num_classes=num_classes, in_channels=in_channels, image_size=image_size),
                    on=on, alpha_init=alpha_init)


#: (name, factory, aliases, description): what ``robustx list architectures`` shows; parameter
#: counts live in docs/architectures.md only (tests/test_architectures.py checks them)
ARCHITECTURES = (
    ("mnist_cnn", mnist_cnn, (), "Madry et al. MNIST CNN: conv32-5x5, pool, conv64-5x5, pool, fc1024"),
    ("fast_mnist_net", fast_mnist_net, (), "Wong et al. 2020 MNIST net: conv16-4x4/2, conv32-4x4/2, fc100"),
    ("small_cnn", small_cnn, (), "tiny 2-conv CNN for quick runs; works from 8x8 inputs"),
    ("basicnet", basicnet, (), "small baseline CNN: 4 conv + fc256 + fc"),
    ("ds_mnist_net", ds_mnist_net, (), "decision-surface paper's MNIST net: 2 conv + 2 fc"),
    ("ds_cifar_convnet", ds_cifar_convnet, (), "decision-surface paper's CIFAR ConvNet: 5 conv + global avg pool"),
    ("vgg11", vgg11, ("vgg11_bn",), "VGG-11 with batch norm, CIFAR head"),
    ("resnet20", resnet20, (), "CIFAR ResNet-20, He et al. 2016"),
    ("resnet32", resnet32, (), "CIFAR ResNet-32, He et al. 2016"),
    ("resnet56", resnet56, (), "CIFAR ResNet-56, He et al. 2016"),
    ("preact_resnet18", preact_resnet18, ("preactresnet18",), "PreAct ResNet-18, CIFAR stem"),
    ("wide_resnet", wide_resnet, ("wrn",), "WideResNet WRN-depth-widen_factor with dropout (default 28-10)"),
    ("wrn_28_10", wrn_28_10, (), "WideResNet-28-10"),
    ("wrn_34_10", wrn_34_10, (), "WideResNet-34-10, Madry/TRADES model"),
    ("wide_resnet18", wide_resnet18, (), "ResNet-18 with a width multiplier"),
    ("wider_resnet18", wider_resnet18, (), "ResNet-18 at width 1.25, stage widths 80-640"),
    ("noisy_resnet20", noisy_resnet20, (), "ResNet-20 with parametric noise injection (Rakin et al. 2018)"),
    ("noisy_basicnet", noisy_basicnet, (), "basicnet with parametric noise injection (Rakin et al. 2018)"),
)

TRANSFORMS = (
    ("noisenet", noisenet, ("pni",), "parametric noise injection on every Conv2d/Linear (Rakin et al. 2018)"),
)
