"""robustx plugin: every timm model as the architecture ``timm:{model_name}``.

Only the torch-free :mod:`.factory` is imported here; timm itself loads when a model is built.
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import hookimpl

from . import factory


@hookimpl
def robustx_register_architectures(register) -> None:
    register_declared(register, factory)
