"""The recipe JSON Schema agrees with ``robustx recipe validate`` (issue 24).

Every shipped recipe and the example plugin's recipe validate against it; structurally bad recipes
that ``validate`` refuses are refused by the schema too; a field added to a typed section model
(robustx.config.models) shows up in the schema with no schema code (it is derived, not restated).
"""

from __future__ import annotations

import copy
import importlib
import sys
from typing import Annotated, Any, Iterator, Optional

import pytest
import yaml

jsonschema = pytest.importorskip("jsonschema")

from helpers import ROOT  # noqa: E402

from robustx.base.errors import RobustxError  # noqa: E402
from robustx.config.markers import Range  # noqa: E402
from robustx.config.recipe import validate  # noqa: E402
from robustx.config.schema import recipe_schema  # noqa: E402
from robustx.host.manager import PluginHost  # noqa: E402

SHIPPED = sorted((ROOT / "recipes").glob("*.yaml"))
EXAMPLE_PLUGIN = ROOT / "examples" / "robustx-example-plugin"


@pytest.fixture(scope="module")
def host() -> Iterator[PluginHost]:
    """The built-in plugins plus the example plugin (imported from its folder, as an installed one would be)."""
    from conftest import fresh_plugin_host

    sys.path.insert(0, str(EXAMPLE_PLUGIN))
    try:
        module = importlib.import_module("robustx_example_plugin")
    finally:
        sys.path.remove(str(EXAMPLE_PLUGIN))
    with fresh_plugin_host({"example": module}, process_wide=False) as plugins:
        yield plugins


@pytest.fixture(scope="module")
def validator(host: PluginHost) -> Any:
    schema = recipe_schema(host)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator: Any, raw: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:120]}" for e in validator.iter_errors(raw)]


def test_every_shipped_and_example_recipe_validates(validator: Any) -> None:
    paths = [*SHIPPED, *sorted(p for p in (ROOT / "examples").rglob("*.yaml") if "build" not in p.parts)]
    assert len(SHIPPED) >= 25 and len(paths) > len(SHIPPED)
    failed = {p.name: _errors(validator, yaml.safe_load(p.read_text(encoding="utf-8")))[:1] for p in paths}
    assert {name: errors for name, errors in failed.items() if errors} == {}


QUICKSTART = yaml.safe_load((ROOT / "recipes" / "quickstart.yaml").read_text(encoding="utf-8"))


def _bad(change: Any) -> dict[str, Any]:
    raw = copy.deepcopy(QUICKSTART)
    change(raw)
    return raw


BAD = {
    "unknown top-level key": lambda r: r.update(trian={"epochs": 1}),
    "missing model": lambda r: r.pop("model"),
    "unknown train key": lambda r: r["train"].update(epoch=3),
    "epochs not a number": lambda r: r["train"].update(epochs="ten"),
    "negative epochs": lambda r: r["train"].update(epochs=-1),
    "val_split of 1": lambda r: r["data"].update(val_split=1.0),
    "unknown dataset parameter": lambda r: r["data"].update(lables="fine"),
    "unknown optimizer": lambda r: r["train"].update(optimizer={"name": "sgdd"}),
    "unknown attack": lambda r: r["evaluate"]["attacks"].append({"name": "pgdd"}),
    "unknown attack parameter": lambda r: r["evaluate"]["attacks"][2].update(stepz=3),
    "attack steps of 0": lambda r: r["evaluate"]["attacks"][2].update(steps=0),
    "restarts of 0": lambda r: r["evaluate"]["attacks"][2].update(restarts=0),
    "clean with a budget": lambda r: r["evaluate"]["attacks"].__setitem__(0, {"name": "clean", "eps": 0.1}),
    "unknown nested defense attack parameter": lambda r: r["train"]["defense"]["attack"].update(epz=0.1),
    "unknown early-stopping key": lambda r: r["train"].update(early_stopping={"patience": 2, "metrc": "x"}),
    "unknown evaluate key": lambda r: r["evaluate"].update(limt=10),
    "unknown analysis": lambda r: r.update(report={"analyses": [{"name": "nope"}]}),
    "unknown transform parameter": lambda r: r["model"].update(transforms=[{"name": "noisenet", "bogus": 1}]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_structurally_bad_recipe_is_refused_by_both(case: str, validator: Any, host: PluginHost) -> None:
    raw = _bad(BAD[case])
    with pytest.raises(RobustxError):
        validate(copy.deepcopy(raw), host=host)
    assert _errors(validator, raw), f"the schema accepts a recipe that validate refuses ({case})"


def test_a_key_added_to_a_model_is_in_the_schema(monkeypatch: pytest.MonkeyPatch, host: PluginHost) -> None:
    """Derived, not restated: a new train key with its own model needs no schema code."""
    from pydantic import create_model

    from robustx.config import models
    from robustx.config.params import typed

    swa = create_model("SwaSettings", __base__=models.Section, start=(typed(Annotated[int, Range(ge=1)]), 10))
    train = create_model("Train", __base__=models.TrainSettings, swa=(Optional[swa], None))
    evaluate = create_model("Evaluate", __base__=models.EvaluateSettings,
                            passes=(typed(Annotated[int, Range(ge=1, le=9)]), 1))
    recipe = create_model("Recipe", __base__=models.RecipeSettings, train=(train, {}), evaluate=(evaluate, {}))
    monkeypatch.setattr(models, "RecipeSettings", recipe)
    props = recipe_schema(host)["properties"]
    swa = props["train"]["properties"]["swa"]["anyOf"][0]
    assert swa["properties"]["start"] == {"type": "integer", "minimum": 1} and swa["additionalProperties"] is False
    assert props["evaluate"]["properties"]["passes"] == {"type": "integer", "minimum": 1, "maximum": 9}


def test_schema_follows_the_registries(host: PluginHost) -> None:
    """A plugin's components (here the example plugin's) are options, pattern names included."""
    props = recipe_schema(host)["properties"]
    models = props["model"]["anyOf"]
    assert any(o["properties"]["name"].get("enum", [None])[0] == "example_mlp" for o in models)
    assert any(o["properties"]["name"].get("pattern", "").startswith("^timm:") for o in models)
