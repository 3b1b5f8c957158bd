"""Built-in experiment trackers: TensorBoard, MLflow and Weights & Biases, as run-event plugins.

A recipe's ``loggers: [tensorboard, mlflow, wandb]`` (or ``robustx recipe run ... --logger NAME``)
names them; validation checks each is installed (a missing one is a one-line error naming the
extra, ``pip install "robustx[tensorboard]"``). This plugin registers the names (so validation,
``robustx list loggers`` and did-you-mean know them) and drives the trackers from its
``robustx_run_event`` hook: the recipe as parameters at run_start, each metrics.jsonl line at
epoch_end, results.json's numbers and audit at evaluation_end, the run directory as artifacts at
run_end. The tracker libraries are imported only when a run uses them.
"""

from __future__ import annotations

from typing import Any

from robustx.host.declare import declarations, register_declared
from robustx.host.hookspecs import hookimpl

from . import mlflow_tracker, tensorboard_tracker, wandb_tracker
from .base import Tracker

TRACKERS = (tensorboard_tracker, mlflow_tracker, wandb_tracker)  # the modules that declare a logger each
#: name -> factory of the trackers this plugin drives (from their @component declarations)
FACTORIES = {d.name: factory for factory, d in declarations(*TRACKERS, kind="logger")}
_active: dict[str, list[Tracker]] = {}  # run_dir -> trackers of a run in progress in this process


@hookimpl
def robustx_register_loggers(register: Any) -> None:
    register_declared(register, *TRACKERS)


@hookimpl
def robustx_run_event(event: str, payload: dict[str, Any]) -> None:
    run_dir = payload["run_dir"]
    if event == "run_start":
        _close(run_dir)
        settings = payload["recipe"]  # typed (robustx.config.models.RecipeSettings); trackers log plain data
        recipe = settings.to_dict()
        trackers = []
        for spec in settings.loggers:
            factory = FACTORIES.get(spec["name"])
            if factory is None:
                continue  # another plugin's tracker: that plugin drives it
            tracker = factory(run_dir, **{k: v for k, v in spec.items() if k != "name"})
            if _each([tracker], "start", recipe, payload["start_epoch"]):
                trackers.append(tracker)  # one that failed to start is dropped (warned once)
        if trackers:
            _active[run_dir] = trackers
    elif event == "epoch_end":
        _each(_active.get(run_dir, []), "log_epoch", payload["epoch"], payload["metrics"])
    elif event == "evaluation_end":
        _each(_active.get(run_dir, []), "log_results", payload["results"])
    elif event == "run_end":
        _close(run_dir)


def _each(trackers: list[Tracker], method: str, *args: Any) -> bool:
    """Call one method of every tracker; a failing tracker warns and never stops the others (or the run)."""
    from robustx.host.manager import warn

    ok = True
    for tracker in trackers:
        try:
            getattr(tracker, method)(*args)
        except Exception as exc:  # noqa: BLE001 - a tracker (network, disk) must not take the run down
            warn(f"logger '{tracker.name}' failed in {method}: {type(exc).__name__}: {exc}")
            ok = False
    return ok


def _close(run_dir: str) -> None:
    _each(_active.pop(run_dir, []), "finish")
