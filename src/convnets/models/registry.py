"""Model registry: ``register``, ``create_model``, ``list_models``.

Builders are keyword-only functions ``(*, num_classes, input_shape, **options)``
registered with their default input shape and number of classes (timm's
``create_model`` and torchvision's builders). ``None`` options are dropped, so
flags a user did not set keep the builder's defaults.
"""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from convnets.errors import ConfigError
from convnets.models.base import Model


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about a model before building it."""

    name: str
    family: str
    builder: Callable[..., Model]
    input_shape: tuple[int, int, int]
    num_classes: int
    paper: str

    @property
    def description(self) -> str:
        doc = inspect.getdoc(self.builder) or ""
        return doc.splitlines()[0] if doc else ""

    @property
    def options(self) -> dict[str, Any]:
        """Builder options beyond num_classes/input_shape, with their defaults."""
        params = inspect.signature(self.builder).parameters
        return {
            k: p.default
            for k, p in params.items()
            if k not in ("num_classes", "input_shape") and p.kind is p.KEYWORD_ONLY
        }


_REGISTRY: dict[str, ModelInfo] = {}


def register(
    name: str, *, family: str, input_shape: tuple[int, int, int], num_classes: int = 1000, paper: str = ""
) -> Callable[[Callable[..., Model]], Callable[..., Model]]:
    """Decorator adding a builder to the registry; duplicate names are refused."""

    def wrap(builder: Callable[..., Model]) -> Callable[..., Model]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        _REGISTRY[name] = ModelInfo(name, family, builder, tuple(input_shape), num_classes, paper)
        return builder

    return wrap


def register_variant(
    name: str, builder: Callable[..., Model], doc: str, *, family: str, input_shape: tuple[int, int, int],
    num_classes: int = 1000, paper: str = ""
) -> None:
    """Register one of a family's generated builders (e.g. each depth of Table 1) under ``name``."""
    builder.__name__, builder.__doc__ = name, doc
    register(name, family=family, input_shape=input_shape, num_classes=num_classes, paper=paper)(builder)


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching a shell-style ``pattern``, sorted."""
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def model_info(name: str) -> ModelInfo:
    """Registry entry for ``name``; a clear error lists the known names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        close = [n for n in _REGISTRY if name.lower() in n or n in name.lower()]
        hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
        raise ConfigError(
            f"unknown model {name!r}{hint}; run 'convnets list' to see all {len(_REGISTRY)} models"
        ) from None


def parse_input_shape(shape: Any) -> tuple[int, int, int]:
    """Accept "H,W,C", "HxWxC" or a sequence of three positive ints."""
    if isinstance(shape, str):
        parts = shape.replace("x", ",").split(",")
        try:
            shape = [int(p) for p in parts]
        except ValueError:
            raise ConfigError(f"input shape must be H,W,C (e.g. 32,32,1), got {shape!r}") from None
    try:
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ConfigError(f"input shape must be three ints H,W,C, got {shape!r}") from None
    if len(dims) != 3 or min(dims) < 1:
        raise ConfigError(f"input shape must be three positive ints H,W,C, got {shape!r}")
    return dims  # type: ignore[return-value]


def create_model(
    name: str, num_classes: int | None = None, input_shape: Any = None, **options: Any
) -> Model:
    """Build a registered model.

    Args:
      name: a name from ``list_models()``.
      num_classes: classifier outputs (the model's default if None).
      input_shape: (H, W, C) or "H,W,C" (the model's default if None).
      **options: builder options (e.g. ``alpha=0.5``); None values are dropped.

    Raises:
      ConfigError: unknown name or option, or an invalid shape.
    """
    info = model_info(name)
    options = {k: v for k, v in options.items() if v is not None}
    known = info.options
    unknown = sorted(set(options) - set(known))
    if unknown:
        valid = ", ".join(sorted(known)) or "none"
        raise ConfigError(f"model {name!r} has no option {', '.join(unknown)}; valid options: {valid}")
    num_classes = info.num_classes if num_classes is None else int(num_classes)
    if num_classes < 1:
        raise ConfigError(f"num_classes must be >= 1, got {num_classes}")
    shape = info.input_shape if input_shape is None else parse_input_shape(input_shape)
    model = info.builder(num_classes=num_classes, input_shape=shape, **options)
    model.config = {"name": name, "num_classes": num_classes, "input_shape": list(shape), "options": options}
    return model
