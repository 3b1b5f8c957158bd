"""``robustx audit RUN_DIR``: audit a finished run and write the verdict into its results files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from robustx.base.device import resolve_device
from robustx.base.errors import CheckpointError
from robustx.base.files import check_writable
from robustx.datasets.bundle import ImageSet
from robustx.evaluation.audit.levels import audit_level
from robustx.host.manager import PluginHost, get_host
from robustx.runs.rundir import load_run


def evaluated_examples(run: Any) -> Any:
    """The test examples the run's evaluation used (same dataset, same limits)."""

    ev, data = run.settings.evaluate, run.settings.data
    test = run.dataset().test
    limits = [n for n in (ev.limit, data.test_limit or data.limit) if n]
    return ImageSet(test.x[:min(limits)], test.y[:min(limits)]) if limits else test


def audit_run(run_dir: str | Path, *, level: str = "quick", device: str = "auto", host: PluginHost | None = None,
              echo: Callable[[str], None] | None = None) -> tuple[dict[str, Any], Path]:
    """Audit the run in ``run_dir``; returns (its updated results, the results.json path)."""
    from robustx.datasets.batches import DeviceImageSet  # lazy: loads torch
    from robustx.evaluation.audit.run import audit_fields  # lazy: loads pydantic
    from robustx.runs.finish import write_results  # lazy: loads torch

    audit_level(level, "--level")
    host = host or get_host()
    run = load_run(run_dir, host)
    if not run.results:
        raise CheckpointError(f"{run.path} has no results.json: evaluate the run before auditing it")
    check_writable(run.path, "robustx audit")  # the verdict goes into results.json: refuse before the attacks
    target_device = resolve_device(device)
    model = run.model(device=str(target_device))
    ev = run.settings.evaluate
    data = DeviceImageSet(evaluated_examples(run), target_device)
    results = {**run.results, **audit_fields(
        model, data, run.results, level, host=host, echo=echo,
        batch_size=ev.batch_size or run.settings.data.batch_size,
        eot_samples=ev.eot_samples, n_predictions=ev.n_predictions)}
    title = f"{run.name}: {run.settings.description}".rstrip(": ")
    write_results(run.path, results, title)
    return results, run.path / "results.json"
