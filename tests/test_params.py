"""Parameter checking: exact fractions, ranges, choices, unknown and missing keys."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal, Optional

import pytest

from robustx.errors import ParamError
from robustx.params import Range, parse_number, validate_params


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
