"""Issue 25: YAML alias bombs (nested anchors, 9 levels of 9) are refused fast, in every place robustx reads
YAML from a user, and error messages never format an unbounded value."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from robustx.cli import cli


def bomb(levels: int = 9, width: int = 9) -> str:
    """A flow-style YAML value that expands to width**levels strings ("billion laughs")."""
    value = "[" + ", ".join(["lol"] * width) + "]"
    anchors = [f"&a0 {value}"]
    for i in range(1, levels):
        anchors.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "[" + ", ".join(anchors) + "]"  # each anchor is defined before the next level uses it


def _bomb_recipe() -> str:
    """The shipped quickstart with its description replaced by a bomb (the issue's case)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "recipes" / "quickstart.yaml").read_text(encoding="utf-8")
    return re.sub(r"(?m)^description: .*$", lambda _: f"description: {bomb()}", text)


def _fast_one_line(result, started: float) -> str:
    assert time.perf_counter() - started < 5, "an alias bomb must be refused in well under a second"
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and len(lines[0]) < 300, result.output[:500]
    return lines[0]


def test_alias_bomb_recipe_file_is_refused_fast(tmp_path):
    recipe = tmp_path / "bomb.yaml"
    recipe.write_text(_bomb_recipe(), encoding="utf-8")
    started = time.perf_counter()
    line = _fast_one_line(CliRunner().invoke(cli, ["recipe", "validate", str(recipe)]), started)
    assert line == (f"Error: {recipe}: the YAML expands to more than 100,000 values (nested anchors and "
                    "aliases?); refused before loading it")


@pytest.mark.parametrize("args", [
    ["recipe", "validate", "quickstart", "description=@BOMB@"],
    ["recipe", "validate", "quickstart", "evaluate.attacks.1.eps=@BOMB@"],
    ["eval", "nowhere", "--attack", "{name: pgd, eps: @BOMB@}"],
])
def test_alias_bomb_in_an_override_or_attack_option_is_refused_fast(args):
    started = time.perf_counter()
    line = _fast_one_line(CliRunner().invoke(cli, [a.replace("@BOMB@", bomb()) for a in args]), started)
    assert "the YAML expands to more than 100,000 values" in line


def test_recursive_and_deep_yaml_is_one_line(tmp_path):
    for text, says in (("name: x\ndescription: &a [*a]\n", "refers to itself"),
                       ("name: x\ndescription: " + "[" * 5000 + "]" * 5000 + "\n", "nests deeper than 100 levels")):
        recipe = tmp_path / "odd.yaml"
        recipe.write_text(text, encoding="utf-8")
        started = time.perf_counter()
        assert says in _fast_one_line(CliRunner().invoke(cli, ["recipe", "validate", str(recipe)]), started)


def test_messages_show_a_bounded_value():
    """A large (not aliased) value in a wrong place is shown shortened, not in full."""
    huge = "[" + ", ".join(str(i) for i in range(3000)) + "]"
    started = time.perf_counter()
    line = _fast_one_line(CliRunner().invoke(cli, ["recipe", "validate", "quickstart", f"description={huge}"]),
                          started)
    assert line.startswith("Error: description: expected a string, got [0, 1, 2, 3, 4, 5, ...]")


def test_ordinary_anchors_still_work(tmp_path):
    recipe = tmp_path / "anchors.yaml"
    recipe.write_text("name: anchored\ndescription: shared attack settings\ndata: {name: digits}\n"
                      "model: {name: small_cnn}\ntrain:\n  epochs: 1\n  defense: {name: pgd_at, attack: &pgd "
                      "{name: pgd, eps: 0.1, steps: 3}}\nevaluate: {attacks: [clean, *pgd]}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["recipe", "validate", str(recipe)])
    assert result.exit_code == 0, result.output
