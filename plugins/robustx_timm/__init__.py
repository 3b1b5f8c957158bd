"""robustx plugin: every timm model as the architecture ``timm:{model_name}``.

Only the torch-free :mod:`.factory` is imported here; timm itself loads when a model is built.
"""

from __future__ import annotations

from robustx.host.hookspecs import hookimpl

from .factory import timm_model


@hookimpl
def robustx_register_architectures(register) -> None:
    register(
        "timm:{model_name}", timm_model,
        description="any timm model by name, e.g. timm:resnet18 (small-input stem for images <= 64px)",
    )
