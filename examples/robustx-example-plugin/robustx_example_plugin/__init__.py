"""Entry point of the example plugin: hook implementations only (no torch import here)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from robustx import hookimpl, register_declared

from . import factories


@hookimpl
def robustx_register_attacks(register) -> None:
    register_declared(register, factories)  # what factories.py declares with @component(..., kind="attack")


@hookimpl
def robustx_register_architectures(register) -> None:
    register_declared(register, factories)


@hookimpl
def robustx_register_recipes(register) -> None:  # recipes are files, registered with the plain callback
    register("example_noise", str(Path(__file__).with_name("example_noise.yaml")),
             description="digits MLP evaluated with the example noise attack")


@hookimpl
def robustx_run_event(event: str, payload: dict[str, Any]) -> None:
    log = os.environ.get("ROBUSTX_EXAMPLE_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": event, "run_dir": payload.get("run_dir")}) + "\n")
