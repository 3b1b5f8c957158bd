"""``evaluate.mode: cascade`` (robustx.evaluation.cascade): per threat model, each attack runs only on the
examples still correct; every group (worst-case) number equals ``each`` mode's, over every shipped attack."""

from __future__ import annotations

import pytest
import torch
from test_attack_contract import CONTRACT_PARAMS

from robustx.base.seeding import seed_everything
from robustx.config.components import attack_builder
from robustx.config.threat import threat_resolver
from robustx.datasets.batches import DeviceImageSet
from robustx.datasets.bundle import ImageSet
from robustx.evaluation.evaluator import EvalConfig, evaluate_outcomes, results_from
from robustx.host.manager import PluginHost

HOST = PluginHost()
NAMES = [e.name for e in HOST.registry("attack") if "{" not in e.name]
TINY_EPS = {"Linf": 0.03, "L2": 0.15}  # a tiny budget: a random start cannot decide an example's fate
#: cheaper still than the contract test's budgets (the numbers only need to agree between the modes)
CHEAPER = {
    "cw": {"c": 1.0, "steps": 5, "binary_search_steps": 1},
    "art:cw": {"initial_const": 1.0, "max_iter": 3, "binary_search_steps": 1},
    "deepfool": {"steps": 3},
    "art:deepfool": {"max_iter": 3},
    "art:hopskipjump": {"max_iter": 1, "max_eval": 20, "init_eval": 5, "init_size": 5},
    "art:boundary": {"max_iter": 2, "num_trial": 2, "sample_size": 2, "init_size": 5},
    "square": {"n_queries": 30},
    "art:square": {"max_iter": 10},
    "autoattack_fast": {"steps": 3, "n_queries": 30},
}
#: AutoAttack at its published budget has no cheap setting: run at a budget that breaks every example in
#: its first sub-attack (seconds), on fewer examples
PUBLISHED = {"autoattack", "autoattack_reference"}
#: left out, and why (the test must stay fast)
LEFT_OUT = {"autoattack_rand": "its published EOT budget (2 APGD runs x 100 steps x 20 samples) costs ~6 s whatever "
                               "the input; it goes through the same evaluator path as autoattack"}


def spec(name: str) -> dict:
    params = {**CONTRACT_PARAMS.get(name, {}), **CHEAPER.get(name, {})}
    if "eps" in params or name == "autoattack_fast":
        params["eps"] = TINY_EPS["L2" if params.get("norm") == "L2" or name == "pgd_l2" else "Linf"]
    return {"name": name, **params}


def both_modes(model, x, y, specs):
    data = DeviceImageSet(ImageSet(x, y), torch.device("cpu"))
    out = {}
    for mode in ("each", "cascade"):
        seed_everything(0)
        out[mode] = evaluate_outcomes(model, data, [{"name": "clean"}, *specs], attack_builder(HOST),
                                      EvalConfig(batch_size=64, progress=False, mode=mode),
                                      threat_of=threat_resolver(HOST))
    return out["each"], out["cascade"]


def test_every_shipped_attack_is_covered():
    assert set(NAMES) >= PUBLISHED | set(CHEAPER) | set(LEFT_OUT)  # a renamed attack must not drop out silently


@pytest.mark.parametrize("names, n", [([n for n in NAMES if n not in PUBLISHED | set(LEFT_OUT)], 12),
                                      (sorted(PUBLISHED & set(NAMES)), 4)], ids=["attacks", "autoattack"])
def test_cascade_groups_equal_each(tiny_model, digits_tensors, names, n):
    _, _, xt, yt = digits_tensors
    with torch.no_grad():
        right = tiny_model(xt).argmax(1) == yt
    rows = torch.cat([right.nonzero().flatten()[:n - 2], (~right).nonzero().flatten()[:2]])  # 2 misclassified
    specs = [spec(name) for name in names] if n == 12 else \
        [{"name": "fgsm", "eps": 0.1}] + [{"name": name, "eps": 0.5} for name in names]
    each, cascade = both_modes(tiny_model, xt[rows], yt[rows], specs)
    a, b = results_from(each), results_from(cascade)
    assert a["threat_models"] == b["threat_models"]  # every group, numbers and members
    assert a["worst_case_accuracy"] == b["worst_case_accuracy"]
    clean_right = int((each.clean >= 0.5).sum())
    assert clean_right < n  # some examples are misclassified clean: cascade never attacks them
    for row in b["attacks"][1:]:
        assert row["mode"] == "cascade" and 0 <= row["broken"] <= row["attacked"] <= clean_right, row
    for row in a["attacks"][1:]:
        assert row["attacked"] == n and "mode" not in row
    assert sum(r["attacked"] for r in b["attacks"][1:]) < sum(r["attacked"] for r in a["attacks"][1:])
