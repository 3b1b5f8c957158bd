"""AutoAttack is AutoAttack: every constant is the paper's and the reference code's, and robustx's
``autoattack`` leaves the same examples robust as Croce & Hein's own code (``autoattack_reference``)."""

from __future__ import annotations

from typing import Any

import pytest

from robustx.host.manager import get_host

REGISTRY = get_host().registry("attack")
VERSIONS = ("standard", "plus", "rand")


def test_constants_are_the_papers() -> None:
    """Croce & Hein 2020, sec. 4: N_iter = 100 for APGD and FAB, 9 target classes, Square with 5000 queries."""
    from robustx_torchattacks import autoattack_config as c

    assert (c.APGD_STEPS, c.FAB_STEPS, c.N_TARGET_CLASSES, c.SQUARE_QUERIES) == (100, 100, 9, 5000)
    assert [s.name for s in c.VERSIONS["standard"]] == ["apgd-ce", "apgd-t", "fab-t", "square"]
    assert [s.name for s in c.VERSIONS["rand"]] == ["apgd-ce", "apgd-dlr"]
    assert c.PUBLISHED.published and not c.Budget(apgd_steps=10).published


def _reference(version: str, norm: str) -> Any:
    import pyautoattack
    from torch import nn

    return pyautoattack.AutoAttack(nn.Linear(2, 2), norm=norm, eps=0.1, version=version)


def _reference_stage(reference: Any, stage: str) -> Any:
    return {"apgd-ce": reference.apgd, "apgd-dlr": reference.apgd, "apgd-t": reference.apgd_targeted,
            "fab": reference.fab, "fab-t": reference.fab, "square": reference.square}[stage]


@pytest.mark.parametrize("norm", ["Linf", "L2"])
@pytest.mark.parametrize("version", VERSIONS)
def test_constants_are_the_reference_codes(version: str, norm: str) -> None:
    """The reference's ``_set_version`` leaves exactly our stages, iterations, restarts, targets and queries."""
    from robustx_torchattacks import autoattack_config as c

    reference = _reference(version, norm)
    assert reference.attacks_to_run == [s.name for s in c.VERSIONS[version]]
    assert reference.apgd.n_iter == reference.apgd_targeted.n_iter == c.APGD_STEPS
    assert reference.fab.n_iter == c.FAB_STEPS
    assert reference.apgd.thr_decr == reference.apgd_targeted.thr_decr == c.APGD_RHO
    assert (reference.square.n_queries, reference.square.p_init, reference.square.rescale_schedule) == (
        c.SQUARE_QUERIES, c.SQUARE_P_INIT, c.SQUARE_RESC_SCHEDULE)
    for stage in c.VERSIONS[version]:
        ref = _reference_stage(reference, stage.name)
        restarts = 1 if stage.name == "fab-t" else ref.n_restarts  # the reference sets fab-t's restarts to 1 at run time
        assert restarts == stage.restarts, stage
        if stage.name.startswith("apgd"):
            assert ref.eot_iter == stage.eot_iter, stage
        if stage.name in ("apgd-t", "fab-t"):
            assert ref.n_target_classes == c.N_TARGET_CLASSES, stage


@pytest.mark.parametrize("n_classes, targets", [(10, 9), (100, 9), (4, 3)])
@pytest.mark.parametrize("version", VERSIONS)
def test_our_cascade_is_built_with_the_published_constants(version: str, n_classes: int, targets: int) -> None:
    from robustx_torchattacks import autoattack_config as c
    from robustx_torchattacks.autoattack_cascade import AutoAttackCascade
    from torch import nn

    cascade = AutoAttackCascade(nn.Linear(2, n_classes), norm="Linf", eps=0.1, version=version, n_classes=n_classes,
                                budget=c.PUBLISHED)
    for stage, attack in zip(c.VERSIONS[version], cascade.components):
        kind = type(attack).__name__
        assert attack.n_restarts == stage.restarts, stage
        if kind in ("APGD", "APGDT"):
            assert (attack.steps, attack.thr_decr, attack.eot_iter) == (100, 0.75, stage.eot_iter), stage
            assert kind == "APGD" or attack.n_target_classes == targets
            assert kind == "APGDT" or attack.loss == stage.name.removeprefix("apgd-")
        elif kind == "FAB":
            assert attack.steps == 100 and attack.multi_targeted == (stage.name == "fab-t")
            assert attack.n_target_classes == targets
        else:
            assert (kind, attack.n_queries, attack.p_init, attack.rescale_schedule, attack.loss) == (
                "Square", 5000, 0.8, False, "margin")


def _small_mlp():
    """A 64-32-10 MLP on 8x8 digits (cheap forwards: Square's 5000 queries stay affordable)."""
    import torch
    from conftest import _digits
    from torch import nn

    x, y = _digits()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x[:1500]), y[:1500]).backward()
        optimizer.step()
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval(), x[1500:1532], y[1500:1532]


@pytest.mark.slow
@pytest.mark.parametrize("norm, eps", [("Linf", 0.05), ("L2", 0.5)])
def test_autoattack_agrees_with_the_reference_code(norm: str, eps: float) -> None:
    """Same model, same 32 images: the same examples stay robust (within one), stage by stage."""
    model, x, y = _small_mlp()
    robust, stages = {}, {}
    for name in ("autoattack", "autoattack_reference"):
        attack = REGISTRY.create(name, model, norm=norm, eps=eps, seed=0)
        robust[name] = model(attack(x, y)).argmax(1) == y
        stages[name] = attack.row_details()["stages"]
    ours, reference = robust["autoattack"], robust["autoattack_reference"]
    assert 0.1 < float(reference.float().mean()) < 0.95  # a budget where the attacks have work to do
    assert int((ours != reference).sum()) <= 1
    assert [s["attack"] for s in stages["autoattack"]] == [s["attack"] for s in stages["autoattack_reference"]]
    for a, b in zip(stages["autoattack"], stages["autoattack_reference"]):
        assert abs(a["robust_accuracy"] - b["robust_accuracy"]) <= 1 / len(y) + 1e-9, (a, b)


def test_a_reduced_budget_may_not_be_labelled_autoattack() -> None:
    from robustx.base.errors import ParamError
    from robustx.config.components import validate_attack

    host = get_host()
    for name in ("autoattack", "autoattack_reference"):
        assert validate_attack({"name": name, "eps": 0.1, "label": "AutoAttack"}, "a", host)["label"] == "AutoAttack"
    for label in ("AutoAttack", "auto-attack", "AUTO ATTACK"):
        with pytest.raises(ParamError, match=r"a\.label: 'AutoAttack' names the published configuration"):
            validate_attack({"name": "autoattack_fast", "eps": 0.1, "label": label}, "a", host)
    with pytest.raises(ParamError, match="published configuration"):
        validate_attack({"name": "apgd", "eps": 0.1, "label": "AutoAttack"}, "a", host)
    assert validate_attack({"name": "autoattack_fast", "eps": 0.1, "label": "AA-10it"}, "a", host)["label"] == "AA-10it"


def test_results_rows_record_the_budget_and_each_sub_attack(tiny_model, digits_tensors) -> None:
    import robustx

    _, _, x, y = digits_tensors
    results = robustx.evaluate(tiny_model, (x[:24], y[:24]), attacks=[
        "clean", {"name": "autoattack_fast", "eps": 0.15, "steps": 5, "n_queries": 50}])
    row = next(r for r in results["attacks"] if r["name"] == "autoattack_fast")
    assert row["budget"] == "reduced" and row["iterations"] == {"apgd": 5, "fab": 5, "square_queries": 50}
    assert row["stage_examples"] == row["n"] == 24
    names = [s["attack"] for s in row["stages"]]
    assert names == ["clean", "apgd-ce", "apgd-t", "fab-t", "square"]
    accuracies = [s["robust_accuracy"] for s in row["stages"]]
    assert accuracies == sorted(accuracies, reverse=True)  # each stage only removes robust examples
    assert accuracies[-1] == pytest.approx(row["robust_accuracy"])
    from robustx.evaluation.results import markdown

    text = markdown(results, "run")
    assert "autoattack_fast (reduced budget)" in text
    assert "- autoattack_fast (Linf 0.15, REDUCED budget): clean " in text
