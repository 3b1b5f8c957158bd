"""Stop at the next batch boundary on SIGTERM / SIGUSR1 (cluster preemption), checkpoint, exit with a known code.

Why: Slurm (and most schedulers) preempt a job with SIGTERM, or with the signal asked by
``--signal=USR1@90``, some seconds before killing it. Python's default SIGTERM kills the process
mid-batch and loses the epoch. While ``stop_on_signals()`` is active, those signals only set a
flag; the training loop and the evaluation look at it after every batch (``requested()``), write
their state at that point and raise ``Preempted``, which the CLI turns into one line naming the
resume command and the exit code below (128 + the signal number, as a shell reports a process
killed by it, so a scheduler that looks at the code sees the signal).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from robustx.base import distributed

# Preempted lives with the other errors (the CLI's error boundary catches it without importing this module)
from robustx.base.errors import Preempted  # noqa: F401  (re-exported)

#: signals that ask a run to stop at the next batch boundary (SIGUSR1: Slurm's ``--signal=USR1@SECONDS``)
STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGUSR1", None)) if s)

_requested: int | None = None  # the signal received (process-wide, as signals are)
_depth = 0  # nested stop_on_signals blocks (a study runs rows, each a run): only the outermost installs
_calls = 0  # stop_agreed calls under torchrun (the same count on every rank)
AGREE_EVERY = 8


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def requested() -> int | None:
    """The stop signal received since ``stop_on_signals`` started (None: keep going)."""
    return _requested


def request(signum: int = signal.SIGTERM) -> None:
    """Ask for a stop as the signal handler does (for in-process callers such as a launcher)."""
    global _requested
    _requested = int(signum)


def _handler(signum: int, _frame: object) -> None:
    request(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM/SIGUSR1 request a stop instead of killing the process.

    A no-op outside the main thread (Python delivers signals there only). The previous handlers
    come back afterwards; a signal that arrived is forgotten once the block is left.
    """
    global _requested, _depth
    if _depth or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    _requested = None
    for s in STOP_SIGNALS:
        signal.signal(s, _handler)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        for s, handler in previous.items():
            signal.signal(s, handler)
        _requested = None


def stop_agreed() -> int | None:
    """``requested()``, agreed over every rank under torchrun (the largest signal any rank got).

    Ranks receive the signal at slightly different moments; they must stop at the same batch, or
    one would wait forever in a collective the others never reach. Reading the agreed flag waits for
    the GPU, so under torchrun the ranks agree every ``AGREE_EVERY`` calls (every rank makes the same
    calls: one per batch and one per epoch end), i.e. they stop within that many batches of the signal.
    """
    global _calls

    if not distributed.active():
        return _requested
    _calls += 1
    if _calls % AGREE_EVERY:
        return None
    import torch  # lazy: loads torch
    import torch.distributed as dist  # lazy: loads torch

    flag = torch.tensor([_requested or 0], dtype=torch.long, device=distributed.collective_device())
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return int(flag) or None
