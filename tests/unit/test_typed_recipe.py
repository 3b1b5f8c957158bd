"""The typed recipe (issue 24): pydantic models that a run reads by attribute, one line per error, defaults once."""

from __future__ import annotations

import copy
import inspect
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel

from robustx.base.errors import ParamError, RecipeError
from robustx.config.markers import Range
from robustx.config.models import (
    DataSettings,
    EarlyStoppingSettings,
    EvaluateSettings,
    RecipeSettings,
    TrainSettings,
    saved_settings,
)
from robustx.config.params import param_model, validate_params
from robustx.config.recipe import apply_overrides, load_raw, validate
from robustx.evaluation.anymodel import evaluate
from robustx.evaluation.evaluator import EvalConfig

QUICKSTART, _ = load_raw("quickstart")


def _recipe(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(QUICKSTART)
    for section, values in changes.items():
        raw[section] = {**raw.get(section, {}), **values} if isinstance(values, dict) else values
    return raw


def test_a_validated_recipe_is_typed_and_resolved() -> None:
    recipe = validate(_recipe(train={"early_stopping": {"patience": 3}}))
    cfg = recipe.settings
    assert isinstance(cfg, RecipeSettings) and isinstance(cfg.train, TrainSettings)
    assert isinstance(cfg.data, DataSettings) and isinstance(cfg.evaluate, EvaluateSettings)
    assert cfg.train.early_stopping == EarlyStoppingSettings(patience=3)  # its other keys: the model's defaults
    assert cfg.train.val_limit == 1000 and cfg.data.batch_size == 64 and cfg.data.params == {}
    assert cfg.train.optimizer["name"] == "adam" and "weight_decay" in cfg.train.optimizer  # factory defaults filled
    assert cfg.evaluate.attacks[1] == {"name": "fgsm", "eps": 0.1}
    assert recipe.data == cfg.to_dict() and recipe.data["train"]["early_stopping"]["metric"] == "val_robust_accuracy"
    # the resolved recipe.yaml validates to the same recipe (what --resume does)
    assert validate(recipe.data).settings == cfg
    with pytest.deprecated_call():  # a run-event listener written for the untyped recipe still reads it
        assert cfg["train"]["epochs"] == cfg.train.epochs and cfg.get("loggers") == []


@pytest.mark.parametrize("changes, message", [
    ({"train": {"epochz": 3}}, r"^train\.epochz: unknown key \(did you mean 'epochs'\?\); accepted: epochs, "),
    ({"train": {"ema": {"decy": 0.9}}}, r"^train\.ema\.decy: unknown key \(did you mean 'decay'\?\)"),
    ({"train": {"ema": {"decay": 1.5}}}, r"^train\.ema\.decay: must be < 1, got 1\.5$"),
    ({"train": {"grad_clip": float("inf")}}, r"^train\.grad_clip: must be a finite number, got inf$"),
    ({"train": {"channels_last": "yes"}}, r"^train\.channels_last: expected true or false, got 'yes'$"),
    ({"evaluate": {"mode": "cascde"}}, r"^evaluate\.mode: 'cascde' is not one of 'each', 'cascade' \(did you mean"),
    ({"evaluate": {"limit": 0}}, r"^evaluate\.limit: must be >= 1, got 0$"),
    ({"data": {"val_split": "1/0"}}, r"^data\.val_split: '1/0' divides by zero$"),
    ({"seed": True}, r"^seed: expected an integer, got True$"),
    ({"report": {"analysis": []}}, r"^report\.analysis: unknown key \(did you mean 'analyses'\?\)"),
])
def test_errors_are_one_line_naming_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ParamError, match=message) as info:
        validate(_recipe(**changes))
    assert "\n" not in str(info.value)


def test_unknown_top_level_key_and_missing_section() -> None:
    with pytest.raises(RecipeError, match=r"^trian: unknown top-level key \(did you mean 'train'"):
        validate({**QUICKSTART, "trian": {}})
    with pytest.raises(RecipeError, match=r"^q\.yaml: missing required key 'model'$"):
        validate({k: v for k, v in QUICKSTART.items() if k != "model"}, "q.yaml")


def test_overrides_reach_the_typed_recipe() -> None:
    cfg = validate(apply_overrides(QUICKSTART, ["train.epochs=2", "evaluate.attacks.1.eps=8/255",
                                                "train.ema={decay: 0.99}"])).settings
    assert cfg.train.epochs == 2 and cfg.evaluate.attacks[1]["eps"] == pytest.approx(8 / 255)
    assert cfg.train.ema is not None and cfg.train.ema.decay == 0.99 and cfg.train.ema.warmup_steps == 0


def test_a_saved_recipe_reads_leniently() -> None:
    """An older (or newer) robustx's recipe.yaml: unknown keys dropped, missing ones defaulted, values checked."""
    cfg = saved_settings({"name": "old", "data": {"name": "digits", "batch_size": 32},
                          "evaluate": {"attacks": [{"name": "pgd", "eps": 0.1}], "retired_key": 1}})
    assert cfg.evaluate.attacks == [{"name": "pgd", "eps": 0.1}] and cfg.evaluate.eot_samples == 10
    assert cfg.data.batch_size == 32 and cfg.model.name == "" and cfg.train.epochs == 10
    with pytest.raises(ParamError, match=r"evaluate\.limit: must be >= 1"):
        saved_settings({"name": "bad", "evaluate": {"limit": -1}})


def test_evaluation_defaults_are_written_once() -> None:
    defaults = EvaluateSettings.model_fields
    assert EvalConfig().eot_samples == defaults["eot_samples"].default
    assert EvalConfig().n_predictions == defaults["n_predictions"].default and EvalConfig().mode == "each"
    signature = inspect.signature(evaluate).parameters
    assert signature["eot_samples"].default == defaults["eot_samples"].default
    assert signature["n_predictions"].default == defaults["n_predictions"].default


def test_factory_parameters_are_a_pydantic_model() -> None:
    def make(model, *, eps: Annotated[float, Range(ge=0, le=1)] = 0.1, steps: int = 10,
             norm: Literal["Linf", "L2"] = "Linf", seed=0):
        return None

    spec = param_model(make, positional=1)
    assert issubclass(spec.model, BaseModel) and set(spec.annotations) == {"eps", "steps", "norm", "seed"}
    schema = spec.model.model_json_schema(by_alias=True)["properties"]
    assert schema["eps"]["minimum"] == 0 and schema["eps"]["maximum"] == 1 and schema["norm"]["enum"] == ["Linf", "L2"]
    assert validate_params(make, {"eps": "8/255", "seed": 3}, "x", positional=1) == {"eps": 8 / 255, "seed": 3}
    with pytest.raises(ParamError, match=r"^x\.eps: must be <= 1, got 8$"):
        validate_params(make, {"eps": 8}, "x", positional=1)
