"""Small-input stem adaptation for timm models (CIFAR/MNIST-sized images).

ImageNet stems shrink the input 4x (stride-2 conv + stride-2 max-pool) or more (patchify
convs), which leaves 32x32 images with 8x8 or smaller maps before the first stage. The usual
CIFAR fix, used here: a 3x3 stride-1 first conv (same out channels) and no stem max-pool.
The new conv is freshly initialized, so a pretrained stem is not kept.
"""

from __future__ import annotations

from torch import nn

#: attributes that hold a convnet's stem in timm (ResNet family, EfficientNet/MobileNet, RegNet/ConvNeXt/...)
_STEM_ATTRIBUTES = ("conv1", "conv_stem", "stem")
_POOLS = (nn.MaxPool2d, nn.AvgPool2d)


def _first_conv(module: nn.Module) -> tuple[nn.Module, str, nn.Conv2d] | None:
    """(parent, attribute name, conv) of the first Conv2d inside ``module`` (in definition order)."""
    for parent in module.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.Conv2d):
                return parent, name, child
    return None


def _small_conv(conv: nn.Conv2d) -> nn.Conv2d:
    return nn.Conv2d(conv.in_channels, conv.out_channels, 3, stride=1, padding=1, bias=conv.bias is not None,
                     device=conv.weight.device, dtype=conv.weight.dtype)


def _needs_change(conv: nn.Conv2d) -> bool:
    return tuple(conv.stride) != (1, 1) or tuple(conv.kernel_size) != (3, 3)


def adapt_stem_for_small_inputs(model: nn.Module) -> list[str]:
    """Replace the stem's first conv by a 3x3 stride-1 conv and its pools by Identity, in place.

    Returns the attribute paths changed (empty for models without a known stem, e.g. ViTs).
    """
    changed: list[str] = []
    for attribute in _STEM_ATTRIBUTES:
        stem = getattr(model, attribute, None)
        if not isinstance(stem, nn.Module):
            continue
        if isinstance(stem, nn.Conv2d):
            if _needs_change(stem):
                setattr(model, attribute, _small_conv(stem))
                changed.append(attribute)
        else:
            found = _first_conv(stem)
            if found is not None and _needs_change(found[2]):
                parent, name, conv = found
                setattr(parent, name, _small_conv(conv))
                changed.append(f"{attribute}.{name}")
            for name, module in list(stem.named_modules()):
                if name and isinstance(module, _POOLS):
                    parent = stem.get_submodule(name.rpartition(".")[0]) if "." in name else stem
                    setattr(parent, name.rpartition(".")[2], nn.Identity())
                    changed.append(f"{attribute}.{name}")
        break  # one stem per model: conv1 (ResNet) wins over a later match
    maxpool = getattr(model, "maxpool", None)
    if isinstance(maxpool, nn.Module) and not isinstance(maxpool, nn.Identity):
        model.maxpool = nn.Identity()
        changed.append("maxpool")
    return changed
