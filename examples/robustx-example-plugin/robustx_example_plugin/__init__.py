"""Entry point of the example plugin: hook implementations only (no torch import here)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from robustx import hookimpl

from .factories import example_mlp, uniform_noise


@hookimpl
def robustx_register_attacks(register) -> None:
    register("example:uniform_noise", uniform_noise, description="random-sign noise at the Linf budget (baseline)")


@hookimpl
def robustx_register_architectures(register) -> None:
    register("example_mlp", example_mlp, aliases=("example:mlp",), description="two-layer MLP")


@hookimpl
def robustx_register_recipes(register) -> None:
    register("example_noise", str(Path(__file__).with_name("example_noise.yaml")),
             description="digits MLP evaluated with the example noise attack")


@hookimpl
def robustx_run_event(event: str, payload: dict[str, Any]) -> None:
    log = os.environ.get("ROBUSTX_EXAMPLE_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": event, "run_dir": payload.get("run_dir")}) + "\n")
