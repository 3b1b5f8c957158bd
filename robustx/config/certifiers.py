"""``evaluate.certify`` validated like attacks: each certifier against its factory's parameters, one-line errors.

robustx.evaluation.certification runs what this accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from robustx.base.errors import ParamError
from robustx.config.components import as_spec, with_defaults
from robustx.host.manager import get_host

if TYPE_CHECKING:
    from robustx.host.manager import PluginHost


def validate_certifier(spec: Any, where: str, host: "PluginHost") -> dict[str, Any]:
    """A certifier component validated against its factory's parameters (like attacks, one line errors)."""
    spec = as_spec(spec, where)
    label = spec.pop("label", None)
    if label is not None and not isinstance(label, str):
        raise ParamError(f"{where}.label: expected a string (the row title in tables), got {label!r}")
    # every default written out: n, alpha and seed belong to the certificate (the run's recipe.yaml shows them)
    full = with_defaults(host, "certifier", spec, where, positional=1)
    return {**full, **({"label": label} if label else {})}


def validate_certifiers(specs: Any, where: str, host: "PluginHost | None") -> list[dict[str, Any]]:
    """A list of certifier specs (a single spec is a list of one), each validated."""
    if specs is None:
        return []
    if host is None:
        host = get_host()
    if not isinstance(specs, (list, tuple)):
        specs = [specs]
    return [validate_certifier(s, f"{where}[{i}]", host) for i, s in enumerate(specs)]
