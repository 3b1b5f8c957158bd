"""A plugin written the way most are: ``import torch`` at module level, catch-all ``robustx`` group.

robustx must not import it for ``robustx --help`` (tests/e2e/test_lazy_plugins.py, bench/bench_startup.py).
"""

import torch

from robustx import hookimpl


def identity(model: torch.nn.Module):
    """Returns its input unchanged (a do-nothing attack)."""
    return lambda x, y: x


@hookimpl
def robustx_register_attacks(register) -> None:
    register("torchplug:identity", identity, description="returns x unchanged")
