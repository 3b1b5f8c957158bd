"""Wide Residual Networks (Zagoruyko & Komodakis, 2016), as used by Madry et al. and TRADES.

Depth ``d`` gives ``(d - 4) / 6`` pre-activation blocks per stage; widths are 16k/32k/64k.
WRN-28-10 has 36.5M parameters, WRN-34-10 46.2M.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class WideBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, dropout: float) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.shortcut: nn.Module | None = (
            nn.Conv2d(cin, cout, 1, stride, bias=False) if stride != 1 or cin != cout else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(x))
        shortcut = self.shortcut(out) if self.shortcut is not None else x
        out = self.conv1(out)
        out = self.conv2(self.dropout(F.relu(self.bn2(out))))
        return out + shortcut


class WideResNet(nn.Module):
    def __init__(self, depth: int, widen_factor: int, dropout: float, num_classes: int, in_channels: int) -> None:
        super().__init__()
        if (depth - 4) % 6 != 0 or depth < 10:
            raise ValueError(f"WideResNet depth must be 6n+4 (16, 22, 28, 34, 40), got {depth}")
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        layers: list[nn.Module] = []
        cin = 16
        for stage, base in enumerate((16, 32, 64)):
            width = base * widen_factor
            for i in range(n):
                layers.append(WideBlock(cin, width, 2 if stage > 0 and i == 0 else 1, dropout))
                cin = width
        self.layers = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(cin)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layers(self.conv1(x))
        out = self.pool(F.relu(self.bn(out))).flatten(1)
        return self.fc(out)


def build_wide_resnet(depth: int, widen_factor: int, dropout: float, num_classes: int, in_channels: int) -> WideResNet:
    return WideResNet(depth, widen_factor, dropout, num_classes, in_channels)
