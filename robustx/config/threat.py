"""Threat models: what each attack measures, declared once on its factory.

Why: a robust accuracy only means something for one threat model (a norm and a budget, as in
RobustBench and AutoAttack). Taking the per-example minimum over attacks of different norms, or
over an unbounded minimum-norm attack, gives a number that belongs to no threat model. So every
attack factory declares which norm it works in and which parameter is its budget; the evaluator
groups results by (norm, eps) from that declaration, and validation bounds every budget by its
norm and the [0,1] data range from the same declaration (the "8 instead of 8/255" mistake).

Plugins declare with the decorator::

    @threat_model(norm="Linf")                      # fixed norm, budget in ``eps``
    @threat_model(norm_param="norm")                # norm chosen by a parameter (apgd, autoattack)
    @threat_model(norm="L2", eps_param=None, minimum_norm=True)   # C&W-L2, DeepFool

An attack that declares nothing is "unspecified" and stays out of every worst case. As a fallback
the evaluator also reads ``attack.norm`` / ``attack.eps`` on the built attack object.
This module is import-light (no torch).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from robustx.base.errors import ParamError, PluginError, RobustxError, short
from robustx.config.specs import attack_params
from robustx.host.manager import get_host

Norm = Literal["Linf", "L2", "L1"]
NORMS: tuple[str, ...] = ("Linf", "L2", "L1")
ATTRIBUTE = "__robustx_threat__"


@dataclass(frozen=True)
class ThreatSpec:
    """What an attack factory declares about the threat model it measures."""

    norm: Norm | None = None  # a fixed norm, or None when a parameter names it
    norm_param: str | None = None  # e.g. "norm" for apgd / autoattack
    eps_param: str | None = "eps"  # the budget parameter; None for minimum-norm attacks
    minimum_norm: bool = False

    def __post_init__(self) -> None:
        if self.norm is not None and self.norm not in NORMS:
            raise PluginError(f"threat_model: norm must be one of {NORMS}, got {short(self.norm)}")
        if (self.norm is None) == (self.norm_param is None):
            raise PluginError("threat_model: give exactly one of norm=... or norm_param=...")
        if self.minimum_norm and self.eps_param is not None:
            raise PluginError("threat_model: a minimum-norm attack has no budget; pass eps_param=None")
        if not self.minimum_norm and self.eps_param is None:
            raise PluginError("threat_model: a bounded attack needs eps_param (or minimum_norm=True)")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def threat_model(**kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: ``factory.__robustx_threat__ = ThreatSpec(**kw)``; returns the factory unchanged."""
    spec = ThreatSpec(**kw)

    def mark(factory: Callable[..., Any]) -> Callable[..., Any]:
        setattr(factory, ATTRIBUTE, spec)
        return factory

    return mark


def declared_threat(factory: Any) -> ThreatSpec | None:
    """The factory's declaration, or None when it declares nothing (an "unspecified" attack)."""
    spec = getattr(factory, ATTRIBUTE, None)
    return spec if isinstance(spec, ThreatSpec) else None


def _default(factory: Any, name: str | None) -> Any:
    """The default value of parameter ``name`` of ``factory`` (None when absent)."""

    if name is None:
        return None
    try:
        param = inspect.signature(factory).parameters.get(name)
    except (TypeError, ValueError):
        return None
    return None if param is None or param.default is inspect.Parameter.empty else param.default


def resolve_threat(factory: Any, params: dict[str, Any]) -> dict[str, Any] | None:
    """The concrete threat model of ``factory(**params)``: {"norm", "eps"} or {"norm", "minimum_norm": True}.

    Parameters the spec leaves out take the factory's defaults. None: nothing declared.
    """
    spec = declared_threat(factory)
    if spec is None:
        return None
    norm = spec.norm if spec.norm is not None else params.get(spec.norm_param, _default(factory, spec.norm_param))
    if norm not in NORMS:
        return None
    if spec.minimum_norm:
        return {"norm": norm, "minimum_norm": True}
    eps = params.get(spec.eps_param, _default(factory, spec.eps_param))
    if eps is None:
        return None
    return {"norm": norm, "eps": float(eps)}


def budget_bound(norm: str, input_shape: Sequence[int] | None = None) -> float:
    """The largest meaningful budget in ``norm`` for images in [0,1] of ``input_shape`` (C, H, W)."""
    if norm == "Linf":
        return 1.0
    if not input_shape:
        return math.inf
    d = math.prod(int(s) for s in input_shape)
    return math.sqrt(d) if norm == "L2" else float(d)


def check_budget(norm: str, eps: float, where: str, *, input_shape: Sequence[int] | None = None) -> None:
    """Reject budgets no image in [0,1] can need: Linf > 1, L2 > sqrt(d), L1 > d, or negative ones.

    Raises ``ParamError`` with one line that names ``where``; the Linf message suggests ``8/255``,
    since "eps: 8" for "8/255" is the classic mistake.
    """
    if norm not in NORMS:
        raise ParamError(f"{where}: unknown norm {short(norm)}; expected one of {', '.join(NORMS)}")
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or math.isnan(eps):
        raise ParamError(f"{where}: eps must be a number, got {short(eps)}")
    if eps < 0:
        raise ParamError(f"{where}: eps must be >= 0, got {eps}")
    bound = budget_bound(norm, input_shape)
    if eps > bound:
        if norm == "Linf":
            hint = f"; budgets are in [0,1] pixel units: did you mean {eps:g}/255?"
        else:
            hint = f" (sqrt of {math.prod(input_shape)} input values)" if norm == "L2" else ""
            hint += "; budgets are in [0,1] pixel units"
        raise ParamError(f"{where}: {norm} eps {eps:g} exceeds the largest possible perturbation "
                         f"{bound:g} of images in [0,1]{hint}")


def attribute_threat(attack: Any) -> dict[str, Any] | None:
    """The fallback for undeclared factories: ``attack.norm`` / ``attack.eps`` (/ ``attack.minimum_norm``)."""
    norm = getattr(attack, "norm", None)
    if norm not in NORMS:
        return None
    if getattr(attack, "minimum_norm", False):
        return {"norm": norm, "minimum_norm": True}
    eps = getattr(attack, "eps", None)
    return None if eps is None else {"norm": norm, "eps": float(eps)}


def threat_resolver(host: Any = None) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """``threat_of(spec)``: the declared threat model of an attack spec, looked up in ``host``'s registry."""

    def threat_of(spec: dict[str, Any]) -> dict[str, Any] | None:
        try:
            resolved = (host or get_host()).registry("attack").resolve(spec["name"])
        except RobustxError:  # not a registered name (a test's or user's own attack): attributes decide
            return None
        params = attack_params(spec)
        return resolve_threat(resolved.entry.factory, {**resolved.implied, **params})

    return threat_of


def fmt_eps(eps: float) -> str:
    """0.1 -> '0.1'; 8/255 -> '8/255' (budgets are usually written that way)."""
    k = eps * 255
    if eps > 0 and abs(k - round(k)) < 1e-6 and abs(eps - round(eps, 3)) > 1e-9:
        return f"{round(k)}/255"
    return f"{eps:.4g}"
