"""The attack contract, checked for every attack in the registry (built-in and third-party).

``factory(model, **params) -> attack``; ``attack(x, y) -> x_adv`` with x_adv of x's shape, dtype
and device, in [0, 1], inside the ``attack.eps`` ball of ``attack.norm``, repeatable under a
fixed seed, and never raising accuracy. Each attack runs on the 32-image ``sample_batch``
against ``tiny_model``; results are cached per attack so every check stays a separate test.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import pytest

from robustx.errors import ParamError
from robustx.params import validate_params
from robustx.plugins import PluginHost
from robustx.seeding import seed_everything

REGISTRY = PluginHost().registry("attack")
NAMES = [entry.name for entry in REGISTRY if "{" not in entry.name]

#: Cheap budgets for known names; eps ~0.2 so that attacks matter on 8x8 digits. Unknown names get {}.
FAST_PARAMS: dict[str, dict[str, Any]] = {
    "fgsm": {"eps": 0.2},
    "pgd": {"eps": 0.2, "alpha": 0.05, "steps": 10},
    "pgd_l2": {"eps": 1.5, "alpha": 0.3, "steps": 10},
    "bim": {"eps": 0.2, "alpha": 0.05, "steps": 10},
    "mifgsm": {"eps": 0.2, "alpha": 0.05, "steps": 10},
    "eotpgd": {"eps": 0.2, "alpha": 0.05, "steps": 10, "eot_iter": 2},
    "apgd": {"eps": 0.2, "steps": 10},
    "square": {"eps": 0.2, "n_queries": 200},
    "cw": {"c": 1.0, "steps": 10, "binary_search_steps": 3},
    "cw_fixed_c": {"c": 10.0, "steps": 30, "lr": 0.05},
    "deepfool": {"steps": 10},
    "fab": {"steps": 5},
    "cw_linf": {"eps": 0.2, "alpha": 0.05, "steps": 10},
    "autoattack": {"eps": 0.2},
    "autoattack_rand": {"eps": 0.2},
    "art:pgd": {"eps": 0.2, "eps_step": 0.05, "max_iter": 10},
    "art:fgsm": {"eps": 0.2},
    "art:cw": {"initial_const": 1.0, "max_iter": 10, "binary_search_steps": 3},
    "art:square": {"eps": 0.2, "max_iter": 50},
    "art:hopskipjump": {"max_iter": 3, "max_eval": 100, "init_eval": 10, "init_size": 20},
    "art:boundary": {"max_iter": 10, "num_trial": 5, "sample_size": 5, "init_size": 20},
    "art:deepfool": {"max_iter": 20},
}

#: Budgets above too small to promise a success (decision-based attacks hinge on a random starting
#: adversarial among ``init_size`` tries): only "no better than clean" is checked for them.
BEST_EFFORT = {"art:hopskipjump", "art:boundary"}

TOLERANCE = 1e-5
SEED = 1234




@dataclass
class Outcome:
    attack: Any
    x: Any
    y: Any
    first: Any
    second: Any


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    return {}


def run(name: str, model, batch, cache: dict[str, Outcome]) -> Outcome:  # noqa: ANN001
    """Build the attack and run it twice under the same seed (cached per name)."""
    if name not in cache:
        x, y = batch
        x_before = x.clone()
        attack = REGISTRY.create(name, model, **FAST_PARAMS.get(name, {}))
        seed_everything(SEED)
        first = attack(x, y)
        seed_everything(SEED)
        second = attack(x, y)
        assert (x == x_before).all(), f"{name} modified its input in place"
        cache[name] = Outcome(attack, x, y, first, second)
    return cache[name]


def accuracy(model, x, y) -> float:  # noqa: ANN001
    import torch

    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


@pytest.mark.parametrize("name", NAMES)
def test_fast_params_are_valid(name: str) -> None:
    validate_params(REGISTRY.get(name).factory, FAST_PARAMS.get(name, {}), name, positional=1)


@pytest.mark.parametrize("name", NAMES)
def test_declares_norm_and_eps(name: str, tiny_model) -> None:
    attack = REGISTRY.create(name, tiny_model, **FAST_PARAMS.get(name, {}))
    assert attack.norm in ("Linf", "L2", None)
    if attack.norm is None:
        assert attack.eps is None, "a budget without a norm cannot be checked"
    elif attack.eps is not None:
        assert isinstance(attack.eps, float) and attack.eps >= 0


#: Registered attacks that knowingly declare no threat model (they stay out of every worst case).
UNSPECIFIED: set[str] = set()


@pytest.mark.parametrize("name", NAMES)
def test_declares_a_threat_model(name: str, tiny_model) -> None:
    """Every attack declares its threat model (robustx.threat) or is listed in UNSPECIFIED, and the
    declaration agrees with the attack object's own norm/eps (what the eps-ball check uses)."""
    from robustx.threat import declared_threat, resolve_threat

    factory = REGISTRY.get(name).factory
    if name in UNSPECIFIED:
        assert declared_threat(factory) is None
        return
    assert declared_threat(factory) is not None, f"{name}: decorate its factory with @threat_model(...)"
    params = FAST_PARAMS.get(name, {})
    threat = resolve_threat(factory, params)
    assert threat is not None and threat["norm"] in ("Linf", "L2", "L1")
    attack = REGISTRY.create(name, tiny_model, **params)
    if threat.get("minimum_norm"):
        assert attack.eps is None
    else:
        assert (attack.norm, attack.eps) == (threat["norm"], pytest.approx(threat["eps"]))


@pytest.mark.parametrize("name", NAMES)
def test_same_shape_dtype_device(name: str, tiny_model, sample_batch, outcomes) -> None:
    out = run(name, tiny_model, sample_batch, outcomes)
    assert out.first.shape == out.x.shape
    assert out.first.dtype == out.x.dtype
    assert out.first.device == out.x.device
    assert not out.first.requires_grad


@pytest.mark.parametrize("name", NAMES)
def test_stays_in_unit_box(name: str, tiny_model, sample_batch, outcomes) -> None:
    """finish() clamps only rounding and raises on a real excursion, so this sees the library's output."""
    out = run(name, tiny_model, sample_batch, outcomes)
    assert float(out.first.min()) >= 0.0 and float(out.first.max()) <= 1.0


@pytest.mark.parametrize("name", NAMES)
def test_stays_in_eps_ball(name: str, tiny_model, sample_batch, outcomes) -> None:
    out = run(name, tiny_model, sample_batch, outcomes)
    norm, eps = out.attack.norm, out.attack.eps
    if norm is None or eps is None:
        pytest.skip(f"{name} is minimum-norm (no budget)")
    delta = (out.first - out.x).flatten(1)
    size = delta.abs().amax(1) if norm == "Linf" else delta.norm(dim=1)
    assert float(size.max()) <= eps + TOLERANCE


@pytest.mark.parametrize("name", NAMES)
def test_seeded_runs_repeat_exactly(name: str, tiny_model, sample_batch, outcomes) -> None:
    import torch

    out = run(name, tiny_model, sample_batch, outcomes)
    assert torch.equal(out.first, out.second)


@pytest.mark.parametrize("name", NAMES)
def test_accuracy_does_not_rise(name: str, tiny_model, sample_batch, outcomes) -> None:
    out = run(name, tiny_model, sample_batch, outcomes)
    assert accuracy(tiny_model, out.first, out.y) <= accuracy(tiny_model, out.x, out.y)


@pytest.mark.parametrize("name", NAMES)
def test_effective_attacks_lower_accuracy(name: str, tiny_model, sample_batch, outcomes) -> None:
    if name not in FAST_PARAMS:
        pytest.skip(f"no known budget for third-party attack '{name}'")
    if name in BEST_EFFORT:
        pytest.skip(f"{name}: tiny black-box budget, success not promised")
    out = run(name, tiny_model, sample_batch, outcomes)
    assert accuracy(tiny_model, out.first, out.y) < accuracy(tiny_model, out.x, out.y)


@pytest.mark.parametrize("name", NAMES)
def test_restores_model_state(name: str, tiny_model, sample_batch) -> None:
    """A model in train mode stays in train mode (every module), and its parameters stay untouched."""
    x, y = sample_batch
    attack = REGISTRY.create(name, tiny_model, **FAST_PARAMS.get(name, {}))
    params = list(tiny_model.parameters())
    flags = [p.requires_grad for p in params]
    try:
        for p in params:  # so that a stray backward() would leave gradients behind
            p.requires_grad_(True)
        tiny_model.train()
        tiny_model[0].eval()  # a mixed state must survive too
        expected = [m.training for m in tiny_model.modules()]
        seed_everything(SEED)
        attack(x[:4], y[:4])
        assert [m.training for m in tiny_model.modules()] == expected
        assert all(p.requires_grad for p in params)
        assert all(p.grad is None for p in params), "the attack accumulated gradients into the model"
    finally:
        tiny_model.eval()
        for p, flag in zip(params, flags):
            p.grad = None
            p.requires_grad_(flag)


@pytest.mark.parametrize("name", [n for n in NAMES if "targeted" in inspect.signature(REGISTRY.get(n).factory).parameters])
def test_targeted_modes_are_the_shared_ones(name: str) -> None:
    factory = REGISTRY.get(name).factory
    assert inspect.signature(factory).parameters["targeted"].default == "none"
    for mode in ("none", "least_likely", "random"):
        assert validate_params(factory, {"targeted": mode}, name, positional=1) == {"targeted": mode}
    with pytest.raises(ParamError, match="least_likely"):
        validate_params(factory, {"targeted": "least-likely"}, name, positional=1)


@pytest.mark.parametrize("name, params", [
    ("pgd", {"eps": 0.3, "alpha": 0.05, "steps": 20}),
    ("art:pgd", {"eps": 0.3, "eps_step": 0.05, "max_iter": 20}),
])
def test_least_likely_targeted_pgd_reaches_the_target(name: str, params: dict, tiny_model, sample_batch) -> None:
    import torch

    if name not in REGISTRY:
        pytest.skip(f"{name} is not installed")
    x, y = sample_batch
    with torch.no_grad():
        target = tiny_model(x).scatter(1, y.view(-1, 1), float("inf")).argmin(1)
    attack = REGISTRY.create(name, tiny_model, targeted="least_likely", **params)
    seed_everything(SEED)
    with torch.no_grad():
        hits = (tiny_model(attack(x, y)).argmax(1) == target).float().mean()
    assert hits >= 0.6
