"""Recipes: load YAML, apply ``key=value`` overrides, validate everything before any work starts.

Validation resolves every registry name and checks every parameter against its factory's
annotations (see ``robustx.config.params``), so a typo fails in a second with the field's path,
not after an hour of training.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import yaml

from robustx.base import safe_yaml
from robustx.config.data_source import check_data_available
from robustx.base.errors import ParamError, RecipeError, RobustxError, UnknownNameError, did_you_mean, short
from robustx.config.params import (INT_MAX, AttackSpec, Component, Range, accepted_params, coerce, parse_number,
                     validate_params)
from robustx.host.manager import PluginHost, get_host
from robustx.config.published import check_label
from robustx.config.threat import check_budget, declared_threat, resolve_threat

REQUIRED = ("name", "data", "model")
SECTIONS = ("name", "description", "seed", "data", "model", "train", "evaluate", "report", "variants", "sweep",
            "paper", "grid", "loggers")

# Core-owned keys of each section: name -> (annotation, default). Anything else in a
# component section is a parameter of the registered factory. These tables are the one source of
# the recipe's shape: validation reads them, and so does the JSON Schema (robustx.config.schema),
# which finds a key's nested table by name (``ema`` -> EMA_KEYS) and its components by their
# ``Component(kind)`` marker, so mark a component-valued key that way and it needs no schema code.
MAX_EPOCHS = 100_000  # sane upper bound: `epochs: 1.0e+18` is a typo, not a plan
DATA_KEYS: dict[str, tuple[Any, Any]] = {
    "root": (Optional[str], None),
    "download": (bool, True),  # fetched (and checksum-verified) on first use; ROBUSTX_OFFLINE=1 vetoes
    "batch_size": (Annotated[int, Range(ge=1)], 128),
    "test_batch_size": (Optional[Annotated[int, Range(ge=1)]], None),
    "val_split": (Annotated[float, Range(ge=0, lt=1)], 0.1),
    "limit": (Optional[Annotated[int, Range(ge=1)]], None),
    "test_limit": (Optional[Annotated[int, Range(ge=1)]], None),
    "augment": (Annotated[Any, Component("augmentation")], "none"),  # a registered augmentation: a name or {name: crop, padding: 2}
    "extra": (Any, None),  # a second labelled source in every batch (robustx.datasets.extra)
}
MODEL_KEYS: dict[str, tuple[Any, Any]] = {
    "transforms": (list[Annotated[Any, Component("transform")]], []),
    "weights": (Optional[str], None),
    "allow_pickle": (bool, False),
}
TRAIN_KEYS: dict[str, tuple[Any, Any]] = {
    "epochs": (Annotated[int, Range(ge=0, le=MAX_EPOCHS)], 10),
    "optimizer": (Annotated[dict, Component("optimizer")], {"name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}),
    "schedule": (Annotated[dict, Component("schedule")], {"name": "none"}),
    "defense": (Annotated[dict, Component("defense")], {"name": "standard"}),
    "val_attack": (Optional[AttackSpec], None),
    "val_limit": (Optional[Annotated[int, Range(ge=1)]], 1000),
    "early_stopping": (Optional[dict], None),
    "grad_clip": (Optional[Annotated[float, Range(gt=0)]], None),
    "track_examples": (Annotated[int, Range(ge=0)], 10),
    "precision": (Literal["fp32", "bf16", "fp16"], "fp32"),  # autocast (+ GradScaler for fp16): robustx.train.precision
    "channels_last": (bool, False),
    "compile": (bool, False),  # torch.compile of the model for the training step
    "sync_batchnorm": (bool, False),  # SyncBatchNorm under torchrun (robustx.base.distributed)
    "ema": (Optional[dict], None),  # weight averaging (robustx.train.ema): EMA_KEYS
}
EMA_KEYS: dict[str, tuple[Any, Any]] = {
    "decay": (Annotated[float, Range(gt=0, lt=1)], 0.999),
    "warmup_steps": (Annotated[int, Range(ge=0)], 0),  # optimizer steps that copy the weights before averaging
}
EARLY_STOPPING_KEYS: dict[str, tuple[Any, Any]] = {
    "patience": (Annotated[int, Range(ge=1)], 5),
    "metric": (Literal["val_robust_accuracy", "val_accuracy"], "val_robust_accuracy"),
    "min_delta": (Annotated[float, Range(ge=0)], 0.0),
}
EVALUATE_KEYS: dict[str, tuple[Any, Any]] = {
    "attacks": (list[AttackSpec], [{"name": "clean"}]),
    "limit": (Optional[Annotated[int, Range(ge=1)]], None),
    "batch_size": (Optional[Annotated[int, Range(ge=1)]], None),
    "checkpoint": (Literal["best", "last"], "best"),
    "eot_samples": (Annotated[int, Range(ge=1)], 10),
    "n_predictions": (Annotated[int, Range(ge=1)], 10),
    "audit": (Optional[Literal["quick", "full"]], None),  # robustx.evaluation.audit after the evaluation
    "precision": (Literal["fp32", "bf16", "fp16"], "fp32"),  # low precision weakens gradient attacks
    "mode": (Literal["each", "cascade"], "each"),  # cascade: attack only what is still robust (engine.cascade)
    "certify": (list[Annotated[Any, Component("certifier")]], []),  # certifiers (robustx.evaluation.certification): certified accuracy beside robust accuracy
}
REPORT_KEYS: dict[str, tuple[Any, Any]] = {"analyses": (list[Annotated[Any, Component("analysis")]], [])}

ARCH_PROVIDED = ("num_classes", "in_channels", "image_size")
SCHEDULE_PROVIDED = ("epochs", "steps_per_epoch")
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
        raise ParamError(f"{where}: expected a component like {{name: ..., ...}}, got {short(value)}")
    if "name" not in value:
        raise ParamError(f"{where}: a component needs a 'name'")
    return dict(value)


def _fill(section: dict[str, Any], keys: dict[str, tuple[Any, Any]], where: str) -> dict[str, Any]:
    """Validate and default the core-owned keys of a section; return the rest untouched."""
    out: dict[str, Any] = {}
    for key, (tp, default) in keys.items():
        out[key] = coerce(section[key], tp, f"{where}.{key}") if key in section else copy.deepcopy(default)
    return out


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParamError(f"{where}: expected a mapping like {{decay: 0.999}}, got {value!r}")
    return dict(value)


def _check_plain(section: dict[str, Any], keys: dict[str, tuple[Any, Any]], where: str) -> dict[str, Any]:
    unknown = [k for k in section if k not in keys]
    if unknown:
        raise ParamError(f"{where}.{unknown[0]}: unknown key{did_you_mean(unknown[0], keys)}; "
                         f"accepted: {', '.join(keys)}")
    return _fill(section, keys, where)


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

    Parameters that hold component specs (see ``robustx.config.params.nested_kind``) are validated too,
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


def _check_early_stopping(out: dict[str, Any]) -> None:
    """Early stopping must have something to monitor, or it stops silently after ``patience`` epochs."""
    es, train = out["train"]["early_stopping"], out["train"]
    if not es:
        return
    if out["data"]["val_split"] == 0:
        raise ParamError("train.early_stopping: nothing to monitor, data.val_split is 0; "
                         "set data.val_split (e.g. 0.1) or remove early_stopping")
    attacked = train["val_attack"] or any(a["name"] != "clean" for a in out["evaluate"]["attacks"])
    if es["metric"] == "val_robust_accuracy" and not attacked:
        raise ParamError("train.early_stopping.metric: val_robust_accuracy needs an attack to validate with; "
                         "set train.val_attack (e.g. {name: pgd}) or early_stopping.metric: val_accuracy")


def validate(raw: dict[str, Any], source: str = "<recipe>", host: PluginHost | None = None) -> Recipe:
    """Check a whole recipe; return it resolved, with every default filled in."""
    host = host or get_host()
    unknown = [k for k in raw if k not in SECTIONS]
    if unknown:
        raise RecipeError(f"{unknown[0]}: unknown top-level key{did_you_mean(unknown[0], SECTIONS)}; "
                          f"accepted: {', '.join(SECTIONS)}")
    for required in REQUIRED:
        if required not in raw:
            raise RecipeError(f"{source}: missing required key '{required}'")
    out: dict[str, Any] = {
        "name": coerce(raw["name"], str, "name"),
        "description": coerce(raw.get("description", ""), str, "description"),
        "seed": coerce(raw.get("seed", 0), Annotated[int, Range(ge=0, le=INT_MAX)], "seed"),  # torch's int64
    }

    data = _component(raw["data"], "data")
    core = {k: data.pop(k) for k in list(data) if k in DATA_KEYS}
    out["data"] = {"name": data["name"], **_fill(core, DATA_KEYS, "data"),
                   **_check_component(host, "dataset", data, "data", provided=DATA_PROVIDED)}
    out["data"]["augment"] = _augmentation(out["data"]["augment"], host)
    if out["data"]["extra"] is not None:
        from robustx.config.extra_data import validate_extra

        out["data"]["extra"] = validate_extra(out["data"]["extra"], host, out["data"]["root"])

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
                                                            "early_stopping", "ema")}, TRAIN_KEYS, "train")
    t["optimizer"] = _with_defaults(host, "optimizer", train.get("optimizer", TRAIN_KEYS["optimizer"][1]),
                                    "train.optimizer", positional=1)
    t["schedule"] = _with_defaults(host, "schedule", train.get("schedule", "none"), "train.schedule",
                                   positional=1, provided=SCHEDULE_PROVIDED)
    t["defense"] = validate_defense(train.get("defense", "standard"), "train.defense", host)
    t["val_attack"] = (validate_attack(train["val_attack"], "train.val_attack", host)
                       if train.get("val_attack") else None)
    t["early_stopping"] = (_check_plain(dict(train["early_stopping"]), EARLY_STOPPING_KEYS, "train.early_stopping")
                           if train.get("early_stopping") else None)
    t["ema"] = _check_plain(_mapping(train["ema"], "train.ema"), EMA_KEYS, "train.ema") if train.get("ema") else None
    out["train"] = t

    evaluate = dict(raw.get("evaluate") or {})
    ev = _check_plain({k: v for k, v in evaluate.items()}, EVALUATE_KEYS, "evaluate")
    if not isinstance(ev["attacks"], list) or not ev["attacks"]:
        raise ParamError("evaluate.attacks: expected a non-empty list of attacks (e.g. [clean, {name: pgd}])")
    ev["attacks"] = [validate_attack(a, f"evaluate.attacks[{i}]", host) for i, a in enumerate(ev["attacks"])]
    from robustx.config.certifiers import validate_certifiers

    ev["certify"] = validate_certifiers(ev["certify"], "evaluate.certify", host)
    out["evaluate"] = ev

    report = _check_plain(dict(raw.get("report") or {}), REPORT_KEYS, "report")
    analyses = []
    for i, item in enumerate(report["analyses"]):
        spec = _component(item, f"report.analyses[{i}]")
        analyses.append({"name": spec["name"], **_check_component(host, "analysis", spec, f"report.analyses[{i}]")})
    out["report"] = {"analyses": analyses}
    out["loggers"] = validate_loggers(raw.get("loggers"), host)
    _check_early_stopping(out)
    # last: a typo anywhere is reported before missing files (which may not be downloaded)
    check_data_available(out["data"], host)
    return Recipe(out, source)
