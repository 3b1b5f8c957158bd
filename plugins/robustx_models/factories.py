"""The registered architecture and transform factories: thin, torch-free, validated by robustx.

Every factory imports its model family lazily, so ``robustx list architectures`` never loads
torch. Architecture contract: ``factory(*, num_classes, in_channels, image_size, **params)``
returns an ``nn.Module`` mapping [0,1] images to logits (robustx adds normalization).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from robustx.config.markers import Range
from robustx.host.declare import component

if TYPE_CHECKING:
    from torch import nn

Count = Annotated[int, Range(ge=1)]
NoiseSite = Literal["weights", "activations", "both"]
Alpha = Annotated[float, Range(ge=0)]


# -- plain CNNs ------------------------------------------------------------------------------
@component("mnist_cnn", kind="architecture",
           description="Madry et al. MNIST CNN: conv32-5x5, pool, conv64-5x5, pool, fc1024")
def mnist_cnn(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .plain_cnn import MnistCNN

    return MnistCNN(num_classes, in_channels, image_size)


@component("fast_mnist_net", kind="architecture",
           description="Wong et al. 2020 MNIST net: conv16-4x4/2, conv32-4x4/2, fc100")
def fast_mnist_net(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .plain_cnn import FastMnistNet

    return FastMnistNet(num_classes, in_channels, image_size)


@component("small_cnn", kind="architecture", description="tiny 2-conv CNN for quick runs; works from 8x8 inputs")
def small_cnn(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .plain_cnn import SmallCNN

    return SmallCNN(num_classes, in_channels, image_size)


@component("basicnet", kind="architecture", description="small baseline CNN: 4 conv + fc256 + fc")
def basicnet(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .plain_cnn import BasicNet

    return BasicNet(num_classes, in_channels, image_size)


@component("ds_mnist_net", kind="architecture", description="decision-surface paper's MNIST net: 2 conv + 2 fc")
def ds_mnist_net(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .decision_surface import DSMnistNet

    return DSMnistNet(num_classes, in_channels, image_size)


@component("ds_cifar_convnet", kind="architecture",
           description="decision-surface paper's CIFAR ConvNet: 5 conv + global avg pool")
def ds_cifar_convnet(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .decision_surface import DSCifarConvNet

    return DSCifarConvNet(num_classes, in_channels, image_size)


@component("vgg11", kind="architecture", aliases=("vgg11_bn",), description="VGG-11 with batch norm, CIFAR head")
def vgg11(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .vgg import build_vgg

    return build_vgg("vgg11", num_classes, in_channels, image_size)


# -- residual nets ---------------------------------------------------------------------------
def _cifar_resnet(depth: int, num_classes: int, in_channels: int) -> "nn.Module":
    from .cifar_resnet import build_cifar_resnet

    return build_cifar_resnet(depth, num_classes, in_channels)


@component("resnet20", kind="architecture", description="CIFAR ResNet-20, He et al. 2016")
def resnet20(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    return _cifar_resnet(20, num_classes, in_channels)


@component("resnet32", kind="architecture", description="CIFAR ResNet-32, He et al. 2016")
def resnet32(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    return _cifar_resnet(32, num_classes, in_channels)


@component("resnet56", kind="architecture", description="CIFAR ResNet-56, He et al. 2016")
def resnet56(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    return _cifar_resnet(56, num_classes, in_channels)


@component("preact_resnet18", kind="architecture", aliases=("preactresnet18",),
           description="PreAct ResNet-18, CIFAR stem")
def preact_resnet18(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    from .preact_resnet import build_preact_resnet18

    return build_preact_resnet18(num_classes, in_channels)


@component("wide_resnet", kind="architecture", aliases=("wrn",),
           description="WideResNet WRN-depth-widen_factor with dropout (default 28-10)",
           smoke={"depth": 16, "widen_factor": 2, "dropout": 0.3})
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


@component("wrn_28_10", kind="architecture", description="WideResNet-28-10")
def wrn_28_10(
    *, num_classes: Count, in_channels: Count, image_size: Count, dropout: Annotated[float, Range(ge=0, lt=1)] = 0.0
) -> "nn.Module":
    return wide_resnet(num_classes=num_classes, in_channels=in_channels, image_size=image_size,
                       depth=28, widen_factor=10, dropout=dropout)


@component("wrn_34_10", kind="architecture", description="WideResNet-34-10, Madry/TRADES model")
def wrn_34_10(
    *, num_classes: Count, in_channels: Count, image_size: Count, dropout: Annotated[float, Range(ge=0, lt=1)] = 0.0
) -> "nn.Module":
    return wide_resnet(num_classes=num_classes, in_channels=in_channels, image_size=image_size,
                       depth=34, widen_factor=10, dropout=dropout)


@component("wide_resnet18", kind="architecture", description="ResNet-18 with a width multiplier")
def wide_resnet18(
    *, num_classes: Count, in_channels: Count, image_size: Count, width: Annotated[float, Range(gt=0)] = 1.0
) -> "nn.Module":
    """ResNet-18 whose stage widths are ``64*width`` ... ``512*width`` (params grow with width**2)."""
    from .resnet18 import build_wide_resnet18

    return build_wide_resnet18(width, num_classes, in_channels)


#: stage widths 80/160/320/640: the ~17M-parameter variant
WIDER_RESNET18_WIDTH = 1.25


@component("wider_resnet18", kind="architecture", description="ResNet-18 at width 1.25, stage widths 80-640")
def wider_resnet18(*, num_classes: Count, in_channels: Count, image_size: Count) -> "nn.Module":
    return wide_resnet18(num_classes=num_classes, in_channels=in_channels, image_size=image_size,
                         width=WIDER_RESNET18_WIDTH)


# -- NoiseNet (parametric noise injection) ---------------------------------------------------
@component("noisenet", kind="transform", aliases=("pni",),
           description="parametric noise injection on every Conv2d/Linear (Rakin et al. 2018)")
def noisenet(model: "nn.Module", *, on: NoiseSite = "weights", alpha_init: Alpha = 0.25) -> "nn.Module":
    """Transform: make every Conv2d/Linear of ``model`` a PNI layer (in place); noise stays on at test time."""
    from .noise import add_parametric_noise

    return add_parametric_noise(model, on=on, alpha_init=alpha_init)


@component("noisy_resnet20", kind="architecture",
           description="ResNet-20 with parametric noise injection (Rakin et al. 2018)")
def noisy_resnet20(
    *, num_classes: Count, in_channels: Count, image_size: Count, on: NoiseSite = "weights", alpha_init: Alpha = 0.25
) -> "nn.Module":
    return noisenet(resnet20(num_classes=num_classes, in_channels=in_channels, image_size=image_size),
                    on=on, alpha_init=alpha_init)


@component("noisy_basicnet", kind="architecture",
           description="basicnet with parametric noise injection (Rakin et al. 2018)")
def noisy_basicnet(
    *, num_classes: Count, in_channels: Count, image_size: Count, on: NoiseSite = "weights", alpha_init: Alpha = 0.25
) -> "nn.Module":
    return noisenet(basicnet(num_classes=num_classes, in_channels=in_channels, image_size=image_size),
                    on=on, alpha_init=alpha_init)
