"""``RowJob``: what each submitit job runs, and the per-row state file ``robustx study status`` reads.

The row trains in a child process (``robustx study run-row``), not in the job's own process: submitit
handles its preemption signal inside a signal handler and must return at once, while robustx stops
a run only after the batch in flight (robustx.base.preemption). So ``checkpoint`` (submitit's
``Checkpointable`` protocol) forwards SIGTERM to the child, waits for its checkpoint, and returns the
same row to requeue, which continues from that checkpoint. A job that Slurm requeues by itself after
a preemption (its SIGTERM reaches the child directly) continues the same way.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from robustx.runs.cluster.row import row_dir

STATE = ".robustx-job.json"
CHECKPOINT_WAIT_S = 100  # the longest a preempted row may take to finish its batch and checkpoint
POLL_S = 0.5


def write_state(row_dir: Path, **fields: Any) -> None:
    """Merge ``fields`` into the row's job-state file (atomically)."""
    from robustx.base.checkpoint import write_text_atomic  # lazy: loads torch

    row_dir.mkdir(parents=True, exist_ok=True)
    path = row_dir / STATE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    state.update(fields, updated=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    write_text_atomic(path, json.dumps(state, indent=2) + "\n")


def read_state(row_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((row_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class RowJob:
    """One study row as a submitit job (picklable: paths and strings only)."""

    def __init__(self, study_dir: str, row: str, device: str = "auto", overrides: tuple[str, ...] = ()) -> None:
        self.study_dir, self.row, self.device, self.overrides = study_dir, row, device, tuple(overrides)
        self._child: subprocess.Popen | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_child"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._child = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "robustx", "study", "run-row", self.study_dir, self.row, "--device", self.device,
                *[part for item in self.overrides for part in ("--override", item)]]

    def __call__(self) -> dict[str, Any]:
        target = row_dir(Path(self.study_dir), self.row)
        env = dict(os.environ)
        main = True
        try:
            import submitit  # lazy: optional extra (robustx[cluster])

            job = submitit.JobEnvironment()
            main = job.global_rank == 0
            if job.num_tasks > 1:  # one task per GPU: each child joins DDP from submitit's environment
                submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False)
                env = dict(os.environ)  # RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT
            job_id = job.job_id
        except (ImportError, RuntimeError, KeyError):  # run by hand, outside a submitit job
            job_id = None
        if main:
            write_state(target, state="running", job_id=job_id, host=socket.gethostname(), pid=os.getpid(),
                        exit_code=None)
        self._child = subprocess.Popen(self.command(), env=env)
        while (code := self._child.poll()) is None:
            time.sleep(POLL_S)
        if not main:
            return {"row": self.row, "exit_code": code}
        if code == 0:
            write_state(target, state="finished", exit_code=0)
            return {"row": self.row, "exit_code": 0}
        preempted = code in (128 + signal.SIGTERM, 128 + getattr(signal, "SIGUSR1", 10))
        write_state(target, state="interrupted" if preempted else "failed", exit_code=code)
        raise RuntimeError(f"row '{self.row}' {'was preempted' if preempted else 'failed'} (exit code {code}); "
                           f"see its log")

    def checkpoint(self, *args: Any, **kwargs: Any) -> Any:
        """submitit's preemption/timeout hook: let the child checkpoint at its next batch, then requeue the row."""
        import submitit  # lazy: optional extra (robustx[cluster])

        child = self._child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + CHECKPOINT_WAIT_S
            while child.poll() is None and time.monotonic() < deadline:
                time.sleep(POLL_S)

        write_state(row_dir(Path(self.study_dir), self.row), state="requeued")
        return submitit.helpers.DelayedSubmission(RowJob(self.study_dir, self.row, self.device, self.overrides))
