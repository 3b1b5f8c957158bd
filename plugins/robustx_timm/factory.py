"""The ``timm:{model_name}`` architecture: any timm model, sized for the dataset.

Torch-free at import (robustx lists plugins without loading torch); timm loads on first build.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from robustx.config.markers import Range
from robustx.host.declare import component

if TYPE_CHECKING:
    from torch import nn

#: at or below this image size, ImageNet stems are swapped for a CIFAR-style one
SMALL_INPUT_MAX = 64


def _import_timm() -> Any:
    from robustx.base.compat.torchvision_ops import ensure_torchvision_importable

    ensure_torchvision_importable()  # before timm imports torchvision (CUDA build next to CPU torch)
    import timm

    return timm


def _check_name(timm: Any, model_name: str) -> None:
    if not timm.is_model(model_name):
        from robustx.base.errors import UnknownNameError, did_you_mean

        raise UnknownNameError(
            f"unknown timm model '{model_name}'{did_you_mean(model_name, timm.list_models())}; "
            "see timm.list_models()"
        )


def _create(timm: Any, model_name: str, size_kwargs: dict[str, Any], **kwargs: Any) -> "nn.Module":
    """Create with ``img_size``/``patch_size`` where the model takes them (ViT-like), else without."""
    try:
        return timm.create_model(model_name, **size_kwargs, **kwargs)
    except TypeError as exc:
        unsupported = [k for k in size_kwargs if f"'{k}'" in str(exc)]
        if not unsupported:
            raise
    if "patch_size" in size_kwargs:
        from robustx.base.errors import ParamError

        raise ParamError(f"timm:{model_name}.patch_size: this model has no patch size (not ViT-like)")
    return timm.create_model(model_name, **kwargs)


@component("timm:{model_name}", kind="architecture",
           description="any timm model by name, e.g. timm:resnet18 (small-input stem for images <= 64px)")
def timm_model(
    *,
    model_name: str,
    num_classes: Annotated[int, Range(ge=1)],
    in_channels: Annotated[int, Range(ge=1)],
    image_size: Annotated[int, Range(ge=1)],
    pretrained: bool = False,
    patch_size: Annotated[int, Range(ge=1)] | None = None,
    adapt_stem: bool = True,
    **timm_kwargs: Any,
) -> "nn.Module":
    """Any timm model by name, with ``in_chans``/``num_classes`` from the dataset.

    ``pretrained=True`` downloads weights (online only). For images up to 64 pixels a
    ResNet-like stem becomes a 3x3 stride-1 conv without max-pool (``adapt_stem=False`` keeps
    it); ViT-like models get ``img_size=image_size`` and, if given, ``patch_size``. Other
    keyword arguments (``drop_rate``, ``drop_path_rate`` ...) go to ``timm.create_model``.
    """
    for reserved in ("in_chans", "num_classes"):
        if reserved in timm_kwargs:
            from robustx.base.errors import ParamError

            raise ParamError(f"timm:{model_name}.{reserved}: is set by robustx from the dataset")
    timm = _import_timm()
    _check_name(timm, model_name)
    size_kwargs: dict[str, Any] = {"img_size": timm_kwargs.pop("img_size", image_size)}
    if patch_size is not None:
        size_kwargs["patch_size"] = patch_size
    model = _create(timm, model_name, size_kwargs, pretrained=pretrained, num_classes=num_classes,
                    in_chans=in_channels, **timm_kwargs)
    if adapt_stem and image_size <= SMALL_INPUT_MAX:
        from .stem import adapt_stem_for_small_inputs

        adapt_stem_for_small_inputs(model)
    return model


def check_model_name(model_name: str) -> None:
    """Called by recipe validation, so `timm:resnt18` fails before any work, not at model creation."""
    _check_name(_import_timm(), model_name)


timm_model.check_name = check_model_name  # type: ignore[attr-defined]
