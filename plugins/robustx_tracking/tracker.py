"""Record the softmax of ``track_examples`` fixed test images, consistently across resumes.

torch is imported only inside the methods: ``robustx plugins`` imports this module and must stay fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES = "examples.safetensors"
PROBS = "probs.jsonl"


class ExampleTracker:
    """Appends ``{"epoch": e, "probs": [[...], ...]}`` to tracking/probs.jsonl."""

    def __init__(self, folder: Path, x: Any, y: Any) -> None:
        self.folder, self.x, self.y = folder, x, y
        self.path = folder / PROBS

    @classmethod
    def start(cls, payload: dict[str, Any]) -> "ExampleTracker | None":
        """Fresh run: save the images and record epoch 0. Resumed run: keep only the lines of epochs the
        checkpoint holds (a kill can leave later or torn ones) and record its epoch if missing."""
        from robustx.base.checkpoint import read, write_atomic  # torch: only when a run starts

        test_set, start = payload["test_set"], payload["start_epoch"]
        count = min(payload["recipe"].train.track_examples, len(test_set))
        if not count:
            return None
        folder = Path(payload["run_dir"]) / "tracking"
        examples = folder / EXAMPLES
        if start > 1 and examples.is_file():
            tensors = read(examples)[0]
            x, y = tensors["x"], tensors["y"]
        else:
            folder.mkdir(exist_ok=True)
            x, y = test_set.as_float(slice(0, count)), test_set.y[:count]
            write_atomic(examples, {"x": x.cpu(), "y": y.cpu()}, {})
        tracker = cls(folder, x.to(payload["device"]), y)
        recorded = tracker.truncate(before=start if start > 1 else 0)
        if start - 1 not in recorded:
            tracker.record(payload["model"], start - 1)
        return tracker

    def truncate(self, before: int) -> set[int]:
        """Drop lines of epochs >= ``before`` and torn lines; return the epochs kept."""
        from robustx.base.checkpoint import write_text_atomic

        kept: dict[int, str] = {}
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    epoch = int(json.loads(line)["epoch"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line torn by a kill mid-write
                if epoch < before:
                    kept[epoch] = line
        write_text_atomic(self.path, "".join(kept[e] + "\n" for e in sorted(kept)))
        return set(kept)

    def record(self, model: Any, epoch: int) -> None:
        import torch

        was_training = model.training
        model.eval()
        with torch.no_grad():
            probs = model(self.x).softmax(1).cpu().tolist()
        model.train(was_training)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"epoch": epoch, "probs": [[round(p, 5) for p in row] for row in probs]}) + "\n")
