"""Every shipped recipe validates: registry-driven, so a recipe added to recipes/ is checked automatically."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import robustx
from robustx.cli import cli

RECIPES = robustx.list_components("recipe")


def test_the_shipped_recipes_are_found() -> None:
    assert {"quickstart", "ds_table1_mnist", "ds_table1_ours_c_sweep", "mnist_pgd_anchor"} <= set(RECIPES)


@pytest.mark.parametrize("name", RECIPES)
def test_every_shipped_recipe_validates(name: str) -> None:
    result = CliRunner().invoke(cli, ["recipe", "show", name])
    assert result.exit_code == 0, result.output
    assert f"name: {name}" in result.output
