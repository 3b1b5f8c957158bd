"""Recipes: load YAML, apply ``key=value`` overrides, validate everything before any work starts.

Validation resolves every registry name and checks every parameter against its factory's
annotations (see ``robustx.params``), so a typo fails in a second with the field's path,
not after an hour of training.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import yaml

from .errors import ParamError, RecipeError, UnknownNameError, did_you_mean
from .params import Range, coerce, validate_params
from .plugins import PluginHost, get_host

SECTIONS = ("name", "description", "seed", "data", "model", "train", "evaluate", "report", "variants", "sweep",
            "paper")

# Core-owned keys of each section: name -> (annotation, default). Anything else in a
# component section is a parameter of the registered factory.
DATA_KEYS: dict[str, tuple[Any, Any]] = {
    "root": (Optional[str], None),
    "download": (bool, False),
    "batch_size": (Annotated[int, Range(ge=1)], 128),
    "test_batch_size": (Optional[Annotated[int, Range(ge=1)]], None),
    "val_split": (Annotated[float, Range(ge=0, lt=1)], 0.1),
    "limit": (Optional[Annotated[int, Range(ge=1)]], None),
    "test_limit": (Optional[Annotated[int, Range(ge=1)]], None),
    "augment": (Literal["none", "crop_flip", "flip", "crop"], "none"),
}
MODEL_KEYS: dict[str, tuple[Any, Any]] = {
    "transforms": (list, []),
    "weights": (Optional[str], None),
    "allow_pickle": (bool, False),
}
TRAIN_KEYS: dict[str, tuple[Any, Any]] = {
    "epochs": (Annotated[int, Range(ge=0)], 10),
    "optimizer": (dict, {"name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}),
    "schedule": (dict, {"name": "none"}),
    "defense": (dict, {"name": "standard"}),
    "val_attack": (Optional[dict], None),
    "val_limit": (Optional[Annotated[int, Range(ge=1)]], 1000),
    "early_stopping": (Optional[dict], None),
    "grad_clip": (Optional[Annotated[float, Range(gt=0)]], None),
    "track_examples": (Annotated[int, Range(ge=0)], 10),
}
OPTIMIZER_KEYS: dict[str, dict[str, tuple[Any, Any]]] = {
    "sgd": {"lr": (Annotated[float, Range(gt=0)], 0.1), "momentum": (Annotated[float, Range(ge=0, lt=1)], 0.9),
            "weight_decay": (Annotated[float, Range(ge=0)], 5e-4), "nesterov": (bool, False)},
    "adam": {"lr": (Annotated[float, Range(gt=0)], 1e-3), "weight_decay": (Annotated[float, Range(ge=0)], 0.0),
             "betas": (tuple[float, float], (0.9, 0.999))},
    "adamw": {"lr": (Annotated[float, Range(gt=0)], 1e-3), "weight_decay": (Annotated[float, Range(ge=0)], 1e-2),
              "betas": (tuple[float, float], (0.9, 0.999))},
}
SCHEDULE_KEYS: dict[str, dict[str, tuple[Any, Any]]] = {
    "none": {},
    "multistep": {"milestones": (list[int], [100, 150]), "gamma": (Annotated[float, Range(gt=0)], 0.1)},
    "cosine": {"eta_min": (Annotated[float, Range(ge=0)], 0.0)},
    "onecycle": {"max_lr": (Optional[Annotated[float, Range(gt=0)]], None),
                 "pct_start": (Annotated[float, Range(gt=0, lt=1)], 0.3)},
}
EARLY_STOPPING_KEYS: dict[str, tuple[Any, Any]] = {
    "patience": (Annotated[int, Range(ge=1)], 5),
    "metric": (Literal["val_robust_accuracy", "val_accuracy"], "val_robust_accuracy"),
    "min_delta": (Annotated[float, Range(ge=0)], 0.0),
}
EVALUATE_KEYS: dict[str, tuple[Any, Any]] = {
    "attacks": (list, [{"name": "clean"}]),
    "limit": (Optional[Annotated[int, Range(ge=1)]], None),
    "batch_size": (Optional[Annotated[int, Range(ge=1)]], None),
    "checkpoint": (Literal["best", "last"], "best"),
    "eot_samples": (Annotated[int, Range(ge=1)], 10),
    "n_predictions": (Annotated[int, Range(ge=1)], 10),
}
REPORT_KEYS: dict[str, tuple[Any, Any]] = {"analyses": (list, [])}

ARCH_PROVIDED = ("num_classes", "in_channels", "image_size")
DATA_PROVIDED = ("root", "download")


def factory_params(spec: dict[str, Any], core_keys: dict[str, Any]) -> dict[str, Any]:
    """The keys of a data/model section that go to the registered factory (not robustx's own keys)."""
    return {k: v for k, v in spec.items() if k != "name" and k not in core_keys}


@dataclass
class Recipe:
    """A validated recipe: ``data`` is the resolved, defaults-filled dict that a run executes."""

    data: dict[str, Any]
    source: str

    @property
    def name(self) -> str:
        return self.data["name"]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.data, sort_keys=False, default_flow_style=None)


# -- loading ---------------------------------------------------------------------------------
def find_recipe(name_or_path: str, host: PluginHost | None = None) -> Path:
    """A path to an existing file, or the name of a registered recipe."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    if path.suffix in (".yaml", ".yml") or "/" in name_or_path:
        raise RecipeError(f"recipe file '{name_or_path}' does not exist")
    registry = (host or get_host()).registry("recipe")
    try:
        return Path(registry.get(name_or_path).factory)
    except UnknownNameError:
        raise UnknownNameError(
            f"unknown recipe '{name_or_path}'{did_you_mean(name_or_path, registry.all_names())}; "
            "see `robustx recipe list`"
        ) from None


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RecipeError(f"{where}: YAML syntax error: {problem}") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{source}: a recipe must be a YAML mapping with keys {', '.join(SECTIONS[:8])}")
    return data


def load_raw(name_or_path: str, host: PluginHost | None = None) -> tuple[dict[str, Any], str]:
    path = find_recipe(name_or_path, host)
    return parse_yaml(path.read_text(encoding="utf-8"), str(path)), str(path)


# -- overrides -------------------------------------------------------------------------------
def _component_keys(section: str) -> dict[str, tuple[Any, Any]]:
    return {"data": DATA_KEYS, "model": MODEL_KEYS}.get(section, {})


def apply_overrides(recipe: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``train.epochs=1``, ``evaluate.attacks.1.eps=8/255``: values are YAML scalars/lists/mappings."""
    recipe = copy.deepcopy(recipe)
    for item in overrides:
        if "=" not in item:
            raise RecipeError(f"override '{item}' must look like key=value (e.g. train.epochs=1)")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        set_key(recipe, key.strip(), value)
    return recipe


def set_key(recipe: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted ``key`` in place (list items by index).

    The key must already exist, or be a known core key of its section, or sit inside a
    component (a mapping with ``name``), whose factory signature is checked at validation.
    """
    parts = key.split(".")
    node: Any = recipe
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise RecipeError(f"override '{key}': '{here}' needs an index 0..{len(node) - 1}")
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise RecipeError(f"override '{key}': '{'.'.join(parts[:depth])}' is not a mapping")
        exists = part in node
        allowed = exists or (depth == 0 and part in SECTIONS) or (
            depth == 1 and part in {**_component_keys(parts[0]), **_section_keys(parts[0])}
        ) or ("name" in node and last)
        if not allowed:
            choices = list(node) + (list(_section_keys(parts[0])) if depth == 1 else [])
            raise RecipeError(f"override '{key}': no key '{here}' in the recipe{did_you_mean(part, choices)}")
        if last:
            node[part] = copy.deepcopy(value)
        else:
            if not exists:
                node[part] = {}
            node = node[part]


def _section_keys(section: str) -> dict[str, tuple[Any, Any]]:
    return {"data": DATA_KEYS, "model": MODEL_KEYS, "train": TRAIN_KEYS, "evaluate": EVALUATE_KEYS,
            "report": REPORT_KEYS}.get(section, {})


# -- validation ------------------------------------------------------------------------------
def _component(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        return {"name": value}
    if not isinstance(value, dict):
        raise ParamError(f"{where}: expected a component like {{name: ..., ...}}, got {value!r}")
    if "name" not in value:
        raise ParamError(f"{where}: a component needs a 'name'")
    return dict(value)


def _fill(section: dict[str, Any], keys: dict[str, tuple[Any, Any]], where: str) -> dict[str, Any]:
    """Validate and default the core-owned keys of a section; return the rest untouched."""
    out: dict[str, Any] = {}
    for key, (tp, default) in keys.items():
        out[key] = coerce(section[key], tp, f"{where}.{key}") if key in section else copy.deepcopy(default)
    return out


def _check_plain(section: dict[str, Any], keys: dict[str, tuple[Any, Any]], where: str) -> dict[str, Any]:
    unknown = [k for k in section if k not in keys]
    if unknown:
        raise ParamError(f"{where}.{unknown[0]}: unknown key{did_you_mean(unknown[0], keys)}; "
                         f"accepted: {', '.join(keys)}")
    return _fill(section, keys, where)


def _named_options(section: Any, table: dict[str, dict[str, tuple[Any, Any]]], where: str) -> dict[str, Any]:
    section = _component(section, where)
    name = section.pop("name")
    if name not in table:
        raise ParamError(f"{where}.name: unknown '{name}'{did_you_mean(str(name), table)}; "
                         f"choose one of {', '.join(table)}")
    return {"name": name, **_check_plain(section, table[name], where)}


def validate_attack(spec: Any, where: str, host: PluginHost) -> dict[str, Any]:
    spec = _component(spec, where)
    label = spec.pop("label", None)
    if label is not None and not isinstance(label, str):
        raise ParamError(f"{where}.label: expected a string (the column title in tables), got {label!r}")
    labelled = {"label": label} if label else {}
    if spec["name"] == "clean":
        if len(spec) > 1:
            raise ParamError(f"{where}: the 'clean' pseudo-attack takes no parameters")
        return {**spec, **labelled}
    return {"name": spec["name"], **_check_component(host, "attack", spec, where, positional=1), **labelled}


def _check_component(host: PluginHost, kind: str, spec: dict[str, Any], where: str, *,
                     positional: int = 0, provided: tuple[str, ...] = ()) -> dict[str, Any]:
    """Resolve ``spec['name']`` in the ``kind`` registry and validate the remaining keys as its params."""
    try:
        resolved = host.registry(kind).resolve(spec["name"])
    except UnknownNameError as exc:
        raise UnknownNameError(f"{where}.name: {exc}") from None
    check_name = getattr(resolved.entry.factory, "check_name", None)
    if resolved.implied and callable(check_name):  # a pattern entry may verify the rest of the name
        try:
            check_name(**resolved.implied)
        except UnknownNameError as exc:
            raise UnknownNameError(f"{where}.name: {exc}") from None
    params = {k: v for k, v in spec.items() if k != "name"}
    return validate_params(resolved.entry.factory, params, where, positional=positional,
                           provided=provided + tuple(resolved.implied))


def validate_defense(spec: Any, where: str, host: PluginHost) -> dict[str, Any]:
    spec = _component(spec, where)
    if isinstance(spec.get("attack"), (dict, str)):
        spec["attack"] = validate_attack(spec["attack"], f"{where}.attack", host)
    if isinstance(spec.get("attacks"), list):
        spec["attacks"] = [validate_attack(a, f"{where}.attacks[{i}]", host) for i, a in enumerate(spec["attacks"])]
    return {"name": spec["name"], **_check_component(host, "defense", spec, where)}


def validate(raw: dict[str, Any], source: str = "<recipe>", host: PluginHost | None = None) -> Recipe:
    """Check a whole recipe; return it resolved, with every default filled in."""
    host = host or get_host()
    unknown = [k for k in raw if k not in SECTIONS]
    if unknown:
        raise RecipeError(f"{unknown[0]}: unknown top-level key{did_you_mean(unknown[0], SECTIONS)}; "
                          f"accepted: {', '.join(SECTIONS)}")
    for required in ("name", "data", "model"):
        if required not in raw:
            raise RecipeError(f"{source}: missing required key '{required}'")
    out: dict[str, Any] = {
        "name": coerce(raw["name"], str, "name"),
        "description": coerce(raw.get("description", ""), str, "description"),
        "seed": coerce(raw.get("seed", 0), Annotated[int, Range(ge=0)], "seed"),
    }

    data = _component(raw["data"], "data")
    core = {k: data.pop(k) for k in list(data) if k in DATA_KEYS}
    out["data"] = {"name": data["name"], **_fill(core, DATA_KEYS, "data"),
                   **_check_component(host, "dataset", data, "data", provided=DATA_PROVIDED)}

    model = _component(raw["model"], "model")
    core = {k: model.pop(k) for k in list(model) if k in MODEL_KEYS}
    model_out = {"name": model["name"], **_fill(core, MODEL_KEYS, "model"),
                 **_check_component(host, "architecture", model, "model", provided=ARCH_PROVIDED)}
    transforms = []
    for i, item in enumerate(model_out["transforms"]):
        spec = _component(item, f"model.transforms[{i}]")
        transforms.append({"name": spec["name"], **_check_component(
            host, "transform", spec, f"model.transforms[{i}]", positional=1)})
    model_out["transforms"] = transforms
    out["model"] = model_out

    train = dict(raw.get("train") or {})
    extra = [k for k in train if k not in TRAIN_KEYS]
    if extra:
        raise ParamError(f"train.{extra[0]}: unknown key{did_you_mean(extra[0], TRAIN_KEYS)}; "
                         f"accepted: {', '.join(TRAIN_KEYS)}")
    t = _fill({k: v for k, v in train.items() if k not in ("optimizer", "schedule", "defense", "val_attack",
                                                            "early_stopping")}, TRAIN_KEYS, "train")
    t["optimizer"] = _named_options(train.get("optimizer", TRAIN_KEYS["optimizer"][1]), OPTIMIZER_KEYS,
                                    "train.optimizer")
    t["schedule"] = _named_options(train.get("schedule", {"name": "none"}), SCHEDULE_KEYS, "train.schedule")
    t["defense"] = validate_defense(train.get("defense", "standard"), "train.defense", host)
    t["val_attack"] = (validate_attack(train["val_attack"], "train.val_attack", host)
                       if train.get("val_attack") else None)
    t["early_stopping"] = (_check_plain(dict(train["early_stopping"]), EARLY_STOPPING_KEYS, "train.early_stopping")
                           if train.get("early_stopping") else None)
    out["train"] = t

    evaluate = dict(raw.get("evaluate") or {})
    ev = _check_plain({k: v for k, v in evaluate.items()}, EVALUATE_KEYS, "evaluate")
    if not isinstance(ev["attacks"], list) or not ev["attacks"]:
        raise ParamError("evaluate.attacks: expected a non-empty list of attacks (e.g. [clean, {name: pgd}])")
    ev["attacks"] = [validate_attack(a, f"evaluate.attacks[{i}]", host) for i, a in enumerate(ev["attacks"])]
    out["evaluate"] = ev

    report = _check_plain(dict(raw.get("report") or {}), REPORT_KEYS, "report")
    analyses = []
    for i, item in enumerate(report["analyses"]):
        spec = _component(item, f"report.analyses[{i}]")
        analyses.append({"name": spec["name"], **_check_component(host, "analysis", spec, f"report.analyses[{i}]")})
    out["report"] = {"analyses": analyses}

    return Recipe(out, source)
