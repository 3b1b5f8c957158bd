"""The torch device a run (or ``robustx eval``) uses, from ``--device``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from robustx.base.distributed import local_device
from robustx.base.errors import RobustxError

if TYPE_CHECKING:
    import torch


def resolve_device(name: str) -> "torch.device":
    """``auto`` picks CUDA when present; asking for CUDA without it is a one-line error, not a crash later.

    Under torchrun a plain ``cuda`` (or ``auto``) is this process's GPU, ``cuda:LOCAL_RANK``.
    """
    import torch  # lazy: loads torch


    if name == "auto":
        return local_device(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RobustxError("--device cuda: no CUDA device is available here; use --device cpu or auto")
    if name != "cpu" and not name.startswith("cuda"):
        raise RobustxError(f"--device {name}: expected auto, cpu, cuda or cuda:N")
    return local_device(torch.device(name))
