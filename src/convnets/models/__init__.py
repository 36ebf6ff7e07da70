"""Model families, one file each; importing this package registers them all.

Every module in this folder other than ``base`` and ``registry`` is a family and
is imported here, so adding a family is adding its file: nothing to list.
"""

import importlib
import pkgutil

from convnets import import_tensorflow

import_tensorflow()  # once, quietly, before any module below imports it

from convnets.models.base import Model  # noqa: E402
from convnets.models.registry import create_model, list_families, list_models, model_info, parse_input_shape  # noqa: E402

FAMILY_MODULES = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in ("base", "registry"))
for _module in FAMILY_MODULES:
    importlib.import_module(f"{__name__}.{_module}")  # registers the family's builders

__all__ = ["Model", "create_model", "list_families", "list_models", "model_info", "parse_input_shape"]
