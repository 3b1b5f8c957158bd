"""Seed every random number generator a run touches (Python, NumPy, torch CPU and CUDA)."""

from __future__ import annotations

import ast
import random
from typing import Any


def seed_everything(seed: int) -> None:
    import numpy as np  # lazy: loads numpy
    import torch  # lazy: loads torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def rng_state() -> dict[str, Any]:
    """All RNG states, as JSON-able values plus tensors (for resumable checkpoints)."""
    import numpy as np  # lazy: loads numpy
    import torch  # lazy: loads torch

    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": repr(random.getstate()),
        "numpy": [np_state[0], np_state[1].tolist(), int(np_state[2]), int(np_state[3]), float(np_state[4])],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    import numpy as np  # lazy: loads numpy
    import torch  # lazy: loads torch

    random.setstate(ast.literal_eval(state["python"]))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
