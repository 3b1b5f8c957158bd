"""The best epoch so far (by the monitored validation metric) and early stopping."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from robustx.config.models import EarlyStoppingSettings


@dataclass
class BestEpoch:
    """Which epoch ``model.safetensors`` holds, and how many epochs have passed without improvement."""

    value: float = -1.0
    epoch: int = 0
    stale: int = 0
    metric: str | None = None

    def update(self, metrics: dict[str, Any], epoch: int, early_stopping: "EarlyStoppingSettings | None",
               validated: bool) -> bool:
        """Score ``epoch``; True when it is the new best.

        The metric is early stopping's, else robust validation accuracy, else clean. Without
        validation every epoch beats the last (the best model is the last one).
        """
        es = early_stopping
        key = (es.metric if es else None) or ("val_robust_accuracy" if "val_robust_accuracy" in metrics
                                               else "val_accuracy")
        value = metrics.get(key, -1.0 if validated else float(epoch))
        if value > self.value + (es.min_delta if es else 0.0) or self.epoch == 0:
            self.value, self.epoch, self.stale, self.metric = value, epoch, 0, key
            return True
        self.stale += 1
        return False

    def stop_reason(self, early_stopping: "EarlyStoppingSettings | None") -> str | None:
        if early_stopping and self.stale >= early_stopping.patience:
            return (f"early stopping: {early_stopping.metric or self.metric} did not improve "
                    f"for {early_stopping.patience} epochs")
        return None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "BestEpoch":
        return cls(**{k: data[k] for k in ("value", "epoch", "stale", "metric") if k in data})
