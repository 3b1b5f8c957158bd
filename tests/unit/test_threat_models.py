"""Threat models: declarations, budget bounds, per-threat-model grouping, minimum-norm summaries, rendering."""

from __future__ import annotations

import math

import pytest
import torch

from robustx.base.errors import ParamError, PluginError
from robustx.config.threat import ThreatSpec, check_budget, declared_threat, resolve_threat, threat_model
from robustx.evaluation.results import markdown, terminal_table, threat_lines
from robustx.evaluation.worstcase import AttackOutcome, Outcomes, group_accuracy, summarize

T = torch.tensor


def _row(name: str, norm: str | None = None, eps: float | None = None, minimum: bool = False) -> dict:
    return {"name": name, "label": name, "params": {}, "norm": norm, "eps": eps, "minimum_norm": minimum}


def _outcomes() -> Outcomes:
    """5 examples; the last is misclassified clean (it must count in every group)."""
    clean = T([1.0, 1, 1, 1, 0])
    return Outcomes(T([0, 1, 2, 3, 4]), clean, [
        AttackOutcome(_row("fgsm", "Linf", 0.1), {"name": "fgsm"}, T([1.0, 0, 1, 1, 1])),
        AttackOutcome(_row("pgd", "Linf", 0.1), {"name": "pgd"}, T([0.0, 1, 1, 1, 1])),
        AttackOutcome(_row("pgd_big", "Linf", 0.3), {"name": "pgd_big"}, T([0.0, 0, 0, 1, 1])),
        AttackOutcome(_row("pgd_l2", "L2", 0.5), {"name": "pgd_l2"}, T([1.0, 1, 1, 0, 1])),
        AttackOutcome(_row("cw", "L2", None, True), {"name": "cw"}, T([0.0, 0, 0, 1, 0]),
                      norm=T([0.3, 0.9, 0.2, 0.0, 0.0])),
        AttackOutcome(_row("mystery"), {"name": "mystery"}, T([0.0, 0, 0, 0, 0])),
    ])


def test_groups_take_the_per_example_worst_case_within_one_threat_model() -> None:
    res = summarize(_outcomes())
    groups = {(g["norm"], g["eps"]): g for g in res["threat_models"]}
    assert list(groups) == [("Linf", 0.1), ("Linf", 0.3), ("L2", 0.5)]
    # Linf 0.1: fgsm breaks #1, pgd breaks #0, #4 is wrong clean -> 2/5 (not the per-attack 60% / 60%)
    assert groups[("Linf", 0.1)]["robust_accuracy"] == pytest.approx(0.4)
    assert groups[("Linf", 0.1)]["attacks"] == ["fgsm", "pgd"]
    # Linf 0.3 also takes the smaller-eps attacks: only #3 survives
    assert groups[("Linf", 0.3)]["robust_accuracy"] == pytest.approx(0.2)
    assert groups[("Linf", 0.3)]["attacks"] == ["fgsm", "pgd", "pgd_big"]
    # L2 0.5: pgd_l2 breaks #3; cw broke #0 (0.3) and #2 (0.2) within 0.5 but #1 only at 0.9
    assert groups[("L2", 0.5)]["robust_accuracy"] == pytest.approx(0.2)
    assert groups[("L2", 0.5)]["attacks"] == ["pgd_l2", "cw"]
    # the unspecified attack (0% everywhere) and other norms never enter a group
    assert res["unspecified"] == ["mystery"]
    assert all(g["robust_accuracy"] > 0 for g in res["threat_models"])
    # the headline is the group of the first bounded attack listed (fgsm: Linf 0.1)
    assert res["worst_case_threat_model"] == {"norm": "Linf", "eps": 0.1}
    assert res["worst_case_accuracy"] == pytest.approx(0.4)


def test_minimum_norm_counts_only_within_eps() -> None:
    outcomes = _outcomes()
    assert group_accuracy(outcomes, "L2", 0.25)[0] == pytest.approx(0.6)  # only #2 (0.2) inside
    # at 0.95 cw breaks #0..#2 and pgd_l2 (eps 0.5 <= 0.95) breaks #3
    assert group_accuracy(outcomes, "L2", 0.95) == (pytest.approx(0.0), ["pgd_l2", "cw"])
    assert group_accuracy(outcomes, "L1", 10.0) == (pytest.approx(0.8), [])  # no L1 attack: clean only


def test_minimum_norm_summary_median_success_and_curve() -> None:
    outcomes = _outcomes()
    summarize(outcomes)
    cw = outcomes.attacks[4].row
    # clean-correct examples #0..#3 need 0.3, 0.9, 0.2 and inf (never broken): lower median 0.3
    assert cw["median_norm"] == pytest.approx(0.3)
    assert cw["success_rate"] == pytest.approx(0.75)
    curve = cw["accuracy_vs_eps"]
    assert curve[0] == [0.0, pytest.approx(0.8)] and curve[-1][0] == pytest.approx(0.9)
    assert curve[-1][1] == pytest.approx(0.2)
    assert [a for _, a in curve] == sorted((a for _, a in curve), reverse=True)  # never rises with eps
    assert cw["accuracy_at_eps"] == {"0.5": pytest.approx(0.4)}


def test_median_is_none_when_most_examples_survive() -> None:
    out = Outcomes(T([0, 1, 2]), T([1.0, 1, 1]), [
        AttackOutcome(_row("cw", "L2", None, True), {"name": "cw"}, T([0.0, 1, 1]), norm=T([0.5, 0.0, 0.0]))])
    summarize(out)
    row = out.attacks[0].row
    assert row["median_norm"] is None and row["success_rate"] == pytest.approx(1 / 3)


def _results() -> dict:
    out = _outcomes()
    return {"schema_version": 2, "clean_accuracy": 0.8, **summarize(out), "attacks": [a.row | {
        "robust_accuracy": float(a.correct.mean()), "n": 5, "seconds": 0.0} for a in out.attacks], "n": 5}


def test_tables_show_each_threat_model() -> None:
    res = _results()
    lines = threat_lines(res)
    assert "Linf 0.1: 40.0% (worst of fgsm, pgd)" in lines
    assert "L2 0.5: 20.0% (worst of pgd_l2, cw within eps)" in lines
    assert "Linf 0.3: 20.0% (worst of fgsm@0.1, pgd@0.1, pgd_big)" in lines  # members below the group's eps
    restarts = {**res, "threat_models": [{"norm": "Linf", "eps": 0.3, "robust_accuracy": 0.5, "attacks": ["pgd"] * 3}],
                "attacks": [{"name": "pgd", "norm": "Linf", "eps": 0.3}] * 3}
    assert threat_lines(restarts)[0] == "Linf 0.3: 50.0% (worst of pgd x3)"
    assert any(line.startswith("L2 minimum norm: median 0.3 (cw") for line in lines)
    assert any(line.startswith("unspecified: mystery") for line in lines)
    table = terminal_table(res)
    assert "L2 minimum norm" in table and "Linf 0.3" in table
    assert "## Robust accuracy per threat model" in markdown(res, "t")


def test_schema_1_results_still_render() -> None:
    old = {"clean_accuracy": 0.9, "worst_case_accuracy": 0.5, "n": 4, "stochastic": False, "attacks": [
        {"name": "clean", "params": {}, "robust_accuracy": 0.9, "n": 4, "seconds": 0.0},
        {"name": "pgd", "params": {"eps": 0.1}, "robust_accuracy": 0.6, "n": 4, "seconds": 1.0,
         "norm": "Linf", "eps": 0.1},
        {"name": "cw", "params": {}, "robust_accuracy": 0.5, "n": 4, "seconds": 1.0, "norm": None, "eps": None}]}
    table = terminal_table(old)
    assert "schema 1" in table and "50.0%" in table and "Linf 0.1" in table
    assert "| pgd | Linf 0.1 |" in markdown(old, "old run")


def test_declarations_resolve_from_params_and_defaults() -> None:
    @threat_model(norm_param="norm")
    def attack(model, *, norm: str = "Linf", eps: float = 0.03):  # noqa: ANN001, ANN202
        return None

    assert declared_threat(attack) == ThreatSpec(norm_param="norm")
    assert resolve_threat(attack, {}) == {"norm": "Linf", "eps": 0.03}
    assert resolve_threat(attack, {"norm": "L2", "eps": 0.5}) == {"norm": "L2", "eps": 0.5}
    assert resolve_threat(lambda model: None, {}) is None  # undeclared: unspecified
    with pytest.raises(PluginError, match="exactly one"):
        ThreatSpec(norm="L2", norm_param="norm")
    with pytest.raises(PluginError, match="minimum-norm"):
        ThreatSpec(norm="L2", minimum_norm=True)  # a budget parameter on an unbounded attack


def test_builtin_declarations() -> None:
    from robustx.host.manager import PluginHost

    reg = PluginHost().registry("attack")
    assert resolve_threat(reg.get("autoattack").factory, {"norm": "L2", "eps": 0.5}) == {"norm": "L2", "eps": 0.5}
    assert resolve_threat(reg.get("cw").factory, {}) == {"norm": "L2", "minimum_norm": True}
    assert resolve_threat(reg.get("art:hopskipjump").factory, {"norm": "Linf"}) == {"norm": "Linf",
                                                                                   "minimum_norm": True}
    assert resolve_threat(reg.get("cw_linf").factory, {}) == {"norm": "Linf", "eps": 0.3}


@pytest.mark.parametrize("norm, eps, shape, message", [
    ("Linf", 8.0, None, "did you mean 8/255"),
    ("L2", 29.0, (1, 28, 28), "exceeds the largest possible perturbation 28"),
    ("L1", 785.0, (1, 28, 28), "784"),
    ("Linf", -0.1, None, ">= 0"),
    ("L3", 0.1, None, "unknown norm"),
])
def test_check_budget_rejects_impossible_budgets(norm, eps, shape, message) -> None:  # noqa: ANN001
    with pytest.raises(ParamError, match=message) as info:
        check_budget(norm, eps, "evaluate.attacks[1].eps", input_shape=shape)
    assert str(info.value).startswith("evaluate.attacks[1].eps: ") and "\n" not in str(info.value)


def test_check_budget_accepts_the_largest_meaningful_budgets() -> None:
    check_budget("Linf", 1.0, "x")
    check_budget("L2", math.sqrt(784), "x", input_shape=(1, 28, 28))
    check_budget("L2", 1e6, "x")  # no shape known: L2 is unbounded


def test_evaluator_uses_attribute_fallback_and_leaves_undeclared_attacks_out(tiny_model, digits_tensors) -> None:
    from robustx.datasets.batches import DeviceImageSet
    from robustx.datasets.bundle import ImageSet
    from robustx.evaluation.evaluator import EvalConfig, evaluate_attacks

    def noop(x, y):  # noqa: ANN001, ANN202 - declares nothing
        return torch.zeros_like(x)  # destroys every image: would drag any worst case to ~10%

    class Shift:  # declares through attributes, like the README's uniform_noise example
        norm, eps = "Linf", 0.1

        def __call__(self, x, y):  # noqa: ANN001, ANN204
            return (x + 0.1).clamp(0, 1)

    _, _, xt, yt = digits_tensors
    data = DeviceImageSet(ImageSet(xt[:64], yt[:64]), torch.device("cpu"))
    attacks = {"noop_attack": noop, "shift_attack": Shift()}
    res = evaluate_attacks(tiny_model, data, [{"name": "noop_attack"}, {"name": "shift_attack"}],
                           lambda spec, model: attacks[spec["name"]], EvalConfig(batch_size=32, progress=False))
    rows = {r["name"]: r for r in res["attacks"]}
    assert rows["noop_attack"]["threat_model"] == "unspecified" and res["unspecified"] == ["noop_attack"]
    assert rows["shift_attack"]["threat_model"] == "Linf 0.1"
    assert res["threat_models"] == [{"norm": "Linf", "eps": 0.1, "attacks": ["shift_attack"],
                                     "robust_accuracy": pytest.approx(rows["shift_attack"]["robust_accuracy"])}]
    assert res["worst_case_accuracy"] > rows["noop_attack"]["robust_accuracy"]
