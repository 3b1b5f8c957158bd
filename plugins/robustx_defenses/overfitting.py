"""Catastrophic-overfitting detection for single-step adversarial training (Wong et al. 2020)."""

from __future__ import annotations

from typing import Any

from robustx.host.manager import warn

ROBUST_KEY = "val_robust_accuracy"
#: Clean-accuracy keys, most specific first (the engine's name may be either).
CLEAN_KEYS = ("val_clean_accuracy", "val_accuracy")
#: Clean accuracy "holds" while it stays above this fraction of its best so far.
CLEAN_HOLD = 0.9


class CatastrophicOverfittingMonitor:
    """Flags the epoch where robust accuracy collapses while clean accuracy does not.

    That signature (robust accuracy falling to a fraction of its best within an epoch,
    clean accuracy steady or rising) is how FGSM training fails: the model becomes robust
    to its own single step only. A drop of both is ordinary divergence and is not flagged.
    """

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        self.best_robust: float | None = None
        self.best_clean: float | None = None
        self.warned = False

    def update(self, epoch: int, metrics: dict[str, Any]) -> bool:
        """Check one epoch's metrics; mark them and warn once if overfitting starts."""
        robust = metrics.get(ROBUST_KEY)
        if robust is None:
            return False
        clean = next((metrics[k] for k in CLEAN_KEYS if metrics.get(k) is not None), None)
        detected = self._collapsed(float(robust), None if clean is None else float(clean))
        if detected:
            metrics["catastrophic_overfitting"] = True
            if not self.warned:
                self.warned = True
                clean_text = "n/a" if clean is None else f"{float(clean):.3f}"
                warn(
                    f"catastrophic overfitting at epoch {epoch}: validation robust accuracy {float(robust):.3f} "
                    f"fell below {self.threshold:g} x its best {self.best_robust:.3f} while clean accuracy held "
                    f"({clean_text}); stop early or lower alpha (Wong et al. 2020)"
                )
        self.best_robust = max(float(robust), self.best_robust or 0.0)
        if clean is not None:
            self.best_clean = max(float(clean), self.best_clean or 0.0)
        return detected

    def _collapsed(self, robust: float, clean: float | None) -> bool:
        if not self.best_robust or robust >= self.threshold * self.best_robust:
            return False
        return clean is None or self.best_clean is None or clean >= CLEAN_HOLD * self.best_clean
