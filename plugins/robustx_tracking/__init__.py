"""Built-in run-event plugin: class probabilities of a few fixed test images after every epoch.

It writes RUN_DIR/tracking/examples.safetensors (the images) and tracking/probs.jsonl (one line
per epoch; epoch 0 is before training), which ``RunDir.tracked()`` reads back for the
training-dynamics view. ``train.track_examples`` sets how many images (0 turns it off).
It is an ordinary ``robustx_run_event`` plugin: it sees the model in the event payload, like any
third-party logger would.
"""

from __future__ import annotations

from typing import Any

from robustx.host.hookspecs import hookimpl

from .tracker import ExampleTracker

_active: dict[str, ExampleTracker] = {}  # run_dir -> tracker of a run in progress in this process


@hookimpl
def robustx_run_event(event: str, payload: dict[str, Any]) -> None:
    run_dir = payload["run_dir"]
    if event == "run_start":
        _active.pop(run_dir, None)
        tracker = ExampleTracker.start(payload)
        if tracker is not None:
            _active[run_dir] = tracker
    elif event == "epoch_end" and run_dir in _active:
        _active[run_dir].record(payload["model"], payload["epoch"])
    elif event == "evaluation_end":
        _active.pop(run_dir, None)
