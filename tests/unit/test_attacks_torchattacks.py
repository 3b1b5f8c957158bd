"""The torchattacks plugin: parameter validation, faithfulness to torchattacks, and its guards."""

from __future__ import annotations

import subprocess
import sys

import pytest

from robustx.base.errors import ParamError
from robustx.config.params import validate_params
from robustx.host.manager import PluginHost

REGISTRY = PluginHost().registry("attack")




def check(name: str, params: dict) -> dict:
    return validate_params(REGISTRY.get(name).factory, params, "x", positional=1)


def test_registers_the_bare_names_from_this_plugin() -> None:
    expected = {"fgsm", "pgd", "pgd_l2", "bim", "cw_fixed_c", "fab", "mifgsm", "apgd", "square", "deepfool", "eotpgd",
                "autoattack", "autoattack_rand", "autoattack_fast"}
    assert {e.name for e in REGISTRY if e.plugin == "torchattacks"} == expected
    assert REGISTRY.get("pgd_linf").name == "pgd"


@pytest.mark.parametrize("params, message", [
    ({"eps": -1}, r"x\.eps: must be >= 0"),
    ({"eps": 2}, r"x\.eps: must be <= 1"),
    ({"steps": 0}, r"x\.steps: must be >= 1"),
    ({"alpha": 0}, r"x\.alpha: must be > 0"),
    ({"stpes": 5}, r"x\.stpes: unknown parameter \(did you mean 'steps'\?\)"),
    ({"targeted": "least-likely"}, r"did you mean 'least_likely'"),
    ({"random_start": "yes"}, r"expected true or false"),
])
def test_pgd_rejects_bad_params(params: dict, message: str) -> None:
    with pytest.raises(ParamError, match=message):
        check("pgd", params)


def test_params_accept_fractions_and_choices() -> None:
    assert check("pgd", {"eps": "8/255", "steps": 20}) == {"eps": 8 / 255, "steps": 20}
    assert check("apgd", {"norm": "L2", "loss": "dlr"}) == {"norm": "L2", "loss": "dlr"}
    with pytest.raises(ParamError, match="did you mean 'Linf'"):
        check("autoattack", {"norm": "linf"})


@pytest.mark.parametrize("name", ["apgd", "deepfool", "autoattack", "autoattack_rand"])
def test_attacks_without_targeted_mode_do_not_offer_one(name: str) -> None:
    with pytest.raises(ParamError, match="unknown parameter"):
        check(name, {"targeted": "random"})


def test_pgd_matches_torchattacks_exactly(tiny_model, sample_batch) -> None:
    import torch
    import torchattacks

    x, y = sample_batch
    params = {"eps": 0.1, "alpha": 0.02, "steps": 5, "random_start": True}
    torch.manual_seed(7)
    ours = REGISTRY.create("pgd", tiny_model, **params)(x, y)
    torch.manual_seed(7)
    theirs = torchattacks.PGD(tiny_model, **params)(x, y)
    assert torch.equal(ours, theirs)
    assert not torch.equal(ours, x)


def test_budget_less_attacks_declare_none(tiny_model) -> None:
    for name in ("cw_fixed_c", "deepfool", "fab"):
        attack = REGISTRY.create(name, tiny_model)
        assert (attack.norm, attack.eps) == (None, None)
    apgd = REGISTRY.create("apgd", tiny_model, norm="L2", eps=0.5)
    assert (apgd.norm, apgd.eps) == ("L2", 0.5)


def test_seed_param_repeats_and_leaves_global_rng_alone(tiny_model, sample_batch) -> None:
    import torch

    x, y = sample_batch
    attack = REGISTRY.create("pgd", tiny_model, eps=0.1, alpha=0.02, steps=3, seed=3)
    state = torch.get_rng_state()
    first, second = attack(x, y), attack(x, y)
    assert torch.equal(first, second)
    assert torch.equal(torch.get_rng_state(), state)
    other = REGISTRY.create("pgd", tiny_model, eps=0.1, alpha=0.02, steps=3, seed=4)(x, y)
    assert not torch.equal(first, other)


def test_self_seeding_attacks_follow_the_global_seed_without_resetting_it(tiny_model, sample_batch) -> None:
    """torchattacks' APGD calls torch.manual_seed(0) itself; through robustx it neither repeats the same
    noise whatever the global seed, nor resets the caller's RNG."""
    import torch

    x, y = sample_batch[0][:8], sample_batch[1][:8]
    attack = REGISTRY.create("apgd", tiny_model, eps=0.05, steps=3)
    outputs, draws = [], []
    for seed in (1, 1, 2):
        torch.manual_seed(seed)
        outputs.append(attack(x, y))
        draws.append(torch.rand(3))
    assert torch.equal(outputs[0], outputs[1]) and not torch.equal(outputs[0], outputs[2])
    torch.manual_seed(0)
    assert not torch.equal(draws[0], torch.rand(3)), "the caller's RNG was reset to the attack's seed"
    fixed = REGISTRY.create("apgd", tiny_model, eps=0.05, steps=3, seed=5)
    state = torch.get_rng_state()
    fixed(x, y)
    assert torch.equal(torch.get_rng_state(), state)


def test_model_state_is_restored_even_when_the_attack_fails(sample_batch) -> None:
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.BatchNorm1d(32), nn.Dropout(0.5), nn.Linear(32, 10))
    model.train()
    model[2].eval()  # e.g. frozen batch-norm statistics during fine-tuning
    expected = [m.training for m in model.modules()]
    x, y = sample_batch
    attack = REGISTRY.create("cw_fixed_c", model, steps=3)
    attack(x, y)
    assert [m.training for m in model.modules()] == expected
    assert all(p.grad is None and p.requires_grad for p in model.parameters())
    with pytest.raises(Exception):  # labels out of range: torchattacks fails mid-attack
        attack(x, y + 100)
    assert [m.training for m in model.modules()] == expected
    assert all(p.requires_grad for p in model.parameters())


def test_rejects_inputs_outside_the_unit_range(tiny_model, sample_batch) -> None:
    x, y = sample_batch
    attack = REGISTRY.create("fgsm", tiny_model)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        attack(x * 2 - 0.5, y)


def test_runs_under_no_grad_and_keeps_input_dtype(tiny_model, sample_batch) -> None:
    import torch

    x, y = sample_batch
    with torch.no_grad():
        x_adv = REGISTRY.create("fgsm", tiny_model, eps=0.1)(x, y)
    assert x_adv.dtype == x.dtype and float((x_adv - x).abs().max()) == pytest.approx(0.1, abs=1e-6)


def test_autoattack_reads_the_number_of_classes_from_the_model(sample_batch) -> None:
    """With a 4-class model, the targeted stages (APGD-T, FAB-T) must use 3 target classes, not 9."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 4)).eval()
    x = sample_batch[0][:4]
    y = model(x).argmax(1).detach()
    # the same cascade builder as autoattack, at a budget a unit test can afford
    attack = REGISTRY.create("autoattack_fast", model, eps=1e-4, steps=3, n_queries=20, seed=0)
    x_adv = attack(x, y)  # too small to fool: every stage runs
    assert float((x_adv - x).abs().max()) <= 1e-4 + 1e-6
    targets = {type(c).__name__: c.n_target_classes for c in attack.attack.components if hasattr(c, "n_target_classes")}
    assert targets == {"APGDT": 3, "FAB": 3}
    assert [s["attack"] for s in attack.row_details()["stages"]] == ["clean", "apgd-ce", "apgd-t", "fab-t", "square"]


def test_plugin_import_does_not_load_heavy_libraries() -> None:
    code = ("import sys, robustx_torchattacks; heavy = {'torch', 'torchattacks', 'numpy'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
