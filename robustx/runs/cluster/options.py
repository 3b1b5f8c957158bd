"""Launcher settings: ``--launcher``, the Slurm options and a YAML ``--launcher-config``; submitit parameters."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from robustx.base.errors import RecipeError, did_you_mean

LAUNCHERS = ("local", "slurm")
DEFAULT_TIME_MIN = 24 * 60
SIGNAL_DELAY_S = 120  # Slurm sends submitit's signal this long before the time limit: a row checkpoints in time


@dataclass
class LauncherOptions:
    """How rows are submitted. ``sbatch``: extra #SBATCH flags (``{qos: high, constraint: a100}``)."""

    launcher: str = "local"
    partition: str | None = None
    time: int = DEFAULT_TIME_MIN  # minutes per job
    gpus_per_node: int = 0
    nodes: int = 1
    account: str | None = None
    cpus_per_task: int | None = None
    mem_gb: float | None = None
    sbatch: dict[str, Any] = field(default_factory=dict)
    setup: list[str] = field(default_factory=list)  # shell lines before the job (module load ...)
    wait: bool | None = None  # wait for every row (default: local yes, slurm no)

    def waits(self) -> bool:
        return self.launcher == "local" if self.wait is None else self.wait

    def tasks_per_node(self) -> int:
        """One process per GPU (each a DDP rank from submitit's environment); one on CPU."""
        return max(1, self.gpus_per_node)

    def submitit_parameters(self, name: str) -> dict[str, Any]:
        params: dict[str, Any] = {"timeout_min": self.time, "name": name, "tasks_per_node": self.tasks_per_node(),
                                  "nodes": self.nodes}
        if self.gpus_per_node:
            params["gpus_per_node"] = self.gpus_per_node
        if self.cpus_per_task:
            params["cpus_per_task"] = self.cpus_per_task
        if self.mem_gb:
            params["mem_gb"] = self.mem_gb
        if self.launcher == "slurm":
            params["slurm_signal_delay_s"] = SIGNAL_DELAY_S
            if self.partition:
                params["slurm_partition"] = self.partition
            if self.account:
                params["slurm_account"] = self.account
            if self.sbatch:
                params["slurm_additional_parameters"] = dict(self.sbatch)
            if self.setup:
                params["slurm_setup"] = list(self.setup)
        else:
            params.pop("nodes")  # the local executor runs on this machine only
        return params


def load_options(launcher: str, config: str | None, given: dict[str, Any]) -> LauncherOptions:
    """The YAML config's values, then every option given on the command line (``None`` = not given)."""
    if launcher not in LAUNCHERS:
        raise RecipeError(f"--launcher {launcher}: expected one of {', '.join(LAUNCHERS)}"
                          f"{did_you_mean(launcher, LAUNCHERS)}")
    values: dict[str, Any] = {}
    if config:
        import yaml  # lazy: PyYAML costs --help ~30 ms

        path = Path(config).expanduser()
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise RecipeError(f"--launcher-config {config}: {exc.strerror or exc}") from None
        except yaml.YAMLError:
            raise RecipeError(f"--launcher-config {config}: not valid YAML") from None
        if not isinstance(loaded, dict):
            raise RecipeError(f"--launcher-config {config}: expected a mapping like {{partition: gpu, time: 240}}")
        known = {f.name for f in fields(LauncherOptions)} - {"launcher"}
        for key, value in loaded.items():
            key = str(key).replace("-", "_")
            if key not in known:
                raise RecipeError(f"--launcher-config {config}: unknown key '{key}'{did_you_mean(key, known)}; "
                                  f"accepted: {', '.join(sorted(known))}")
            values[key] = value
    values.update({k: v for k, v in given.items() if v is not None})
    options = LauncherOptions(launcher=launcher, **values)
    for name in ("time", "nodes"):
        if not isinstance(getattr(options, name), int) or getattr(options, name) < 1:
            raise RecipeError(f"launcher {name}: expected a whole number >= 1, got {getattr(options, name)!r}")
    if not isinstance(options.sbatch, dict):
        raise RecipeError("launcher sbatch: expected a mapping of #SBATCH flags, e.g. {qos: high}")
    return options


def require_submitit() -> Any:
    try:
        import submitit  # lazy: optional extra (robustx[cluster])
    except ImportError:
        raise RecipeError("--launcher needs submitit: pip install 'robustx[cluster]'") from None
    return submitit
