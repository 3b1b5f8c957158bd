"""The typed recipe: pydantic v2 models of every section, and the one place the recipe's defaults are written.

``robustx.config.recipe.validate`` returns a :class:`RecipeSettings`; a run reads it by attribute
(``cfg.train.val_limit``), never by string keys. The models check what they own themselves
(unknown keys: ``extra="forbid"``; types, bounds and choices; ``allow_inf_nan=False``), with the
robustx reading of values of :mod:`robustx.config.params` (``8/255``, strict booleans, 64-bit integers).

What needs the plugin registries (component specs: a dataset's or an attack's parameters, the
threat-model budget) is not known here: each section, once its own fields are valid, hands itself
to the ``resolve`` callable in the validation context (``robustx.config.recipe`` provides it), which
checks and fills in its components. Without a context (a saved run's recipe read back by
:func:`saved_settings`) the models check structure only.

Component-valued fields are marked :func:`Spec` (``Component(kind)``): the JSON Schema
(:mod:`robustx.config.schema`) describes them from the registered factories.
"""

from __future__ import annotations

import types
import typing
import warnings
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, WithJsonSchema, field_validator, model_validator

from robustx.base.errors import ParamError, short
from robustx.config.markers import INT_MAX, Component, Range
from robustx.config.params import CONFIG, Bool, Str, carry, one_line, typed

MAX_EPOCHS = 100_000  # sane upper bound: `epochs: 1.0e+18` is a typo, not a plan
Precision = Literal["fp32", "bf16", "fp16"]
Count = typed(Annotated[int, Range(ge=1)])
#: what a component-valued field is in the models' JSON Schema, until robustx.config.schema fills in its registry
PLACEHOLDER = "x-robustx-component"


def Spec(kind: str) -> Any:  # noqa: N802 - reads as a type in the field declarations below
    """A component spec of registry ``kind`` (a name or ``{name: ..., **params}``), checked by the resolver."""
    return Annotated[Any, Component(kind), WithJsonSchema({PLACEHOLDER: kind})]


#: component-valued fields, by registry kind
AnalysisSpec = Spec("analysis")
AttackSpec = Spec("attack")
AugmentationSpec = Spec("augmentation")
CertifierSpec = Spec("certifier")
DefenseSpec = Spec("defense")
LoggerSpec = Spec("logger")
OptimizerSpec = Spec("optimizer")
ScheduleSpec = Spec("schedule")
TransformSpec = Spec("transform")


class Section(BaseModel):
    """A recipe section: unknown keys refused, every default validated (and resolved) like a given value."""

    model_config = ConfigDict(**CONFIG, extra="forbid", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, value: Any, info: ValidationInfo) -> Any:
        """``section: null`` is the section's defaults; a saved recipe read back drops keys this robustx lacks."""
        if value is None:
            return {}
        if isinstance(value, dict) and (info.context or {}).get("lenient") and cls.model_config.get("extra") == "forbid":
            return {k: v for k, v in value.items() if k in cls.model_fields}
        return value

    @model_validator(mode="after")
    def _resolve(self, info: ValidationInfo) -> Any:
        resolve = (info.context or {}).get("resolve")
        if resolve is not None:
            carry(resolve, self)
        return self

    @property
    def params(self) -> dict[str, Any]:
        """A component section's factory parameters: every key that is not robustx's own (none elsewhere)."""
        return dict(self.model_extra or {})

    def set_params(self, params: dict[str, Any]) -> None:
        self.__pydantic_extra__ = dict(params)


class ComponentSection(Section):
    """A section that is also a component (``data``: a dataset, ``model``: an architecture).

    Its own keys are fields; every other key is a parameter of the registered factory, kept in
    :attr:`params` (checked against the factory's signature by the resolver).
    """

    model_config = ConfigDict(extra="allow")

    name: Str

    @model_validator(mode="before")
    @classmethod
    def _component(cls, value: Any) -> Any:
        where = cls.__name__.removesuffix("Settings").lower()
        if isinstance(value, str):
            return {"name": value}
        if not isinstance(value, dict):
            carry(_raise, ParamError(f"{where}: expected a component like {{name: ..., ...}}, got {short(value)}"))
        if "name" not in value:
            carry(_raise, ParamError(f"{where}: a component needs a 'name'"))
        return value


def _raise(error: Exception) -> None:
    raise error


class ExtraSettings(Section):
    """``data.extra``: a second labelled source in every batch (robustx.datasets.extra): a registered dataset
    (``name``, its parameters beside) or a tensor file or image folder (``path``)."""

    model_config = ConfigDict(extra="allow")

    name: Optional[Str] = None
    path: Optional[Str] = None
    fraction: typed(Annotated[float, Range(gt=0, lt=1)]) = 0.7
    limit: Optional[Count] = None
    optional: Bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):  # `extra: generated.safetensors` or `extra: cifar5m`
            return {"path": value} if ("/" in value or value.endswith(TENSOR_SUFFIXES)) else {"name": value}
        if value is not None and not isinstance(value, dict):
            carry(_raise, ParamError("data.extra: expected a mapping like {path: generated.safetensors, "
                                     f"fraction: 0.7}}, got {short(value)}"))
        return value


TENSOR_SUFFIXES = (".safetensors", ".npz")


class DataSettings(ComponentSection):
    """``data``: a registered dataset and the core's split, batch and limit keys."""

    root: Optional[Str] = None
    download: Bool = True  # fetched (and checksum-verified) on first use; ROBUSTX_OFFLINE=1 vetoes
    batch_size: Count = 128
    test_batch_size: Optional[Count] = None
    val_split: typed(Annotated[float, Range(ge=0, lt=1)]) = 0.1
    limit: Optional[Count] = None
    test_limit: Optional[Count] = None
    augment: AugmentationSpec = "none"  # a registered augmentation: a name or {name: crop, padding: 2}
    extra: Optional[ExtraSettings] = None  # a second labelled source in every batch (robustx.datasets.extra)


class ModelSettings(ComponentSection):
    """``model``: a registered architecture, its transforms and the weights to start from."""

    transforms: list[TransformSpec] = []
    weights: Optional[Str] = None
    allow_pickle: Bool = False


class EarlyStoppingSettings(Section):
    patience: Count = 5
    metric: Literal["val_robust_accuracy", "val_accuracy"] = "val_robust_accuracy"
    min_delta: typed(Annotated[float, Range(ge=0)]) = 0.0


class EMASettings(Section):
    """``train.ema``: weight averaging (robustx.train.ema)."""

    decay: typed(Annotated[float, Range(gt=0, lt=1)]) = 0.999
    warmup_steps: typed(Annotated[int, Range(ge=0)]) = 0  # optimizer steps that copy the weights before averaging


class TrainSettings(Section):
    epochs: typed(Annotated[int, Range(ge=0, le=MAX_EPOCHS)]) = 10
    optimizer: OptimizerSpec = {"name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}
    schedule: ScheduleSpec = "none"
    defense: DefenseSpec = "standard"
    val_attack: Optional[AttackSpec] = None
    val_limit: Optional[Count] = 1000
    early_stopping: Optional[EarlyStoppingSettings] = None
    grad_clip: Optional[typed(Annotated[float, Range(gt=0)])] = None
    track_examples: typed(Annotated[int, Range(ge=0)]) = 10
    precision: Precision = "fp32"  # autocast (+ GradScaler for fp16): robustx.train.precision
    channels_last: Bool = False
    compile: Bool = False  # torch.compile of the model for the training step
    sync_batchnorm: Bool = False  # SyncBatchNorm under torchrun (robustx.base.distributed)
    ema: Optional[EMASettings] = None

    @field_validator("val_attack", "early_stopping", "ema", mode="before")
    @classmethod
    def _off_when_empty(cls, value: Any) -> Any:
        return value if value else None  # `early_stopping: {}` (or null, or false) is off


class EvaluateSettings(Section):
    """``evaluate``: the attacks on the test split and how they run.

    Its defaults are the evaluation's defaults everywhere (``robustx.evaluate``, ``robustx eval``,
    the audit): read them with :func:`evaluation_default`.
    """

    attacks: list[AttackSpec] = [{"name": "clean"}]
    limit: Optional[Count] = None
    batch_size: Optional[Count] = None
    checkpoint: Literal["best", "last"] = "best"
    eot_samples: Count = 10
    n_predictions: Count = 10
    audit: Optional[Literal["quick", "full"]] = None  # robustx.evaluation.audit after the evaluation
    precision: Precision = "fp32"  # low precision weakens gradient attacks
    mode: Literal["each", "cascade"] = "each"  # cascade: attack only what is still robust (engine.cascade)
    certify: list[CertifierSpec] = []  # certifiers (robustx.evaluation.certification): certified accuracy beside robust

    @field_validator("attacks", mode="before")
    @classmethod
    def _some_attacks(cls, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            carry(_raise, ParamError("evaluate.attacks: expected a non-empty list of attacks "
                                     "(e.g. [clean, {name: pgd}])"))
        return value

    @field_validator("certify", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


#: the batch size of an evaluation that names none (and of a recipe with no data.batch_size to fall back on)
EVAL_BATCH_SIZE = 256


def evaluation_default(key: str) -> Any:
    """The default of ``evaluate.KEY`` (``eot_samples``, ``n_predictions``, ``mode``...): written once, above."""
    return EvaluateSettings.model_fields[key].default


class ReportSettings(Section):
    analyses: list[AnalysisSpec] = []


class RecipeSettings(Section):
    """A whole recipe. Study keys (``variants``, ``sweep``, ``grid``, ``paper``) are expanded before
    validation (robustx.runs.study) and are not part of the resolved recipe."""

    name: Str
    description: Str = ""
    seed: typed(Annotated[int, Range(ge=0, le=INT_MAX)]) = 0  # torch's int64
    data: DataSettings
    model: ModelSettings
    train: TrainSettings = {}  # type: ignore[assignment] - validated into the defaults (validate_default)
    evaluate: EvaluateSettings = {}  # type: ignore[assignment]
    report: ReportSettings = {}  # type: ignore[assignment]
    variants: Any = Field(default=None, exclude=True)
    sweep: Any = Field(default=None, exclude=True)
    paper: Any = Field(default=None, exclude=True)
    grid: Any = Field(default=None, exclude=True)
    loggers: list[LoggerSpec] = []

    @field_validator("loggers", mode="before")
    @classmethod
    def _no_loggers(cls, value: Any) -> Any:
        return [] if value is None else value

    def to_dict(self) -> dict[str, Any]:
        """The resolved recipe as plain data (what recipe.yaml of a run holds)."""
        return self.model_dump()

    def __getitem__(self, key: str) -> Any:
        """``recipe["train"]`` of a third-party run-event listener written for the untyped recipe: plain data, deprecated."""
        return self._untyped()[key]

    def get(self, key: str, default: Any = None) -> Any:
        """``recipe.get("loggers")`` of a listener written for the untyped recipe (see ``__getitem__``)."""
        return self._untyped().get(key, default)

    def _untyped(self) -> dict[str, Any]:
        warnings.warn("the recipe is typed: read recipe.train.epochs (recipe.to_dict() for plain data)",
                      DeprecationWarning, stacklevel=3)
        return self.to_dict()


#: top-level keys, in the order validation reads them
SECTIONS = tuple(RecipeSettings.model_fields)
REQUIRED = tuple(n for n, f in RecipeSettings.model_fields.items() if f.is_required())
#: the model class of each section (``train`` -> TrainSettings)
SECTION_MODELS: dict[str, type[Section]] = {n: f.annotation for n, f in RecipeSettings.model_fields.items()
                                            if isinstance(f.annotation, type) and issubclass(f.annotation, Section)}


def model_at(loc: tuple[Any, ...], root: type[BaseModel] = RecipeSettings) -> type[BaseModel] | None:
    """The model class found at pydantic location ``loc`` (``('train', 'ema')`` -> EMASettings)."""
    cls: Any = root
    for part in loc:
        if not isinstance(part, str) or cls is None or part not in getattr(cls, "model_fields", {}):
            return None
        tp = cls.model_fields[part].annotation
        options = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
        cls = next((o for o in options if isinstance(o, type) and issubclass(o, BaseModel)), None)
    return cls


def accepted_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys accepted at ``loc`` of a recipe (for an unknown key's did-you-mean and list)."""
    cls = model_at(loc)
    if cls is None:
        return []
    return list(cls.model_fields)


def read_section(cls: type[Section], value: Any, where: str) -> Any:
    """A mapping read into section model ``cls`` (structure only, no registries), errors as one line naming ``where``."""
    from pydantic import ValidationError  # lazy: loads pydantic

    if isinstance(value, cls):
        return value
    try:
        return cls.model_validate(value)
    except ValidationError as exc:
        raise one_line(exc, where, accepted=lambda loc: list(getattr(model_at(loc, cls), "model_fields", {}))) from None


def saved_settings(raw: dict[str, Any], source: str = "recipe.yaml") -> RecipeSettings:
    """A saved run's recipe.yaml, typed: values checked, keys an older or newer robustx wrote dropped, what it
    lacks defaulted, components taken as saved (they were resolved when the run started)."""
    from pydantic import ValidationError  # lazy: loads pydantic

    raw = dict(raw or {})
    raw.setdefault("name", "")
    for key in ("data", "model"):
        section = raw.get(key)
        section = {"name": section} if isinstance(section, str) else dict(section or {})
        section.setdefault("name", "")
        raw[key] = section
    try:
        return RecipeSettings.model_validate(raw, context={"lenient": True})
    except ValidationError as exc:
        raise one_line(exc, f"{source}:", accepted=accepted_keys) from None
