"""Recipes: load YAML, apply ``key=value`` overrides, validate everything before any work starts.

Validation resolves every registry name and checks every parameter against its factory's
annotations (see ``robustx.config.params``), so a typo fails in a second with the field's path,
not after an hour of training.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from robustx.base import safe_yaml
from robustx.base.errors import ParamError, RecipeError, UnknownNameError, did_you_mean, short
from robustx.config.certifiers import validate_certifiers
from robustx.config.components import (
    ARCH_PROVIDED,
    DATA_PROVIDED,
    SCHEDULE_PROVIDED,
    as_spec,
    check_component,
    validate_attack,
    validate_defense,
    with_defaults,
)
from robustx.config.data_source import check_data_available
from robustx.config.extra_data import validate_extra
from robustx.config.models import (
    SECTIONS,
    DataSettings,
    EvaluateSettings,
    ModelSettings,
    RecipeSettings,
    ReportSettings,
    TrainSettings,
    accepted_keys,
)
from robustx.config.params import one_line
from robustx.host.manager import PluginHost, get_host

# The recipe's shape (sections, keys, types, defaults) is the typed models of robustx.config.models;
# validation reads them, and so does the JSON Schema (robustx.config.schema). What needs the
# registries (component specs, budgets) is checked here, by the resolver the models call.


@dataclass
class Recipe:
    """A validated recipe: ``settings`` is the typed, resolved recipe that a run executes (``data``: as plain data)."""

    settings: RecipeSettings
    source: str

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def data(self) -> dict[str, Any]:
        """The resolved recipe as a plain dict (what the run's recipe.yaml holds)."""
        return self.settings.to_dict()

    def to_yaml(self) -> str:
        return yaml.safe_dump(_plain(self.data), sort_keys=False, default_flow_style=None)


def _plain(value: Any) -> Any:
    """Tuples (``betas: (0.9, 0.999)``) as lists: ``yaml.safe_dump`` cannot write tuples."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# -- loading ---------------------------------------------------------------------------------
def find_recipe(name_or_path: str, host: PluginHost | None = None) -> Path:
    """A path to an existing file, or the name of a registered recipe."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        hint = f" (this looks like a run directory: its recipe is {path / 'recipe.yaml'})" \
            if (path / "recipe.yaml").is_file() else ""
        raise RecipeError(f"recipe '{name_or_path}' is a directory, not a YAML file{hint}")
    if path.suffix in (".yaml", ".yml") or "/" in name_or_path:
        raise RecipeError(f"recipe file '{name_or_path}' does not exist")
    registry = (host or get_host()).registry("recipe")
    try:
        return Path(registry.get(name_or_path).factory)
    except UnknownNameError:
        raise UnknownNameError(
            f"unknown recipe '{name_or_path}'{did_you_mean(name_or_path, registry.all_names())}; "
            + (registry.missing_note or "see `robustx recipe list`")  # names a disabled recipes plugin
        ) from None


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        data = safe_yaml.load(text, source)  # alias bombs refused before they are built
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
    return parse_yaml(read_text(path), str(path)), str(path)


def read_text(path: Path) -> str:
    """A recipe file's text; a binary or unreadable file is one line, not a UnicodeDecodeError."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RecipeError(f"{path}: not a YAML text file (byte {exc.start} is not UTF-8)") from None
    except OSError as exc:
        raise RecipeError(f"cannot read recipe {path}: {exc.strerror}") from None


# -- overrides -------------------------------------------------------------------------------
def apply_overrides(recipe: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``train.epochs=1``, ``evaluate.attacks.1.eps=8/255``: values are YAML scalars/lists/mappings."""
    recipe = copy.deepcopy(recipe)
    for item in overrides:
        if "=" not in item:
            raise RecipeError(f"override '{item}' must look like key=value (e.g. train.epochs=1)")
        key, raw = item.split("=", 1)
        try:
            value = safe_yaml.load(raw, f"override {key.strip()}") if raw.strip() else ""
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
            depth == 1 and part in accepted_keys((parts[0],))
        ) or ("name" in node and last)
        if not allowed:
            choices = list(node) + (accepted_keys((parts[0],)) if depth == 1 else [])
            raise RecipeError(f"override '{key}': no key '{here}' in the recipe{did_you_mean(part, choices)}")
        if last:
            node[part] = copy.deepcopy(value)
        else:
            if not exists:
                node[part] = {}
            node = node[part]


# -- validation ------------------------------------------------------------------------------
def _augmentation(value: Any, host: PluginHost) -> Any:
    """``data.augment``: a registered augmentation; kept a bare name when it has no parameters."""
    spec = as_spec("none" if value is None else value, "data.augment")
    params = check_component(host, "augmentation", spec, "data.augment")
    return {"name": spec["name"], **params} if params else spec["name"]


def validate_loggers(value: Any, host: PluginHost) -> list[dict[str, Any]]:
    """``loggers: [tensorboard, {name: mlflow, experiment: x}]``: registered trackers whose library is installed.

    A logger's factory may carry ``check_installed()``, which raises a one-line error naming the
    extra to install, so a missing tracker stops the run before it starts, not after training.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParamError(f"loggers: expected a list of trackers (e.g. [tensorboard, mlflow]), got {short(value)}")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        where = f"loggers[{i}]"
        spec = with_defaults(host, "logger", item, where, positional=1)  # recipe.yaml shows every default
        params = {k: v for k, v in spec.items() if k != "name"}
        entry = host.registry("logger").resolve(spec["name"]).entry
        if any(o["name"] == entry.name for o in out):
            raise ParamError(f"{where}.name: '{entry.name}' is listed twice")
        check = getattr(entry.factory, "check_installed", None)
        if callable(check):
            check()
        out.append({"name": entry.name, **params})
    return out


def _check_early_stopping(recipe: RecipeSettings) -> None:
    """Early stopping must have something to monitor, or it stops silently after ``patience`` epochs."""
    es, train = recipe.train.early_stopping, recipe.train
    if not es:
        return
    if recipe.data.val_split == 0:
        raise ParamError("train.early_stopping: nothing to monitor, data.val_split is 0; "
                         "set data.val_split (e.g. 0.1) or remove early_stopping")
    attacked = train.val_attack or any(a["name"] != "clean" for a in recipe.evaluate.attacks)
    if es.metric == "val_robust_accuracy" and not attacked:
        raise ParamError("train.early_stopping.metric: val_robust_accuracy needs an attack to validate with; "
                         "set train.val_attack (e.g. {name: pgd}) or early_stopping.metric: val_accuracy")


# -- the sections' components: what the typed models hand to the resolver ----------------------
def _resolve_data(data: DataSettings, host: PluginHost) -> None:
    data.set_params(check_component(host, "dataset", {"name": data.name, **data.params}, "data",
                                     provided=DATA_PROVIDED))
    data.augment = _augmentation(data.augment, host)
    if data.extra is not None:
        data.extra = validate_extra(data.extra, host, data.root)


def _resolve_model(model: ModelSettings, host: PluginHost) -> None:
    model.set_params(check_component(host, "architecture", {"name": model.name, **model.params}, "model",
                                      provided=ARCH_PROVIDED))
    transforms = []
    for i, item in enumerate(model.transforms):
        spec = as_spec(item, f"model.transforms[{i}]")
        transforms.append({"name": spec["name"], **check_component(
            host, "transform", spec, f"model.transforms[{i}]", positional=1)})
    model.transforms = transforms


def _resolve_train(train: TrainSettings, host: PluginHost) -> None:
    train.optimizer = with_defaults(host, "optimizer", train.optimizer, "train.optimizer", positional=1)
    train.schedule = with_defaults(host, "schedule", train.schedule, "train.schedule", positional=1,
                                    provided=SCHEDULE_PROVIDED)
    train.defense = validate_defense(train.defense, "train.defense", host)
    train.val_attack = validate_attack(train.val_attack, "train.val_attack", host) if train.val_attack else None


def _resolve_evaluate(evaluate: EvaluateSettings, host: PluginHost) -> None:
    evaluate.attacks = [validate_attack(a, f"evaluate.attacks[{i}]", host) for i, a in enumerate(evaluate.attacks)]
    evaluate.certify = validate_certifiers(evaluate.certify, "evaluate.certify", host)


def _resolve_report(report: ReportSettings, host: PluginHost) -> None:
    analyses = []
    for i, item in enumerate(report.analyses):
        spec = as_spec(item, f"report.analyses[{i}]")
        analyses.append({"name": spec["name"], **check_component(host, "analysis", spec, f"report.analyses[{i}]")})
    report.analyses = analyses


def _resolve_recipe(recipe: RecipeSettings, host: PluginHost) -> None:
    recipe.loggers = validate_loggers(recipe.loggers, host)
    _check_early_stopping(recipe)
    # last: a typo anywhere is reported before missing files (which may not be downloaded)
    check_data_available(recipe.data, host)


_RESOLVE = {DataSettings: _resolve_data, ModelSettings: _resolve_model, TrainSettings: _resolve_train,
            EvaluateSettings: _resolve_evaluate, ReportSettings: _resolve_report, RecipeSettings: _resolve_recipe}


def validate(raw: dict[str, Any], source: str = "<recipe>", host: PluginHost | None = None) -> Recipe:
    """Check a whole recipe; return it typed and resolved, with every default filled in.

    The typed models (robustx.config.models) check each section's own keys; once a section is valid,
    its components are resolved against the registries here. The first problem is one line naming
    the field's path (``train.optimizer.lr: must be > 0, got -1``).
    """
    host = host or get_host()

    def resolve(section: Any) -> None:
        step = _RESOLVE.get(type(section))
        if step is not None:
            step(section, host)

    try:
        settings = RecipeSettings.model_validate(raw, context={"resolve": resolve})
    except ValidationError as exc:
        raise one_line(exc, accepted=accepted_keys, top=source) from None
    return Recipe(settings, source)
