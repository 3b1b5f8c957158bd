"""VGG with batch norm (Simonyan & Zisserman, 2015) for small inputs, CIFAR-style 512->classes head.

A max-pool is skipped once the feature map is 1x1, so 28x28 inputs (which would shrink to
zero after five pools) work as well as 32x32.
"""

from __future__ import annotations

import torch
from torch import nn

CONFIGS: dict[str, tuple[int | str, ...]] = {
    "vgg11": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg16": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
}


class VGG(nn.Module):
    def __init__(self, config: tuple[int | str, ...], num_classes: int, in_channels: int, image_size: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin, side = in_channels, image_size
        for item in config:
            if item == "M":
                if side >= 2:
                    layers.append(nn.MaxPool2d(2))
                    side //= 2
                continue
            layers += [nn.Conv2d(cin, int(item), 3, padding=1), nn.BatchNorm2d(int(item)), nn.ReLU(inplace=True)]
            cin = int(item)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))


def build_vgg(name: str, num_classes: int, in_channels: int, image_size: int) -> VGG:
    return VGG(CONFIGS[name], num_classes, in_channels, image_size)
