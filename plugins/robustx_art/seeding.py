"""Make ART's private RNGs follow NumPy's global seed, so seeded runs repeat exactly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


@contextmanager
def random_states_from_global_seed() -> Iterator[None]:
    """While active, ``np.random.RandomState()`` without a seed is seeded from the global NumPy RNG.

    HopSkipJump and BoundaryAttack draw their random starting points from a fresh
    ``np.random.RandomState()`` (seeded by the OS), which ``np.random.seed`` cannot reach.
    An explicit seed passes through unchanged.
    """
    original = np.random.RandomState

    class GlobalSeededRandomState(original):  # type: ignore[misc, valid-type]
        def __init__(self, seed=None):  # noqa: ANN001
            super().__init__(np.random.randint(0, 2**31 - 1) if seed is None else seed)

    np.random.RandomState = GlobalSeededRandomState
    try:
        yield
    finally:
        np.random.RandomState = original
