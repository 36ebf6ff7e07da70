"""Model registry: ``register``, ``create_model``, ``list_models``, ``model_info``.

The registry is the one place a model's facts live. ``@register(FAMILY, ...)`` on a
keyword-only builder records, beside it, as data:

- what it is: its family (title, paper, year), whether it is a ``mini`` and of
  which full model, and its one-line description (the builder's docstring);
- what it must count: exact trainable and total parameters and MACs at the
  default input (``params``, ``macs``), the counts of reference implementations
  under the builder options that reproduce them (``references``), and the paper's
  own figures (``paper_params`` as quoted, ``paper_macs`` with a tolerance).

Name, default input shape and class count come from the builder itself (its
``__name__`` and signature defaults). One registry-wide test
(``tests/test_registry.py``) builds every model once and checks every number;
``convnets list`` reads the same facts from ``catalog.json`` (``convnets.catalog``)
without importing TensorFlow.

This module does not import TensorFlow either: builders are only called by
``create_model``. timm's ``create_model`` drops ``None`` options, so flags a user
did not set keep the builder's defaults; so does ours.
"""

from __future__ import annotations

import fnmatch
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from convnets.catalog import natural_key, unknown_model
from convnets.errors import ConfigError

if TYPE_CHECKING:
    from convnets.models.base import Model


@dataclass(frozen=True)
class Paper:
    """The paper a family comes from."""

    authors: str
    title: str
    year: int
    arxiv: str = ""  # arXiv id, e.g. "1512.03385"; empty for papers not on arXiv

    @property
    def url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else ""

    def cite(self) -> str:
        return f"{self.authors} {self.year}, {self.title}"


@dataclass(frozen=True)
class Family:
    """A family of architectures: one file in ``convnets/models``, one page in the docs.

    ``full`` and ``mini`` name the models whose layer tables its page shows; ``problem`` and
    ``idea`` are its row of the learning path (docs/index.md): the problem the paper answered
    and the idea the field kept from it.
    """

    name: str
    title: str
    paper: Paper
    full: str
    mini: str
    problem: str = ""
    idea: str = ""

    @property
    def year(self) -> int:
        return self.paper.year


@dataclass(frozen=True)
class Reference:
    """A reference implementation's count that ours must equal exactly.

    ``options`` are the builder options under which it holds (e.g. Keras's ResNet-50
    keeps a bias in every convolution: ``{"conv_bias": True}``).
    """

    source: str  # "torchvision", "Keras Applications", "timm", or a paper's table
    trainable: int | None = None
    total: int | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        counts = " / ".join(f"{n:,}" for n in (self.trainable, self.total) if n is not None)
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{self.source} {counts}" + (f" ({opts})" if opts else "")


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about a model before building it."""

    name: str
    family: Family
    builder: Callable[..., Model]
    input_shape: tuple[int, int, int]
    num_classes: int
    params: tuple[int, int] | None  # (trainable, total) at the default input; total adds BatchNorm statistics
    macs: int | None  # multiply-accumulates for one image at the default input
    references: tuple[Reference, ...] = ()
    paper_params: str = ""  # the paper's own parameter figure, as quoted (e.g. "0.27M (Table 6)")
    paper_macs: tuple[float, str] | None = None  # (figure, where), e.g. (3.8e9, "Table 1")
    macs_tolerance: float = 0.03  # how far our MACs may be from paper_macs; a larger gap is explained in ``note``
    note: str = ""
    mini: bool = False  # a network sized to train on a laptop CPU in minutes
    mini_of: str | None = None  # the full model it scales down, if one is registered
    top1: tuple[float, str] | None = None  # published ImageNet top-1 accuracy and its source
    own_paper: Paper | None = None  # where a family's file holds a later paper's model (MobileNet v2)

    @property
    def source(self) -> Paper:
        """The paper this model comes from."""
        return self.own_paper or self.family.paper

    @property
    def year(self) -> int:
        return self.source.year

    @property
    def paper(self) -> str:
        return self.source.cite()

    @property
    def description(self) -> str:
        doc = inspect.getdoc(self.builder) or ""
        return doc.split("\n\n")[0].replace("\n", " ") if doc else ""

    @property
    def trainable_params(self) -> int | None:
        return self.params[0] if self.params else None

    @property
    def total_params(self) -> int | None:
        return self.params[1] if self.params else None

    def _signatures(self) -> list[Callable[..., Any]]:
        """Where the options are declared: the model class's ``__init__`` (for a builder
        ``def resnet50(*, num_classes, input_shape, **options) -> ResNet``), then the builder."""
        out: list[Callable[..., Any]] = []
        if any(p.kind is p.VAR_KEYWORD for p in inspect.signature(self.builder).parameters.values()):
            cls = _hints(self.builder).get("return")
            if isinstance(cls, type):
                out.append(cls.__init__)
        return [*out, self.builder]

    @property
    def options(self) -> dict[str, Any]:
        """Builder options beyond num_classes/input_shape, with their defaults."""
        found: dict[str, Any] = {}
        for fn in self._signatures():
            for k, p in inspect.signature(fn).parameters.items():
                if k not in ("num_classes", "input_shape", "name") and p.kind is p.KEYWORD_ONLY:
                    found[k] = p.default
        return found

    def option_types(self) -> dict[str, Any]:
        """Each builder option's annotated type (``bool``, ``int``, ``float | None``, ...)."""
        hints: dict[str, Any] = {}
        for fn in self._signatures():
            hints.update(_hints(fn))
        return {k: hints.get(k, type(v) if v is not None else Any) for k, v in self.options.items()}


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001  (an annotation that cannot be resolved: fall back to the defaults' types)
        return {}


_REGISTRY: dict[str, ModelInfo] = {}
_FAMILIES: dict[str, Family] = {}


def register(
    family: Family,
    *,
    params: tuple[int, int] | None = None,
    macs: int | None = None,
    references: tuple[Reference, ...] | list[Reference] = (),
    paper_params: str = "",
    paper_macs: tuple[float, str] | None = None,
    macs_tolerance: float = 0.03,
    note: str = "",
    mini: bool = False,
    mini_of: str | None = None,
    top1: tuple[float, str] | None = None,
    paper: Paper | None = None,
    name: str | None = None,
) -> Callable[[Callable[..., Model]], Callable[..., Model]]:
    """Decorator adding a keyword-only builder and its facts to the registry.

    The model's name is the builder's ``__name__`` (or ``name``); its default input
    shape and class count are the defaults of the builder's ``input_shape`` and
    ``num_classes``. Duplicate names are refused.
    """

    def wrap(builder: Callable[..., Model]) -> Callable[..., Model]:
        model_name = name or builder.__name__
        if model_name in _REGISTRY:
            raise ValueError(f"model {model_name!r} is already registered")
        sig = inspect.signature(builder).parameters
        if "num_classes" not in sig or "input_shape" not in sig:
            raise ValueError(f"builder {model_name} must take keyword arguments num_classes and input_shape")
        bad = [k for k, p in sig.items() if p.kind not in (p.KEYWORD_ONLY, p.VAR_KEYWORD)]
        if bad:
            raise ValueError(f"builder {model_name} must be keyword-only (def {model_name}(*, ...)); "
                             f"positional: {', '.join(bad)}")
        known = _FAMILIES.setdefault(family.name, family)
        if known != family:
            raise ValueError(f"family {family.name!r} is registered with different facts")
        _REGISTRY[model_name] = ModelInfo(
            name=model_name, family=family, builder=builder,
            input_shape=tuple(sig["input_shape"].default), num_classes=int(sig["num_classes"].default),
            params=tuple(params) if params is not None else None, macs=macs, references=tuple(references),
            paper_params=paper_params, paper_macs=paper_macs, macs_tolerance=macs_tolerance, note=note,
            mini=mini or mini_of is not None, mini_of=mini_of, top1=top1, own_paper=paper,
        )
        return builder

    return wrap


def unregister(name: str) -> None:
    """Remove a model (for tests that register a throw-away model)."""
    info = _REGISTRY.pop(name)
    if not any(i.family.name == info.family.name for i in _REGISTRY.values()):
        _FAMILIES.pop(info.family.name, None)


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching a shell-style ``pattern``, in natural order."""
    if not isinstance(pattern, str):
        raise ConfigError(f"pattern must be a shell-style string such as 'resnet*', got {pattern!r}")
    return sorted((n for n in _REGISTRY if fnmatch.fnmatch(n, pattern)), key=natural_key)


def list_families() -> list[Family]:
    """Every family, in the order the papers appeared."""
    return sorted(_FAMILIES.values(), key=lambda f: (f.year, f.name))


def model_info(name: str) -> ModelInfo:
    """Registry entry for ``name``; a clear error lists the close names."""
    if not isinstance(name, str):
        raise ConfigError(f"model name must be a string, got {name!r}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise unknown_model(name, _REGISTRY) from None


def parse_input_shape(shape: Any) -> tuple[int, int, int]:
    """Accept "H,W,C", "HxWxC" or a sequence of three positive ints."""
    if isinstance(shape, str):
        parts = shape.replace("x", ",").split(",")
        try:
            shape = [int(p) for p in parts]
        except ValueError:
            raise ConfigError(f"input shape must be H,W,C (e.g. 32,32,1), got {shape!r}") from None
    try:
        items = list(shape)
    except TypeError:
        raise ConfigError(f"input shape must be three ints H,W,C, got {shape!r}") from None
    if any(isinstance(d, bool) or not isinstance(d, int) and not (hasattr(d, "__index__")) for d in items):
        raise ConfigError(f"input shape must be three ints H,W,C, got {shape!r}")
    dims = tuple(int(d) for d in items)
    if len(dims) != 3 or min(dims) < 1:
        raise ConfigError(f"input shape must be three positive ints H,W,C, got {shape!r}")
    return dims  # type: ignore[return-value]


def _type_ok(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the annotation ``hint`` (bool is not an int here, an int is a float)."""
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return any(_type_ok(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is not None:  # tuple[int, ...], dict[...]: check the container only
        return isinstance(value, origin)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def check_options(info: ModelInfo, options: dict[str, Any]) -> None:
    """Refuse unknown options and values of the wrong type, quoting the value."""
    known = info.options
    unknown = sorted(set(options) - set(known))
    if unknown:
        valid = ", ".join(sorted(known)) or "none"
        raise ConfigError(f"model {info.name!r} has no option {', '.join(unknown)}; valid options: {valid}")
    types = info.option_types()
    for key, value in options.items():
        if not _type_ok(value, types[key]):
            raise ConfigError(f"model {info.name!r}: option {key} must be {_type_name(types[key])}, "
                              f"got {value!r} ({type(value).__name__})")


def _check_num_classes(num_classes: Any) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        if not (hasattr(num_classes, "__index__") and not isinstance(num_classes, bool)):
            raise ConfigError(f"num_classes must be a positive int, got {num_classes!r} ({type(num_classes).__name__})")
    num_classes = int(num_classes)
    if num_classes < 1:
        raise ConfigError(f"num_classes must be >= 1, got {num_classes}")
    return num_classes


def create_model(name: str, num_classes: int | None = None, input_shape: Any = None, **options: Any) -> Model:
    """Build a registered model.

    Args:
      name: a name from ``list_models()``.
      num_classes: classifier outputs (the model's default if None).
      input_shape: (H, W, C) or "H,W,C" (the model's default if None). The model
        takes exactly this shape; build another to use another size.
      **options: builder options (e.g. ``alpha=0.5``, ``include_top=False``,
        ``pooling="avg"``); None values are dropped.

    Raises:
      ConfigError: unknown name or option, an option of the wrong type, an invalid
        shape, or an input too small for the network (naming the layer and the
        smallest input it takes).
    """
    info = model_info(name)
    options = {k: v for k, v in options.items() if v is not None}
    check_options(info, options)
    num_classes = info.num_classes if num_classes is None else _check_num_classes(num_classes)
    shape = info.input_shape if input_shape is None else parse_input_shape(input_shape)
    from convnets.models.base import InputTooSmall, smallest_input

    try:
        model = info.builder(num_classes=num_classes, input_shape=shape, **options)
        model.output_shape(shape)  # thread the shape through every layer: too small fails here, not in a kernel
    except InputTooSmall as e:
        from convnets.layers.base import layer_path

        where = layer_path(model, e.layer) if e.layer is not None and "model" in locals() else None
        detail = str(e)
        if where and e.layer is not None and detail.startswith(e.layer.name + " "):
            detail = where + detail[len(e.layer.name):]
        smallest = smallest_input(info, shape, options)
        raise ConfigError(f"{name}: input {'x'.join(map(str, shape))} is too small: {detail}"
                          + (f"; the smallest input it takes is {smallest}x{smallest}x{shape[2]}" if smallest else "")) from None
    model.config = {"name": name, "num_classes": num_classes, "input_shape": list(shape), "options": options}
    return model
