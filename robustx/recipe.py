"""Recipes: load YAML, apply ``key=value`` overrides, validate everything before any work starts.

Validation resolves every registry name and checks every parameter against its factory's
annotations (see ``robustx.params``), so a typo fails in a second with the field's path,
not after an hour of training.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import ValidationError

from . import safe_yaml
from .data import check_data_available
from .errors import ParamError, RecipeError, RobustxError, UnknownNameError, did_you_mean, short
from .params import Range, accepted_params, coerce, one_line, parse_number, validate_params
from .plugins import PluginHost, get_host
from .published import check_label
from .recipe_models import REQUIRED  # noqa: F401 - re-exported: the keys a recipe must have
from .recipe_models import (SECTIONS, DataSettings, EvaluateSettings, ModelSettings, RecipeSettings, ReportSettings,
                            TrainSettings, accepted_keys)
from .threat import check_budget, declared_threat, resolve_threat

# The recipe's shape (sections, keys, types, defaults) is the typed models of robustx.recipe_models;
# validation reads them, and so does the JSON Schema (robustx.recipe_schema). What needs the
# registries (component specs, budgets) is checked here, by the resolver the models call.
ARCH_PROVIDED = ("num_classes", "in_channels", "image_size")
SCHEDULE_PROVIDED = ("epochs", "steps_per_epoch")
DATA_PROVIDED = ("root", "download")


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
            "see `robustx recipe list`"
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
def _component(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        return {"name": value}
    if not isinstance(value, dict):
        raise ParamError(f"{where}: expected a component like {{name: ..., ...}}, got {short(value)}")
    if "name" not in value:
        raise ParamError(f"{where}: a component needs a 'name'")
    return dict(value)


def _with_defaults(host: PluginHost, kind: str, spec: Any, where: str, *, positional: int = 0,
                   provided: tuple[str, ...] = ()) -> dict[str, Any]:
    """A validated component with every factory default written out (the run's recipe.yaml shows them)."""
    spec = _component(spec, where)
    params = _check_component(host, kind, spec, where, positional=positional, provided=provided)
    named, _ = accepted_params(host.registry(kind).get(spec["name"]).factory, positional)
    ordered = {n: params[n] if n in params else copy.deepcopy(p.default) for n, p in named.items()
               if n in params or (n not in provided and p.default is not inspect.Parameter.empty)}
    return {"name": spec["name"], **ordered, **params}


def _augmentation(value: Any, host: PluginHost) -> Any:
    """``data.augment``: a registered augmentation; kept a bare name when it has no parameters."""
    spec = _component("none" if value is None else value, "data.augment")
    params = _check_component(host, "augmentation", spec, "data.augment")
    return {"name": spec["name"], **params} if params else spec["name"]


def validate_attack(spec: Any, where: str, host: PluginHost) -> dict[str, Any]:
    spec = _component(spec, where)
    label = spec.pop("label", None)
    if label is not None and not isinstance(label, str):
        raise ParamError(f"{where}.label: expected a string (the column title in tables), got {short(label)}")
    labelled = {"label": label} if label else {}
    restarts = _count(spec.pop("restarts", 1), f"{where}.restarts", "runs of the attack, worst kept")
    eot_samples = spec.pop("eot_samples", None)
    if eot_samples is not None:
        eot_samples = _count(eot_samples, f"{where}.eot_samples",
                             "noise draws averaged per attack gradient on a randomized model; 1 = no EOT")
    if spec["name"] == "clean":
        if len(spec) > 1 or restarts != 1 or eot_samples is not None:
            raise ParamError(f"{where}: the 'clean' pseudo-attack takes no parameters")
        return {**spec, **labelled}
    _check_budget_first(host, spec, where)
    params = _check_component(host, "attack", spec, where, positional=1)
    resolved = host.registry("attack").resolve(spec["name"])
    _check_attack_budget(resolved, params, where)
    if label:
        registry = host.registry("attack")
        check_label(label, spec["name"], resolved.entry.factory, (registry.get(n).factory for n in registry.names()),
                    where)
    if restarts != 1:
        _check_restarts(resolved, params, where)
        labelled["restarts"] = restarts
    if eot_samples is not None:
        labelled["eot_samples"] = eot_samples
    return {"name": spec["name"], **params, **labelled}


def _count(value: Any, where: str, meaning: str) -> int:
    """A whole number >= 1, read the way every integer parameter is (``coerce``), with what it counts."""
    try:
        return coerce(value, Annotated[int, Range(ge=1)], where)
    except ParamError:
        raise ParamError(f"{where}: expected a whole number >= 1 ({meaning}), got {short(value)}") from None


def _check_restarts(resolved: Any, params: dict[str, Any], where: str) -> None:
    """``restarts: N`` needs a seeded, bounded attack: each restart runs with the next seed."""
    if "seed" not in inspect.signature(resolved.entry.factory).parameters:
        raise ParamError(f"{where}.restarts: attack {resolved.entry.name!r} takes no seed, so its restarts would "
                         "not differ; use an attack with a random start and a seed (e.g. pgd)")
    threat = resolve_threat(resolved.entry.factory, {**resolved.implied, **params})
    if threat and threat.get("minimum_norm"):
        raise ParamError(f"{where}.restarts: {resolved.entry.name!r} is a minimum-norm attack; restarts apply "
                         "to attacks with a fixed budget (eps)")


def _check_budget_first(host: PluginHost, spec: dict[str, Any], where: str) -> None:
    """A budget beyond the [0,1] range is reported by the threat rule before a factory's own bound, so
    ``eps: 8`` gets "did you mean 8/255?" from every Linf attack, not "must be <= 1" from some."""
    try:
        resolved = host.registry("attack").resolve(spec["name"])
    except RobustxError:
        return  # an unknown name is reported with its field by _check_component
    declared = declared_threat(resolved.entry.factory)
    if declared is None or declared.eps_param not in spec:
        return
    try:
        numbers = {k: parse_number(v, f"{where}.{k}") for k, v in spec.items() if k != "name"}
    except ParamError:
        return  # '8/0' and friends: the parameter check words it
    eps = numbers[declared.eps_param]
    if isinstance(eps, (int, float)) and not isinstance(eps, bool) and 1 < eps < float("inf"):
        _check_attack_budget(resolved, numbers, where)


def _check_attack_budget(resolved: Any, params: dict[str, Any], where: str) -> None:
    """Bound eps by its norm and the [0,1] data range, from the attack's one threat declaration."""
    threat = resolve_threat(resolved.entry.factory, {**resolved.implied, **params})
    if threat and "eps" in threat:
        check_budget(threat["norm"], threat["eps"], f"{where}.{declared_threat(resolved.entry.factory).eps_param}")


def _nested(host: PluginHost) -> Any:
    """The validator for component specs inside parameters (a defense's ``attack``, an analysis's ``attacks``)."""
    def check(kind: str, value: Any, where: str) -> Any:
        if kind == "attack":
            return validate_attack(value, where, host)
        spec = _component(value, where)
        return {"name": spec["name"], **_check_component(host, kind, spec, where)}
    return check


def _check_component(host: PluginHost, kind: str, spec: dict[str, Any], where: str, *,
                     positional: int = 0, provided: tuple[str, ...] = ()) -> dict[str, Any]:
    """Resolve ``spec['name']`` in the ``kind`` registry and validate the remaining keys as its params.

    Parameters that hold component specs (see ``robustx.params.nested_kind``) are validated too,
    for built-in and third-party factories alike.
    """
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
                           provided=provided + tuple(resolved.implied), nested=_nested(host))


def validate_defense(spec: Any, where: str, host: PluginHost) -> dict[str, Any]:
    spec = _component(spec, where)
    return {"name": spec["name"], **_check_component(host, "defense", spec, where)}


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
        spec = _with_defaults(host, "logger", item, where, positional=1)  # recipe.yaml shows every default
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
    data.set_params(_check_component(host, "dataset", {"name": data.name, **data.params}, "data",
                                     provided=DATA_PROVIDED))
    data.augment = _augmentation(data.augment, host)
    if data.extra is not None:
        from .extra_data import validate_extra

        data.extra = validate_extra(data.extra, host, data.root)


def _resolve_model(model: ModelSettings, host: PluginHost) -> None:
    model.set_params(_check_component(host, "architecture", {"name": model.name, **model.params}, "model",
                                      provided=ARCH_PROVIDED))
    transforms = []
    for i, item in enumerate(model.transforms):
        spec = _component(item, f"model.transforms[{i}]")
        transforms.append({"name": spec["name"], **_check_component(
            host, "transform", spec, f"model.transforms[{i}]", positional=1)})
    model.transforms = transforms


def _resolve_train(train: TrainSettings, host: PluginHost) -> None:
    train.optimizer = _with_defaults(host, "optimizer", train.optimizer, "train.optimizer", positional=1)
    train.schedule = _with_defaults(host, "schedule", train.schedule, "train.schedule", positional=1,
                                    provided=SCHEDULE_PROVIDED)
    train.defense = validate_defense(train.defense, "train.defense", host)
    train.val_attack = validate_attack(train.val_attack, "train.val_attack", host) if train.val_attack else None


def _resolve_evaluate(evaluate: EvaluateSettings, host: PluginHost) -> None:
    from .certification import validate_certifiers

    evaluate.attacks = [validate_attack(a, f"evaluate.attacks[{i}]", host) for i, a in enumerate(evaluate.attacks)]
    evaluate.certify = validate_certifiers(evaluate.certify, "evaluate.certify", host)


def _resolve_report(report: ReportSettings, host: PluginHost) -> None:
    analyses = []
    for i, item in enumerate(report.analyses):
        spec = _component(item, f"report.analyses[{i}]")
        analyses.append({"name": spec["name"], **_check_component(host, "analysis", spec, f"report.analyses[{i}]")})
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

    The typed models (robustx.recipe_models) check each section's own keys; once a section is valid,
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
