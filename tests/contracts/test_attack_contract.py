"""The attack contract, checked for every attack in the registry (built-in and third-party).

``factory(model, **params) -> attack``; ``attack(x, y) -> x_adv`` with x_adv of x's shape, dtype
and device, in [0, 1], inside the ``attack.eps`` ball of ``attack.norm``, repeatable under a
fixed seed, never raising accuracy, and lowering it on a model that PGD breaks (so an attack that
returns its input fails). Each attack runs on the 32-image ``sample_batch`` against ``tiny_model``
with the ``smoke`` parameters declared next to its factory (``@component(..., smoke={...})``, or
``register(..., smoke={...})``), or a budget derived from its threat model; results are cached per
attack so every check stays a separate test.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import pytest

from robustx.base.errors import ParamError
from robustx.base.seeding import seed_everything
from robustx.config.params import validate_params
from robustx.config.threat import threat_model
from robustx.host.declare import component, register_declared
from robustx.host.hookspecs import hookimpl
from robustx.host.manager import PluginHost

REGISTRY = PluginHost().registry("attack")
NAMES = [entry.name for entry in REGISTRY if "{" not in entry.name]

#: Budgets for attacks registered without ``smoke`` parameters, from their ``@threat_model`` norm:
#: large enough that any real attack of that norm breaks the 8x8-digits model.
DERIVED_BUDGET = {"Linf": 0.3, "L2": 3.0, "L1": 20.0}


def smoke_params(entry: Any) -> dict[str, Any]:
    """The attack's declared ``smoke`` parameters (on its factory), else a budget from its threat model."""
    from robustx.config.threat import _default, declared_threat

    if entry.smoke is not None:
        return dict(entry.smoke)
    spec = declared_threat(entry.factory)
    if spec is None or spec.minimum_norm:
        return {}
    norm = spec.norm or _default(entry.factory, spec.norm_param)
    return {spec.eps_param: DERIVED_BUDGET[norm]} if norm in DERIVED_BUDGET else {}


#: every attack's contract parameters, read from the registry (tests/contracts/test_cascade.py starts from them too)
CONTRACT_PARAMS: dict[str, dict[str, Any]] = {name: smoke_params(REGISTRY.get(name)) for name in NAMES}

#: The least accuracy (absolute) an attack must take from the tiny model at its contract parameters.
#: An attack that returns its input (or noise that changes no prediction) cannot reach it.
MIN_DROP = 0.25
#: Decision-based attacks with a tiny query budget (they hinge on a random starting adversarial among
#: ``init_size`` tries): they must break at least one example, not a quarter of them.
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


def contract_params(name: str, registry: Any = REGISTRY) -> dict[str, Any]:
    return dict(CONTRACT_PARAMS[name]) if registry is REGISTRY else smoke_params(registry.get(name))


def run(name: str, model, batch, cache: dict[str, Outcome], registry: Any = REGISTRY) -> Outcome:  # noqa: ANN001
    """Build the attack and run it twice under the same seed (cached per name)."""
    if name not in cache:
        x, y = batch
        x_before = x.clone()
        attack = registry.create(name, model, **contract_params(name, registry))
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
def test_smoke_params_are_valid(name: str) -> None:
    """The contract parameters pass robustx's one validation path (the recipe's, budgets included)."""
    from robustx.config.components import check_spec

    check_spec("attack", {"name": name, **CONTRACT_PARAMS[name]}, f"smoke parameters of {name}")


@pytest.mark.parametrize("name", NAMES)
def test_declares_norm_and_eps(name: str, tiny_model) -> None:
    attack = REGISTRY.create(name, tiny_model, **CONTRACT_PARAMS[name])
    assert attack.norm in ("Linf", "L2", None)
    if attack.norm is None:
        assert attack.eps is None, "a budget without a norm cannot be checked"
    elif attack.eps is not None:
        assert isinstance(attack.eps, float) and attack.eps >= 0


#: Registered attacks that knowingly declare no threat model (they stay out of every worst case).
UNSPECIFIED: set[str] = set()


@pytest.mark.parametrize("name", NAMES)
def test_declares_a_threat_model(name: str, tiny_model) -> None:
    """Every attack declares its threat model (robustx.config.threat) or is listed in UNSPECIFIED, and the
    declaration agrees with the attack object's own norm/eps (what the eps-ball check uses)."""
    from robustx.config.threat import declared_threat, resolve_threat

    factory = REGISTRY.get(name).factory
    if name in UNSPECIFIED:
        assert declared_threat(factory) is None
        return
    assert declared_threat(factory) is not None, f"{name}: decorate its factory with @threat_model(...)"
    params = CONTRACT_PARAMS[name]
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


def check_lowers_accuracy(name: str, model, batch, cache: dict[str, Outcome], registry: Any = REGISTRY) -> None:  # noqa: ANN001
    """The contract: at its smoke parameters the attack takes at least MIN_DROP accuracy from a model
    that PGD breaks (BEST_EFFORT attacks: at least one example). Fails a do-nothing attack."""
    out = run(name, model, batch, cache, registry)
    clean, attacked = accuracy(model, out.x, out.y), accuracy(model, out.first, out.y)
    needed = 1 / len(out.y) if name in BEST_EFFORT else MIN_DROP
    assert clean - attacked >= needed - 1e-9, (
        f"{name} lowers accuracy from {clean:.3f} to {attacked:.3f} at {contract_params(name, registry)}; an attack "
        f"must take at least {needed:.3f} from a model that PGD breaks (declare smoke parameters that do: "
        "@component(..., smoke={...}))")


def test_pgd_breaks_the_contract_model(tiny_model, sample_batch, outcomes) -> None:
    """The premise of check_lowers_accuracy: the tiny model is not robust, so every real attack works."""
    out = run("pgd", tiny_model, sample_batch, outcomes)
    assert accuracy(tiny_model, out.x, out.y) >= 0.9 and accuracy(tiny_model, out.first, out.y) <= 0.1


@pytest.mark.parametrize("name", NAMES)
def test_lowers_accuracy_on_a_model_pgd_breaks(name: str, tiny_model, sample_batch, outcomes) -> None:
    check_lowers_accuracy(name, tiny_model, sample_batch, outcomes)


class _IdentityAttack:
    """Returns its input: it satisfies every other check of this file (shape, box, ball, seed, model state)."""

    norm, eps = "Linf", 0.3

    def __call__(self, x, y):  # noqa: ANN001, ANN204
        return x.clone()


@component("identity", kind="attack", smoke={"eps": 0.3})
@threat_model(norm="Linf")
def identity(model, *, eps: float = 0.3):  # noqa: ANN001, ANN201
    """Returns its input (a do-nothing attack)."""
    return _IdentityAttack()


class _DeclaredIdentityPlugin:
    """A third-party plugin in the declared style: ``register_declared`` picks up ``@component`` factories."""

    @hookimpl
    def robustx_register_attacks(self, register) -> None:  # noqa: ANN001
        register_declared(register, identity)


class _InlineIdentityPlugin:
    """The same attack through the plain ``register(...)`` callback, with no smoke parameters."""

    @hookimpl
    def robustx_register_attacks(self, register) -> None:  # noqa: ANN001
        register("identity", threat_model(norm="Linf")(lambda model, *, eps=0.3: _IdentityAttack()),
                 description="returns its input")


@pytest.mark.parametrize("plugin", [_DeclaredIdentityPlugin, _InlineIdentityPlugin])
def test_a_do_nothing_attack_fails_the_contract(plugin, tiny_model, sample_batch) -> None:
    """The contract can fail: a registered attack that returns its input passes every other check of
    this file but not check_lowers_accuracy (declared smoke parameters, or a budget from its threat model)."""
    host = PluginHost(load_entry_points=False)
    host.register_plugin(plugin(), "identity_plugin")
    registry = host.registry("attack")
    assert smoke_params(registry.get("identity")) == {"eps": 0.3}
    cache: dict[str, Outcome] = {}
    with pytest.raises(AssertionError, match="identity lowers accuracy from 1.000 to 1.000"):
        check_lowers_accuracy("identity", tiny_model, sample_batch, cache, registry)
    out = cache["identity"]  # ... while it passes the other checks: shape, unit box, eps ball, repeatability
    assert out.first.shape == out.x.shape and torch_equal(out.first, out.second)
    assert accuracy(tiny_model, out.first, out.y) <= accuracy(tiny_model, out.x, out.y)


def torch_equal(a, b) -> bool:  # noqa: ANN001
    import torch

    return torch.equal(a, b)


def test_the_example_plugins_declared_attack_meets_the_contract(tiny_model, sample_batch, monkeypatch) -> None:
    """A third-party attack declared with @component(..., smoke=...) is checked with its own parameters."""
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "examples" / "robustx-example-plugin"))
    import robustx_example_plugin

    host = PluginHost(load_entry_points=False)
    host.register_plugin(robustx_example_plugin, "example")
    registry = host.registry("attack")
    assert smoke_params(registry.get("example:uniform_noise")) == {"eps": 0.5}
    check_lowers_accuracy("example:uniform_noise", tiny_model, sample_batch, {}, registry)


@pytest.mark.parametrize("name", NAMES)
def test_restores_model_state(name: str, tiny_model, sample_batch) -> None:
    """A model in train mode stays in train mode (every module), and its parameters stay untouched."""
    x, y = sample_batch
    attack = REGISTRY.create(name, tiny_model, **CONTRACT_PARAMS[name])
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
