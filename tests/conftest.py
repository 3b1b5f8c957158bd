"""Shared fixtures: a tiny trained model on scikit-learn's 8x8 digits (no files needed)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("ROBUSTX_NO_PROGRESS", "1")
# never the network: datasets download on first use, so a test with missing data must fail, not fetch
# (tests/test_download.py lifts this for its local 127.0.0.1 server)
os.environ.setdefault("ROBUSTX_OFFLINE", "1")


def pytest_configure(config) -> None:
    """One torch thread: the tests' models are tiny, and on 2 shared cores two threads fight (up to 7x slower)."""
    import torch

    torch.set_num_threads(1)


def _digits():
    import numpy as np
    import torch
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.images / 16.0, dtype=torch.float32).unsqueeze(1)  # (N,1,8,8) in [0,1]
    y = torch.tensor(data.target, dtype=torch.long)
    rng = np.random.default_rng(0)
    order = torch.as_tensor(rng.permutation(len(y)))
    return x[order], y[order]


class TinyNet:
    """Factory for a small conv net on 1x8x8 inputs (defined here so tests do not depend on plugins)."""

    @staticmethod
    def build(num_classes: int = 10):
        from torch import nn

        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1, stride=2), nn.ReLU(),
            nn.Flatten(), nn.Linear(16 * 4 * 4, num_classes),
        )


@pytest.fixture(scope="session")
def digits_tensors():
    """(x_train, y_train, x_test, y_test): digits as float tensors in [0,1], shape (N,1,8,8)."""
    x, y = _digits()
    return x[:1500], y[:1500], x[1500:], y[1500:]


def train_tiny_net(x, y, preprocess=lambda x: x):
    """A TinyNet trained for 60 full-batch Adam steps on ``preprocess(x)`` (seeded), in eval mode."""
    import torch

    torch.manual_seed(0)
    model = TinyNet.build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(preprocess(x)), y).backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="session")
def tiny_model(digits_tensors):
    """A TinyNet trained for a second on digits (~95% clean test accuracy), in eval mode."""
    import torch

    x, y, _, _ = digits_tensors
    model = train_tiny_net(x, y)
    for p in model.parameters():
        p.grad = None  # leave no training gradients behind: tests check attacks do not add any
        p.requires_grad_(False)
    return model


@pytest.fixture
def sample_batch(digits_tensors):
    """32 test images and labels."""
    _, _, xt, yt = digits_tensors
    return xt[:32].clone(), yt[:32].clone()
