"""Mixed precision, memory layout and compilation of the training step (``train.precision`` & co).

One ``StepPrecision`` holds what a step needs: the autocast context (entered around the whole
defense loss, so training-time attacks run under the same autocast as training), and the
GradScaler that fp16 needs (bf16 has fp32's exponent range, so it needs none). Everything is
device-agnostic: the device type comes from the data, so ``--device cuda`` takes the same path.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ContextManager, Literal

from robustx.base.errors import ParamError

if TYPE_CHECKING:
    import torch
    from torch import nn

Precision = Literal["fp32", "bf16", "fp16"]
PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "fp16")
#: torch.compile's backend; tests set "eager" so that compiling a tiny model takes no C++ build.
COMPILE_BACKEND = "inductor"


def autocast_dtype(precision: str) -> "torch.dtype | None":
    """The autocast dtype of a precision name (None for fp32); a one-line error for anything else."""
    import torch  # lazy: loads torch

    if precision not in PRECISIONS:
        raise ParamError(f"precision: '{precision}' is not one of {', '.join(PRECISIONS)}")
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def autocast(precision: str, device: "torch.device") -> ContextManager[Any]:
    """``torch.autocast`` for ``precision`` on ``device`` (a no-op context for fp32)."""
    import torch  # lazy: loads torch

    dtype = autocast_dtype(precision)
    if dtype is None:
        return contextlib.nullcontext()
    if not torch.amp.autocast_mode.is_autocast_available(device.type):
        raise ParamError(f"precision: {precision} autocast is not available on device '{device.type}'; use fp32")
    return torch.autocast(device.type, dtype=dtype)


@dataclass
class StepPrecision:
    """Autocast + loss scaling of one training step; ``backward_step`` replaces backward/step."""

    precision: str = "fp32"
    device: "torch.device | None" = None
    channels_last: bool = False
    scaler: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        import torch  # lazy: loads torch

        self.device = self.device or torch.device("cpu")
        autocast(self.precision, self.device)  # validate early: a bad name or device fails before epoch 1
        if self.precision == "fp16":
            self.scaler = torch.amp.GradScaler(self.device.type)

    def autocast(self) -> ContextManager[Any]:
        return autocast(self.precision, self.device)  # type: ignore[arg-type]

    def layout(self, x: "torch.Tensor") -> "torch.Tensor":
        """A batch in the model's memory layout (NHWC for channels_last on 4-D images)."""
        import torch  # lazy: loads torch

        return x.contiguous(memory_format=torch.channels_last) if self.channels_last and x.dim() == 4 else x

    def backward_step(self, loss: "torch.Tensor", optimizer: "torch.optim.Optimizer", model: "nn.Module",
                      grad_clip: float | None) -> None:
        """backward + optional clipping + step; with fp16 the loss is scaled and the step skipped on inf."""
        from torch import nn  # lazy: loads torch

        if self.scaler is None:
            loss.backward()
            if grad_clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            optimizer.step()
            return
        self.scaler.scale(loss).backward()
        if grad_clip is not None:
            self.scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        self.scaler.step(optimizer)
        self.scaler.update()

    def state_dict(self) -> dict[str, Any]:
        return self.scaler.state_dict() if self.scaler is not None else {}

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        if self.scaler is not None and state:
            self.scaler.load_state_dict(state)


def prepare_model(model: "nn.Module", *, channels_last: bool = False, compile: bool = False) -> "nn.Module":
    """Put ``model`` in channels_last in place; return what the training step calls (compiled or not).

    The returned module shares parameters with ``model``; checkpoints and attacks keep using
    ``model`` itself (a compiled wrapper's state dict has ``_orig_mod.`` prefixes).
    """
    import torch  # lazy: loads torch

    if channels_last:
        model.to(memory_format=torch.channels_last)
    return torch.compile(model, backend=COMPILE_BACKEND) if compile else model  # type: ignore[return-value]
