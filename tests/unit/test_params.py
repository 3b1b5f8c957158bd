"""Parameter checking: exact fractions, ranges, choices, unknown and missing keys."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal, Optional

import pytest

from robustx.base.errors import ParamError
from robustx.config.markers import AttackSpec, Range, parse_number
from robustx.config.params import validate_params


def attack(model, *, eps: Annotated[float, Range(ge=0)] = 0.1, steps: Annotated[int, Range(ge=1)] = 10,
           norm: Literal["Linf", "L2"] = "Linf", random_start: bool = True,
           milestones: list[int] = (), extra: Optional[float] = None):
    return None


def test_fraction_is_exact_not_eval():
    assert parse_number("8/255", "eps") == float(Fraction(8, 255))
    assert parse_number(" 1e-3 ", "x") == 0.001
    assert parse_number("__import__('os')", "x") == "__import__('os')"  # never evaluated


def test_fraction_divide_by_zero_is_one_line():
    with pytest.raises(ParamError, match=r"^evaluate\.eps: '8/0' divides by zero$"):
        validate_params(attack, {"eps": "8/0"}, "evaluate", positional=1)


@pytest.mark.parametrize("params, message", [
    ({"eps": -0.1}, r"x\.eps: must be >= 0, got -0.1"),
    ({"steps": 0}, r"x\.steps: must be >= 1, got 0"),
    ({"steps": 2.5}, r"x\.steps: expected an integer"),
    ({"norm": "linf"}, r"x\.norm: 'linf' is not one of 'Linf', 'L2' \(did you mean 'Linf'\?\)"),
    ({"random_start": "yes"}, r"x\.random_start: expected true or false"),
    ({"epss": 0.1}, r"x\.epss: unknown parameter \(did you mean 'eps'"),
    ({"milestones": 3}, r"x\.milestones: expected a list"),
])
def test_bad_values_name_the_field(params, message):
    with pytest.raises(ParamError, match=message):
        validate_params(attack, params, "x", positional=1)


def test_values_are_coerced():
    out = validate_params(attack, {"eps": "8/255", "steps": 20.0, "extra": None, "milestones": [1, 2]}, "x",
                          positional=1)
    assert out == {"eps": 8 / 255, "steps": 20, "extra": None, "milestones": [1, 2]}
    assert isinstance(out["steps"], int)


def test_missing_required_and_provided_names():
    def arch(*, num_classes: int, in_channels: int, image_size: int, width: int):
        return None

    with pytest.raises(ParamError, match="missing required parameter 'width'"):
        validate_params(arch, {}, "model", provided=("num_classes", "in_channels", "image_size"))
    with pytest.raises(ParamError, match="set by robustx itself"):
        validate_params(arch, {"num_classes": 3, "width": 1}, "model",
                        provided=("num_classes", "in_channels", "image_size"))


def test_unannotated_parameters_take_the_type_of_their_default():
    def plain(model, eps=0.1, steps=10, name="x", flag=False, anything=None):
        return None

    with pytest.raises(ParamError, match=r"^x\.eps: expected a number, got 'some string'$"):
        validate_params(plain, {"eps": "some string"}, "x", positional=1)
    with pytest.raises(ParamError, match=r"x\.flag: expected true or false"):
        validate_params(plain, {"flag": "yes"}, "x", positional=1)
    out = validate_params(plain, {"eps": "8/255", "steps": 0.5, "anything": "ok"}, "x", positional=1)
    assert out == {"eps": 8 / 255, "steps": 0.5, "anything": "ok"}  # an int default means "a number"


@pytest.mark.parametrize("params, message", [
    ({"eps": float("inf")}, r"x\.eps: must be a finite number, got inf"),
    ({"extra": float("nan")}, r"x\.extra: must be a finite number, got nan"),
    ({"steps": 1e21}, r"x\.steps: 1e\+21 is too large \(an integer must fit in 64 bits\)"),
    ({"steps": "1e21"}, r"x\.steps: 1e\+21 is too large"),
])
def test_non_finite_and_overflowing_numbers(params, message):
    with pytest.raises(ParamError, match=message):
        validate_params(attack, params, "x", positional=1)


def test_allow_non_finite_marker():
    from robustx.config.markers import AllowNonFinite

    def f(*, limit: Annotated[float, AllowNonFinite()] = float("inf")):
        return None

    assert validate_params(f, {"limit": float("inf")}, "x") == {"limit": float("inf")}


def test_nested_component_specs_go_to_the_nested_validator():
    from robustx.config.params import nested_kind

    def defense(*, attack: dict | None = None, attacks: list[dict] = (), guard: AttackSpec = None,
                curve_attacks: Optional[list[dict]] = None, path_attacks: list[Literal["fgsm", "pgd"]] = ()):
        return None

    assert nested_kind("attack", dict | None) == ("attack", False)
    assert nested_kind("path_attacks", list[Literal["fgsm", "pgd"]]) is None  # names, not specs
    seen = []

    def nested(kind, value, where):
        seen.append((kind, where))
        return {"name": value} if isinstance(value, str) else value

    out = validate_params(defense, {"attack": "pgd", "attacks": ["fgsm"], "guard": "cw",
                                    "curve_attacks": [{"name": "pgd"}]}, "d", nested=nested)
    assert out["attack"] == {"name": "pgd"} and out["attacks"] == [{"name": "fgsm"}]
    assert seen == [("attack", "d.attack"), ("attack", "d.attacks[0]"), ("attack", "d.guard"),
                    ("attack", "d.curve_attacks[0]")]
