"""``restarts: N`` on an attack spec: N seeded runs, each example's worst kept (PGD with random restarts)."""

from __future__ import annotations

import pytest

import robustx
from robustx.errors import RobustxError

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
    from robustx.results import table_rows

    _, _, xt, yt = digits_tensors
    res = robustx.evaluate(tiny_model, (xt[:32], yt[:32]), attacks=[{**PGD, "restarts": 2}])
    assert "restarts=2" in table_rows(res)[0][2]
