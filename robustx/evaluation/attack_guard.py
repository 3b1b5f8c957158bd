"""What every wrapped attack must do around a third-party call, whatever the library.

Attack libraries change model state as a side effect: torchattacks and ART switch the model
to eval mode (and restore it only on success, and only as a whole), CW-style attacks call
``backward()`` and so accumulate gradients into the model's parameters, and APGD/Square
reseed torch's global RNG with a constant. Inside a training loop each of these silently
corrupts the run, so the wrappers run every attack inside :func:`model_guard` (and, where
needed, :func:`isolated_rng`). It lives in the core so every attack plugin can use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn


def check_images(x: torch.Tensor, name: str) -> None:
    """Reject inputs outside [0, 1]: budgets are pixel units, so normalized inputs give wrong numbers."""
    if not torch.is_tensor(x) or not x.is_floating_point():
        raise TypeError(f"attack '{name}': expected a floating-point image tensor, got {type(x).__name__}"
                        f"{'' if not torch.is_tensor(x) else ' of ' + str(x.dtype)}")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(
            f"attack '{name}': inputs must be images in [0, 1] (normalization belongs inside the model), "
            f"got values in [{float(x.min()):.3g}, {float(x.max()):.3g}]"
        )


@contextmanager
def model_guard(model: nn.Module) -> Iterator[None]:
    """Run an attack without leaving traces on ``model``.

    Every module's own train/eval flag is restored exactly (not just the root's), parameters
    do not require gradients during the attack (no ``.grad`` pollution, and faster), and
    gradients are enabled even if the caller runs under ``torch.no_grad()``.
    """
    modules = list(model.modules()) if isinstance(model, nn.Module) else []
    params = list(model.parameters()) if isinstance(model, nn.Module) else []
    modes = [m.training for m in modules]
    needs_grad = [p.requires_grad for p in params]
    try:
        for p in params:
            p.requires_grad_(False)
        with torch.enable_grad():
            yield
    finally:
        for module, mode in zip(modules, modes):
            module.training = mode
        for p, flag in zip(params, needs_grad):
            p.requires_grad_(flag)


@contextmanager
def isolated_rng(seed: int | None = None) -> Iterator[None]:
    """Run with torch's and NumPy's global RNGs forked: whatever happens inside does not leak out.

    With ``seed``, both are seeded first, so the block is reproducible on its own.
    """
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    np_state = np.random.get_state()
    with torch.random.fork_rng(devices=devices):
        try:
            if seed is not None:
                torch.manual_seed(seed)
                np.random.seed(seed % 2**32)
            yield
        finally:
            np.random.set_state(np_state)


def draw_seed() -> int:
    """A seed taken from torch's global RNG, so ``torch.manual_seed`` before a call fixes it."""
    return int(torch.randint(0, 2**31 - 1, (1,)).item())


def num_classes_of(model: nn.Module, x: torch.Tensor) -> int:
    """Number of logits the model produces (libraries that need ``n_classes`` get it from here)."""
    with torch.no_grad():
        return int(model(x[:1]).shape[-1])


#: how far outside [0, 1] an attack's raw output may stray through float rounding alone
BOX_TOLERANCE = 1e-4


def finish(x_adv: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The contract's output: detached, on x's device and dtype, in [0, 1].

    Only float rounding (``BOX_TOLERANCE``) is clamped away: a wrapped library that returns
    pixels clearly outside [0, 1] is a bug to surface, not to hide behind a clamp.
    """
    x_adv = x_adv.detach().to(device=x.device, dtype=x.dtype)
    if x_adv.shape != x.shape:
        raise RuntimeError(f"attack returned shape {tuple(x_adv.shape)} for inputs of shape {tuple(x.shape)}")
    if x_adv.numel() and (float(x_adv.min()) < -BOX_TOLERANCE or float(x_adv.max()) > 1 + BOX_TOLERANCE):
        raise RuntimeError(f"attack returned pixels in [{float(x_adv.min()):.4g}, {float(x_adv.max()):.4g}], "
                           "outside [0, 1]")
    return x_adv.clamp(0.0, 1.0)
