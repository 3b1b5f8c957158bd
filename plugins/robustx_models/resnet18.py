"""ResNet-18 with a width multiplier (CIFAR stem: 3x3 conv, no max-pool).

``width=1`` is the usual CIFAR ResNet-18 (stage widths 64/128/256/512, 11.2M parameters);
parameters grow with ``width**2``, so ``width=1.25`` (80/160/320/640) gives 17.5M.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class WideResNet18(nn.Module):
    def __init__(self, width: float, num_classes: int, in_channels: int) -> None:
        super().__init__()
        base = max(1, round(64 * width))
        self.conv1 = nn.Conv2d(in_channels, base, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        layers: list[nn.Module] = []
        cin = base
        for stage in range(4):
            cout = base * 2**stage
            for i in range(2):
                layers.append(BasicBlock(cin, cout, 2 if stage > 0 and i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.linear(self.pool(out).flatten(1))


def build_wide_resnet18(width: float, num_classes: int, in_channels: int) -> WideResNet18:
    return WideResNet18(width, num_classes, in_channels)
