"""Evaluator options on an attack spec: ``restarts: N`` (N seeded runs, each example's worst kept) and
``eot_samples: K`` (this attack's own EOT on a randomized model; 1 = plain gradients)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import robustx
from robustx.base.errors import RobustxError

PGD = {"name": "pgd", "eps": 0.15, "alpha": 0.05, "steps": 2}


def _accuracy(results: dict, label: str) -> float:
    return next(r["robust_accuracy"] for r in results["attacks"] if r["label"] == label)


def test_restarts_equal_the_per_example_worst_of_the_seeded_runs(tiny_model, digits_tensors) -> None:
    _, _, xt, yt = digits_tensors
    data = (xt[:200], yt[:200])
    singles = [{**PGD, "seed": s, "label": f"seed {s}"} for s in range(4)]
    separate = robustx.evaluate(tiny_model, data, attacks=singles)
    together = robustx.evaluate(tiny_model, data, attacks=[{**PGD, "restarts": 4, "label": "x4"}])
    single_accuracies = [_accuracy(separate, f"seed {s}") for s in range(4)]
    worst_of_singles = separate["threat_models"][0]["robust_accuracy"]
    assert worst_of_singles < max(single_accuracies)  # the seeds differ, so the test can tell restarts apart
    assert _accuracy(together, "x4") == pytest.approx(worst_of_singles)
    row = together["attacks"][0]
    assert row["restarts"] == 4 and row["threat_model"] == "Linf 0.15"


@pytest.mark.parametrize(("spec", "message"), [
    ({**PGD, "restarts": 0}, "restarts: expected a whole number >= 1"),
    ({**PGD, "restarts": "ten"}, "restarts: expected a whole number >= 1"),
    ({"name": "fab", "norm": "L2", "restarts": 3}, "minimum-norm attack"),
    ({"name": "clean", "restarts": 2}, "takes no parameters"),
])
def test_bad_restarts_are_one_line_errors(tiny_model, digits_tensors, spec, message) -> None:  # noqa: ANN001
    _, _, xt, yt = digits_tensors
    with pytest.raises(RobustxError, match=message):
        robustx.evaluate(tiny_model, (xt[:8], yt[:8]), attacks=[spec])


def test_restarts_in_a_recipe_validate_and_show_in_the_table(tiny_model, digits_tensors) -> None:
    from robustx.evaluation.results import table_rows

    _, _, xt, yt = digits_tensors
    res = robustx.evaluate(tiny_model, (xt[:32], yt[:32]), attacks=[{**PGD, "restarts": 2}])
    assert "restarts=2" in table_rows(res)[0][2]


class CountingNoisyNet(nn.Module):
    """Gaussian input noise in front of ``inner`` (so the evaluator detects a randomized model); counts images."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner, self.calls = inner, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += x.shape[0]  # images seen: EOT may batch its noise draws into one forward
        return self.inner(x + 0.05 * torch.randn_like(x))


def test_eot_samples_per_attack_sets_the_gradient_averaging(tiny_model, digits_tensors) -> None:
    _, _, xt, yt = digits_tensors
    noisy = CountingNoisyNet(tiny_model)
    spec = {"name": "pgd", "eps": 0.1, "alpha": 0.05, "steps": 2}
    calls = {}
    for eot in (1, 3):
        before = noisy.calls
        res = robustx.evaluate(noisy, (xt[:16], yt[:16]), eot_samples=5, n_predictions=2,
                               attacks=[{**spec, "eot_samples": eot, "label": f"eot {eot}"}])
        calls[eot] = noisy.calls - before
        assert res["stochastic"] and res["attacks"][0]["eot_samples"] == eot
    # everything else (detection, clean and adversarial scoring) is the same in both runs: the difference
    # is the attack's gradients, 2 steps x 16 images x (3 - 1) extra noise draws
    assert calls[3] - calls[1] == 2 * 16 * 2


def test_eot_samples_is_ignored_on_a_deterministic_model(tiny_model, digits_tensors) -> None:
    _, _, xt, yt = digits_tensors
    res = robustx.evaluate(tiny_model, (xt[:16], yt[:16]), attacks=[{**PGD, "eot_samples": 4}])
    assert not res["stochastic"] and "eot_samples" not in res["attacks"][0]


def test_bad_eot_samples_is_a_one_line_error(tiny_model, digits_tensors) -> None:
    _, _, xt, yt = digits_tensors
    with pytest.raises(RobustxError, match="eot_samples: expected a whole number >= 1"):
        robustx.evaluate(tiny_model, (xt[:8], yt[:8]), attacks=[{**PGD, "eot_samples": 0}])
