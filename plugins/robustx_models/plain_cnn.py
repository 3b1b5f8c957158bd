"""Plain convolutional nets: ``mnist_cnn`` (Madry et al. 2018), ``fast_mnist_net`` (Wong et al. 2020), ``small_cnn`` and ``basicnet``.

Each class takes ``image_size`` so its first fully-connected layer matches the input size
(MNIST 28, CIFAR 32, digits 8) without a separate MNIST/CIFAR variant.
"""

from __future__ import annotations

import torch
from torch import nn


class MnistCNN(nn.Module):
    """conv32-5x5, pool, conv64-5x5, pool, fc1024, fc: the MNIST model of Madry et al. (2018)."""

    def __init__(self, num_classes: int, in_channels: int, image_size: int) -> None:
        super().__init__()
        side = image_size // 4
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * side * side, 1024), nn.ReLU(inplace=True), nn.Linear(1024, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class FastMnistNet(nn.Module):
    """conv16-4x4/2, conv32-4x4/2, fc100, fc: the MNIST net of Wong et al. (2020), "Fast is better than free".

    Strided convolutions instead of pooling make it ~7x cheaper per image than ``ds_mnist_net``,
    which is what lets multi-step adversarial training at eps 0.3 fit a CPU budget.
    """

    def __init__(self, num_classes: int, in_channels: int, image_size: int) -> None:
        super().__init__()
        side = image_size // 4
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, 4, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.ReLU(inplace=True),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * side * side, 100), nn.ReLU(inplace=True), nn.Linear(100, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class SmallCNN(nn.Module):
    """~10K parameters: seconds to train on CPU, so quickstarts and tests stay fast (works from 8x8)."""

    def __init__(self, num_classes: int, in_channels: int, image_size: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(4),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class BasicNet(nn.Module):
    """The small baseline CNN: conv32-conv32-pool-conv64-conv64-pool, then fc256 and fc.

    An adaptive 4x4 pool before the classifier keeps the size at ~0.33M parameters for
    every input size (a flat fc on 32x32 would triple it).
    """

    def __init__(self, num_classes: int, in_channels: int, image_size: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(4),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 4 * 4, 256), nn.ReLU(inplace=True), nn.Linear(256, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
