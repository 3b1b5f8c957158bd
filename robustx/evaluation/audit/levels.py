"""How much work an audit does: ``quick`` (at most the time of the evaluation it audits) or ``full``."""

from __future__ import annotations

from dataclasses import dataclass

from robustx.base.errors import ParamError, did_you_mean


@dataclass(frozen=True)
class AuditLevel:
    name: str
    max_examples: int | None  # None: every evaluated example
    restarts: int  # runs of the 2x-steps attack in the convergence check
    square_queries: int
    surrogate_steps: int
    eot_factor: int  # the EOT convergence check compares eot_samples with eot_factor * eot_samples


LEVELS = {
    "quick": AuditLevel("quick", max_examples=200, restarts=2, square_queries=500, surrogate_steps=200,
                        eot_factor=4),
    "full": AuditLevel("full", max_examples=None, restarts=4, square_queries=5000, surrogate_steps=1000,
                       eot_factor=4),
}


def audit_level(name: str, where: str = "audit") -> AuditLevel:
    """The level called ``name``; a one-line error with did-you-mean otherwise."""
    if name not in LEVELS:
        raise ParamError(f"{where}: unknown audit level {name!r}; expected quick or full{did_you_mean(str(name), LEVELS)}")
    return LEVELS[name]
