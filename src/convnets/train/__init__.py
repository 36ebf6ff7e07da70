"""Training: config, loop, checkpoints, losses and metrics.

The names below are loaded on first use, as ``convnets``'s own are, so that
``convnets.train.config`` (``TrainConfig``, which the command line's parser reads)
imports without TensorFlow. Every module here that uses TensorFlow imports it
through ``convnets.import_tensorflow``: once, quietly.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it; loaded on first access (PEP 562).
_LAZY = {
    "TrainConfig": "convnets.train.config", "TrainingDiverged": "convnets.train.loop",
    "evaluate_dataset": "convnets.train.loop", "train": "convnets.train.loop",
    "load_run": "convnets.train.checkpoint", "read_config": "convnets.train.checkpoint",
}

__all__ = list(_LAZY)

# Modules, imported on first access too (``convnets.train.checkpoint`` after ``import convnets.train``).
_SUBMODULES = ("checkpoint", "config", "distribute", "loop", "losses", "metrics", "precision", "run_dir", "state")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'convnets.train' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))
