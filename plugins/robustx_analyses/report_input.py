"""What analyses read from a run: the core ``RunDir`` with its model and tensors loaded on a device.

Run directories are read only by ``robustx.runs.rundir.RunDir`` (one reader of one format, owned by
the core). ``ReportInput`` adds what analyses need on top of it: the model and the tracked images
on the analysis device, test images on demand, and the run's plugin host (attacks for robustness
curves come from the host that trained the run, not from a process-wide one). Its fields are
plain data, so a test or a script can also build one by hand (e.g. another model on the same run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustx.base.errors import RobustxError

from .errors import AnalysisError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from robustx.host.manager import PluginHost
    from robustx.host.registry import Registry
    from robustx.runs.rundir import RunDir

EvalData = Callable[[int], "tuple[torch.Tensor, torch.Tensor]"]


@dataclass
class ReportInput:
    """One run, loaded: everything an analysis may need, any part of which may be missing."""

    name: str
    model: "nn.Module | None" = None
    metrics: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)
    tracked_x: "torch.Tensor | None" = None
    tracked_y: "torch.Tensor | None" = None
    tracked_probs: list[dict[str, Any]] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    eval_data: EvalData | None = None
    path: Path | None = None
    host: "PluginHost | None" = None

    def require_model(self, what: str) -> "nn.Module":
        if self.model is None:
            raise AnalysisError(f"{what} needs the model of run '{self.name}', which was not loaded")
        return self.model

    def require_tracked(self, what: str) -> "tuple[torch.Tensor, torch.Tensor]":
        if self.tracked_x is None or self.tracked_y is None:
            raise AnalysisError(f"{what} needs tracking/examples.safetensors in run '{self.name}'")
        return self.tracked_x, self.tracked_y

    def sample(self, n: int, what: str) -> "tuple[torch.Tensor, torch.Tensor]":
        """The first ``n`` test images (the tracked ones when the dataset is not available)."""
        if self.eval_data is not None:
            return self.eval_data(n)
        x, y = self.require_tracked(what)
        return x[:n], y[:n]

    def labels(self, num_classes: int) -> list[str]:
        names = list(self.class_names)
        return names if len(names) == num_classes else [str(k) for k in range(num_classes)]

    def attacks(self, what: str) -> "Registry":
        """The attack registry of the run's plugin host."""
        if self.host is None:
            raise AnalysisError(f"{what} needs attacks, but run '{self.name}' was loaded without a plugin host")
        return self.host.registry("attack")

    def default_eps(self, fallback: float = 8 / 255) -> float:
        """The eps of the first evaluated attack that has one (results.json, then the recipe)."""
        from robustx.config.markers import parse_number

        attacks = list(self.results.get("attacks", []))
        attacks += list((self.recipe.get("evaluate") or {}).get("attacks", []) or [])
        for attack in attacks:
            params = attack.get("params", attack) if isinstance(attack, dict) else {}
            value = parse_number(params.get("eps"), "eps") if isinstance(params, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                return float(value)
        return fallback

    @classmethod
    def from_run(cls, run: "RunDir", device: Any = "cpu", name: str | None = None,
                 load_model: bool = True) -> "ReportInput":
        """Load what analyses use from a core ``RunDir`` (tracking and class names are optional)."""
        x = y = None
        probs: list[dict[str, Any]] = []
        try:
            x, y, epoch_probs = run.tracked()
            probs = [{"epoch": epoch, "probs": p} for epoch, p in enumerate(epoch_probs)]  # line k = epoch k
        except (FileNotFoundError, RobustxError):  # a run without tracking/ files
            pass
        try:
            class_names = list(run.info.class_names)
        except RobustxError:  # no model.json: no class names (and no model), the rest still works
            class_names, load_model = [], False

        def eval_data(n: int) -> "tuple[torch.Tensor, torch.Tensor]":
            test = run.dataset().test
            return test.as_float(slice(0, n)).to(device), test.y[:n].to(device)

        return cls(
            name=name or run.path.name, model=run.model(device=device) if load_model else None,
            metrics=list(run.metrics), results=dict(run.results), recipe=dict(run.recipe),
            tracked_x=None if x is None else x.to(device), tracked_y=None if y is None else y.to(device),
            tracked_probs=probs, class_names=class_names, eval_data=eval_data, path=run.path, host=run.host,
        )


def load_report_input(run_dir: str | Path, device: Any = "cpu", load_model: bool = True,
                      host: "PluginHost | None" = None) -> ReportInput:
    """``ReportInput.from_run`` of ``robustx.runs.rundir.load_run(run_dir, host)`` (one-line error when missing)."""
    from robustx.runs.rundir import load_run

    return ReportInput.from_run(load_run(run_dir, host=host), device=device, load_model=load_model)
