"""The two nets of Yu et al., "Interpreting Adversarial Robustness: A View from Decision
Surface in Input Space" (2018): an MNIST net (two conv + two fully-connected layers) and a
CIFAR ConvNet (five conv layers + global average pooling).

The paper gives the layer types, not every width; the widths here are ours (see
docs/architectures.md), chosen to keep both nets cheap enough for decision-surface plots.
"""

from __future__ import annotations

import torch
from torch import nn


class DSMnistNet(nn.Module):
    """conv32-3x3, pool, conv64-3x3, pool, fc128, fc."""

    def __init__(self, num_classes: int, in_channels: int, image_size: int) -> None:
        super().__init__()
        side = image_size // 4
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * side * side, 128), nn.ReLU(inplace=True), nn.Linear(128, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def _conv_bn_relu(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class DSCifarConvNet(nn.Module):
    """Five conv layers (64, 128, pool, 256, pool, 256, 1x1 to classes) and global average pooling.

    The last conv maps straight to class scores, so the net has no fully-connected layer.
    """

    def __init__(self, num_classes: int, in_channels: int, image_size: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *_conv_bn_relu(in_channels, 64),
            *_conv_bn_relu(64, 128), nn.MaxPool2d(2),
            *_conv_bn_relu(128, 256), nn.MaxPool2d(2),
            *_conv_bn_relu(256, 256),
            nn.Conv2d(256, num_classes, 1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.features(x)).flatten(1)
