"""One validation path (issue 24): every entry refuses a bad attack budget with the recipe's message.

Registry-driven: every registered attack with a budget (its ``@threat_model`` declaration) is tried
through a recipe (and a ``key=value`` override), ``robustx.create_attack``, ``robustx.evaluate`` and
the ``robustx eval --attack`` parser. The same value must be refused by all of them with the same
message (only the field's location differs), and a good value accepted by all.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from click.testing import CliRunner

import robustx
from robustx.base.errors import RobustxError
from robustx.cli import cli
from robustx.cli.eval_cmd import parse_attack_option
from robustx.config.recipe import apply_overrides, validate
from robustx.config.threat import declared_threat, resolve_threat
from robustx.host.manager import get_host

REGISTRY = get_host().registry("attack")


def _budgeted() -> list[tuple[str, str, str]]:
    """(name, budget parameter, norm at the defaults) of every registered fixed-budget attack."""
    out = []
    for entry in REGISTRY:
        spec = declared_threat(entry.factory)
        if entry.pattern or entry.conflict or spec is None or spec.minimum_norm:
            continue
        threat = resolve_threat(entry.factory, {})
        if threat and "eps" in threat:
            out.append((entry.name, spec.eps_param, threat["norm"]))
    return out


BUDGETED = _budgeted()
#: (text as a user types it, the Python value, norms it is bad for)
BAD = [("-0.1", -0.1, ("Linf", "L2", "L1")), (".inf", math.inf, ("Linf", "L2", "L1")),
       (".nan", math.nan, ("Linf", "L2", "L1")), ("8", 8.0, ("Linf",))]
CASES = [(name, param, text, value) for name, param, norm in BUDGETED for text, value, norms in BAD if norm in norms]


def _recipe_error(name: str, param: str, text: str) -> str:
    raw = {"name": "t", "data": {"name": "digits"}, "model": {"name": "small_cnn"}, "train": {"epochs": 0},
           "evaluate": {"attacks": ["clean", {"name": name}]}}
    with pytest.raises(RobustxError) as caught:
        validate(apply_overrides(raw, [f"evaluate.attacks.1.{param}={text}"]))
    return str(caught.value)


def _error(call: Any) -> str:
    with pytest.raises(RobustxError) as caught:
        call()
    return str(caught.value)


def _rest(message: str, param: str) -> str:
    """The message without its location (``evaluate.attacks[1].eps: ...`` -> ``...``)."""
    marker = f".{param}: "
    assert marker in message, message
    return message.split(marker, 1)[1]


def test_every_budgeted_attack_is_covered() -> None:
    names = {name for name, _, _ in BUDGETED}
    assert {"pgd", "apgd", "square", "autoattack", "art:pgd"} <= names, names


@pytest.mark.parametrize("name, param, text, value", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_a_bad_budget_is_refused_everywhere_with_one_message(name: str, param: str, text: str, value: float,
                                                             tiny_model, sample_batch) -> None:
    messages = {
        "recipe": _recipe_error(name, param, text),
        "create_attack": _error(lambda: robustx.create_attack(name, tiny_model, **{param: value})),
        "evaluate": _error(lambda: robustx.evaluate(tiny_model, sample_batch, [{"name": name, param: value}])),
        "eval --attack": _error(lambda: parse_attack_option(f"{name} {param}={text}", "--attack[0]")),
    }
    rests = {entry: _rest(message, param) for entry, message in messages.items()}
    assert len(set(rests.values())) == 1, rests
    if text == "8":  # the threat rule speaks before a factory's own bound: the hint comes from every attack
        assert rests["recipe"].endswith("did you mean 8/255?"), rests["recipe"]


@pytest.mark.parametrize("name, param, norm", BUDGETED, ids=[b[0] for b in BUDGETED])
def test_a_good_budget_is_accepted_everywhere(name: str, param: str, norm: str, tiny_model) -> None:
    raw = {"name": "t", "data": {"name": "digits"}, "model": {"name": "small_cnn"}, "train": {"epochs": 0},
           "evaluate": {"attacks": ["clean", {"name": name}]}}
    recipe = validate(apply_overrides(raw, [f"evaluate.attacks.1.{param}=1/10"]))
    assert recipe.data["evaluate"]["attacks"][1][param] == pytest.approx(0.1)
    assert callable(robustx.create_attack(name, tiny_model, **{param: "1/10"}))
    assert parse_attack_option(f"{name} {param}=1/10")[param] == pytest.approx(0.1)


def test_create_attack_refuses_evaluation_options(tiny_model) -> None:
    message = _error(lambda: robustx.create_attack("pgd", tiny_model, restarts=3))
    assert message.startswith("attack pgd.restarts: an evaluation option")


def test_create_model_checks_parameters_like_a_recipe() -> None:
    raw = {"name": "t", "data": {"name": "digits"}, "model": {"name": "small_cnn", "widht": 3}}
    with pytest.raises(RobustxError) as from_recipe:
        validate(raw)
    with pytest.raises(RobustxError) as from_api:
        robustx.create_model("small_cnn", num_classes=10, in_channels=1, image_size=8, widht=3)
    assert str(from_recipe.value) == str(from_api.value)


def test_eval_cli_refuses_a_bad_attack_before_loading_anything() -> None:
    result = CliRunner().invoke(cli, ["eval", "runs/does-not-exist", "--attack", "apgd eps=8"])
    assert result.exit_code != 0
    assert "--attack[0].eps: Linf eps 8 exceeds" in result.output and "8/255" in result.output, result.output
