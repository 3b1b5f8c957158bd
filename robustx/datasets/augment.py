"""Batch augmentation named by ``data.augment``, built once through the augmentation registry.

``data.augment`` is a name (``crop_flip``) or a spec (``{name: crop, padding: 2}``); the factories
live in plugins (built-ins: ``plugins/robustx_training``) and return ``augment(x, generator) -> x``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

from robustx.host.manager import PluginHost, get_host

if TYPE_CHECKING:
    import torch

_built: dict[str, Callable[..., Any]] = {}


def build_augmentation(spec: str | dict[str, Any], host: PluginHost | None = None) -> Callable[..., Any]:
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    return (host or get_host()).registry("augmentation").create(spec.pop("name"), **spec)


def augment_batch(x: "torch.Tensor", augment: Any, generator: "torch.Generator | None") -> "torch.Tensor":
    """Apply ``augment`` (a built callable, a name or a spec); specs are built once and reused."""
    if not callable(augment):
        key = json.dumps(augment, sort_keys=True)
        if key not in _built:
            _built[key] = build_augmentation(augment)
        augment = _built[key]
    return augment(x, generator)
