"""Standard per-channel mean/std of each dataset's *training* split, in [0, 1] pixel units.

They are constants (not computed at load time) so a model trained on a small ``limit`` of a
dataset normalizes exactly like one trained on all of it, and so they survive in model.json.
The MNIST and digits values are checked against the data itself in tests/unit/test_datasets.py.
"""

from __future__ import annotations

from typing import NamedTuple


class Stats(NamedTuple):
    mean: tuple[float, ...]
    std: tuple[float, ...]


DIGITS = Stats((0.3059,), (0.3764,))
MNIST = Stats((0.1307,), (0.3081,))
FASHION_MNIST = Stats((0.2860,), (0.3530,))
CIFAR10 = Stats((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
CIFAR100 = Stats((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762))
SVHN = Stats((0.4377, 0.4438, 0.4728), (0.1980, 0.2010, 0.1970))
