"""torchvision as a reference for tests, where it imports.

The torchvision wheel the package registry serves is built against another torch:
its C extension (NMS, RoI align, deformable convolution) does not load beside the
CPU torch installed here, and ``import torchvision`` then fails registering fake
kernels for ``torchvision::nms``. Classification models use none of those ops, so
declaring their schemas (no kernels) before the import makes it succeed.
``torchvision()`` returns the module, or None when torch or torchvision is not
installed or still does not import; tests skip on None.
"""

from __future__ import annotations

import importlib
from typing import Any

# The operators torchvision registers fake (meta) kernels for at import time.
_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)

_CACHE: dict[str, Any] = {}
_LIBRARIES: list[Any] = []  # a Library's definitions live as long as the object


def torchvision() -> Any:
    """The torchvision module (classification models usable), or None."""
    if "tv" in _CACHE:
        return _CACHE["tv"]
    try:
        import torch
    except ImportError:
        _CACHE["tv"] = None
        return None
    try:
        module = importlib.import_module("torchvision")
    except ImportError:
        module = None
    except RuntimeError:  # "operator torchvision::nms does not exist": declare the schemas, try again
        import sys

        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        try:
            lib = torch.library.Library("torchvision", "DEF")
            for schema in _SCHEMAS:
                lib.define(schema)
            _LIBRARIES.append(lib)
            module = importlib.import_module("torchvision")
        except Exception:  # noqa: BLE001  (any other failure: no reference, the tests skip)
            module = None
    _CACHE["tv"] = module
    return module
