"""Interval bound propagation (Gowal et al. 2018, "On the Effectiveness of Interval Bound Propagation for
Training Verifiably Robust Models", arXiv:1810.12715).

An Linf ball around x, clipped to the [0,1] input box, is pushed through the network as a box [l, u]:
affine layers (conv, linear, batchnorm in eval) map its centre with W and its radius with |W|; monotone
layers (ReLU, max/avg pooling, normalization inside the model, flatten) map both ends. The last linear
layer is folded into the specification z_y - z_j (Gowal et al., eq. 6-7), which is tighter than
subtracting two logit bounds. An example is certified at eps when that margin's lower bound is > 0 for
every j != y: no input in the ball can change the class, whatever the attack.

Why torch.fx and not a list of children: robustx models nest (NormalizedModel -> net -> features /
classifier) and some use functional calls; tracing gives the real order of operations, and every node
that is not an interval-safe operation is refused by name, so a bound is never silently wrong.
ART's ``PyTorchIBPClassifier`` only takes top-level Conv2d/Linear/ReLU children (no normalization, no
pooling, no flatten module), so it cannot take robustx's models (bench/bench_certify.py measures it).
"""

from __future__ import annotations

import operator
import weakref
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from robustx.base.errors import RobustxError
from robustx.models.nn import Normalize

#: layers mapped end to end (monotone non-decreasing, elementwise or with non-negative weights)
MONOTONE = (nn.ReLU, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Flatten, nn.Identity, Normalize,
            nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Unflatten)
AFFINE = (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d)
SUPPORTED = ("Conv2d, Linear, BatchNorm (eval), ReLU, max/avg pooling, Flatten, Dropout (eval), Normalize, residual "
             "additions and reshapes (docs/certification.md)")
_SHAPE_METHODS = {"view", "reshape", "flatten", "relu", "squeeze", "unsqueeze"}
_SHAPE_FUNCTIONS = {torch.flatten, torch.relu, F.relu, torch.reshape}


class UnsupportedModelError(RobustxError):
    """IBP cannot bound this model: the message names the first layer it cannot take."""


@dataclass
class Box:
    """Elementwise bounds ``lower <= activation <= upper``."""

    lower: torch.Tensor
    upper: torch.Tensor

    def map(self, fn: Any) -> "Box":
        return Box(fn(self.lower), fn(self.upper))


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return isinstance(m, Normalize) or super().is_leaf_module(m, qualname)


#: traced graphs per model and mode: a forward may branch on ``self.training`` (noise only at inference), so a
#: graph traced while training must never bound the model in eval mode
_graphs: "weakref.WeakKeyDictionary[nn.Module, dict[tuple[bool, bool], fx.Graph]]" = weakref.WeakKeyDictionary()


def _graph(model: nn.Module) -> fx.Graph:
    from robustx.evaluation.stochastic import in_training_phase

    mode = (model.training, in_training_phase())
    graphs = _graphs.setdefault(model, {})
    if mode not in graphs:
        try:
            graphs[mode] = _Tracer().trace(model)
        except Exception as exc:  # noqa: BLE001 - any tracing failure is one refusal line
            raise UnsupportedModelError(f"ibp: cannot trace {type(model).__name__} with torch.fx "
                                        f"({type(exc).__name__}: {str(exc).splitlines()[0][:120]})") from None
    return graphs[mode]


def _affine(m: nn.Module, box: Box) -> Box:
    centre, radius = (box.upper + box.lower) / 2, (box.upper - box.lower) / 2
    if isinstance(m, nn.Linear):
        centre, radius = F.linear(centre, m.weight, m.bias), F.linear(radius, m.weight.abs())
    elif isinstance(m, nn.Conv2d):
        if m.padding_mode != "zeros":
            raise UnsupportedModelError(f"ibp: Conv2d with padding_mode={m.padding_mode!r} is not supported")
        args = (m.stride, m.padding, m.dilation, m.groups)
        centre, radius = F.conv2d(centre, m.weight, m.bias, *args), F.conv2d(radius, m.weight.abs(), None, *args)
    else:  # batchnorm with running statistics: y = a * x + b per channel
        shape = (1, -1) + (1,) * (centre.ndim - 2)
        scale = (m.weight if m.affine else torch.ones_like(m.running_var)) / torch.sqrt(m.running_var + m.eps)
        shift = (m.bias if m.affine else torch.zeros_like(m.running_mean)) - m.running_mean * scale
        centre, radius = centre * scale.view(shape) + shift.view(shape), radius * scale.abs().view(shape)
    return Box(centre - radius, centre + radius)


def _module(model: nn.Module, node: fx.Node, box: Box) -> Box:
    m = model.get_submodule(node.target)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and (m.training or m.running_var is None):
        raise UnsupportedModelError(f"ibp: layer '{node.target}' (BatchNorm) in training mode uses batch "
                                    "statistics; certify in eval mode")
    if isinstance(m, AFFINE):
        return _affine(m, box)
    if isinstance(m, nn.Dropout):
        if m.training and m.p > 0:
            raise UnsupportedModelError(f"ibp: layer '{node.target}' (Dropout) is active in training mode")
        return box
    if isinstance(m, MONOTONE):
        return box.map(m)
    raise UnsupportedModelError(f"ibp: unsupported layer '{node.target}' ({type(m).__name__}); "
                                f"IBP bounds {SUPPORTED}")


def _value(arg: Any, env: dict[str, Any]) -> Any:
    return fx.node.map_arg(arg, lambda n: env[n.name])


def _call(node: fx.Node, env: dict[str, Any]) -> Any:
    args, kwargs = _value(node.args, env), _value(node.kwargs, env)
    boxes = [a for a in args if isinstance(a, Box)]
    fn, name = node.target, getattr(node.target, "__name__", str(node.target))
    if node.op == "call_method":
        if node.target == "size" or not boxes:
            first = args[0].lower if isinstance(args[0], Box) else args[0]
            return getattr(first, node.target)(*args[1:], **kwargs)
        if node.target in _SHAPE_METHODS and isinstance(args[0], Box):
            return args[0].map(lambda t: getattr(t, node.target)(*args[1:], **kwargs))
    elif not boxes:  # constants only (shapes, sizes)
        return fn(*args, **kwargs)
    elif fn is getattr and args[1] in ("shape", "dtype", "device", "ndim"):  # x.shape[0] in a reshape
        return getattr(args[0].lower, args[1])
    elif fn is operator.getitem and isinstance(args[0], Box) and not isinstance(args[1], Box):  # slicing
        return args[0].map(lambda t: t[args[1]])
    elif fn is F.pad and isinstance(args[0], Box) and kwargs.get("mode", "constant") == "constant" \
            and len(args) <= 3:  # zero (constant) padding, e.g. ResNet option-A shortcuts
        return args[0].map(lambda t: F.pad(t, *args[1:], **kwargs))
    elif fn is torch.cat and all(isinstance(a, Box) for a in args[0]):
        return Box(torch.cat([a.lower for a in args[0]], *args[1:], **kwargs),
                   torch.cat([a.upper for a in args[0]], *args[1:], **kwargs))
    elif fn in _SHAPE_FUNCTIONS and isinstance(args[0], Box):
        return args[0].map(lambda t: fn(t, *args[1:], **kwargs))
    elif fn in (operator.add, torch.add) and len(args) == 2:  # residual connections, bias constants
        a, b = args
        if isinstance(a, Box) and isinstance(b, Box):
            return Box(a.lower + b.lower, a.upper + b.upper)
        box, other = (a, b) if isinstance(a, Box) else (b, a)
        return Box(box.lower + other, box.upper + other)
    raise UnsupportedModelError(f"ibp: unsupported operation '{node.name}' ({name}); IBP bounds {SUPPORTED}")


def propagate(model: nn.Module, lower: torch.Tensor, upper: torch.Tensor) -> tuple[Box, "Box | None", Any]:
    """Bounds on the logits for inputs in [lower, upper]; also the box entering the last Linear layer and
    that layer (for the elided specification), or None when the output is not a Linear layer's."""
    graph = _graph(model)
    env: dict[str, Any] = {}
    last_input, last_layer = None, None
    for node in graph.nodes:
        if node.op == "placeholder":
            env[node.name] = Box(lower, upper)
        elif node.op == "get_attr":
            env[node.name] = model.get_parameter(node.target) if node.target in dict(model.named_parameters()) \
                else model.get_buffer(node.target)
        elif node.op == "call_module":
            box = env[node.args[0].name]
            if not isinstance(box, Box) or len(node.args) != 1 or node.kwargs:
                raise UnsupportedModelError(f"ibp: layer '{node.target}' takes inputs IBP cannot follow")
            env[node.name] = _module(model, node, box)
            m = model.get_submodule(node.target)
            if isinstance(m, nn.Linear):
                last_input, last_layer = box, (node.name, m)
        elif node.op in ("call_function", "call_method"):
            env[node.name] = _call(node, env)
        elif node.op == "output":
            out = _value(node.args[0], env)
            if not isinstance(out, Box):
                raise UnsupportedModelError("ibp: the model's output is not one logits tensor")
            source = node.args[0]
            elided = isinstance(source, fx.Node) and last_layer is not None and source.name == last_layer[0]
            return out, last_input if elided else None, last_layer[1] if elided else None
    raise UnsupportedModelError("ibp: the traced model has no output")


def input_box(x: torch.Tensor, eps: float | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The Linf ball of radius eps around x, clipped to the [0,1] input box."""
    return (x - eps).clamp(0, 1), (x + eps).clamp(0, 1)


def margin_lower_bound(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float | torch.Tensor) -> torch.Tensor:
    """(B, K): a lower bound on z_y - z_j over the ball, for every class j (+inf at j = y)."""
    lower, upper = input_box(x, eps)
    logits, penultimate, layer = propagate(model, lower, upper)
    classes = logits.lower.shape[1]
    if layer is not None:  # fold the last layer into the specification: c_j = W_y - W_j
        weight = layer.weight[y].unsqueeze(1) - layer.weight.unsqueeze(0)  # (B, K, in)
        bias = (layer.bias[y].unsqueeze(1) - layer.bias.unsqueeze(0)) if layer.bias is not None else 0
        centre = (penultimate.upper + penultimate.lower).flatten(1) / 2
        radius = (penultimate.upper - penultimate.lower).flatten(1) / 2
        bound = torch.einsum("bki,bi->bk", weight, centre) - torch.einsum("bki,bi->bk", weight.abs(), radius) + bias
    else:
        bound = logits.lower.gather(1, y[:, None]) - logits.upper
    own = F.one_hot(y, classes).bool()
    return bound.masked_fill(own, float("inf"))


def certified(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """Per example: True when IBP proves the label y for every input of the clipped Linf ball."""
    with torch.no_grad():
        return margin_lower_bound(model, x, y, eps).amin(1) > 0


def worst_case_logits(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float | torch.Tensor) -> torch.Tensor:
    """Gowal et al.'s z_hat: -margin lower bound for j != y, 0 for y (their training loss' logits)."""
    bound = margin_lower_bound(model, x, y, eps)
    return -bound.masked_fill(torch.isinf(bound), 0.0)
