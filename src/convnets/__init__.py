"""convnets: classic convolutional networks rebuilt from their papers with
TensorFlow's low-level API (``tf.Module``, ``tf.Variable``, ``tf.nn``).

The public names (``create_model``, ``list_models``, ``load_run``, ...) are loaded
on first use, so ``import convnets`` and the command line's ``--help`` and ``list``
do not pay TensorFlow's start-up (over 10 s on a 2-core machine).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

# oneDNN kernels for convolutions, pooling and batch norm: TensorFlow turns them on
# by default only on CPUs with AVX-512-class features, and falls back to Eigen's
# elsewhere (AMD EPYC, older Intel), where training here runs 1.2x (ResNet-20) to
# 3-4x (LeNet-5) slower (benchmarks/NOTES.md). Read once, when TensorFlow is first
# imported: set TF_ENABLE_ONEDNN_OPTS=0 before importing convnets to turn them off.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
# TensorFlow's C++ start-up logging (CUDA probing on CPU-only machines) drowns
# our output; set TF_CPP_MIN_LOG_LEVEL=0 to see it again.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"


class _NoKerasYet:
    """A meta-path finder that declines ``keras`` while TensorFlow starts. TensorFlow's
    ``__init__`` imports Keras's optimizers eagerly when Keras is installed (it always is, as
    TensorFlow's own dependency), only to register them for SavedModels of Keras objects; that is
    2.5 s of its 6 s start on 2 cores, and convnets uses no Keras. TensorFlow catches the
    ImportError; a later ``import keras`` (the tests' references, ``from_keras``) loads it whole."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in ("keras", "tf_keras"):
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)  # the real one: TensorFlow also asks where Keras lies
        if spec is not None:
            spec.loader = self
        return spec

    @staticmethod
    def create_module(spec: Any) -> None:
        return None

    @staticmethod
    def exec_module(module: Any) -> None:
        raise ImportError(f"{module.__name__} is not imported while TensorFlow starts (convnets.import_tensorflow)")


def _import_tensorflow_without_keras() -> Any:
    blocker = None if "keras" in sys.modules else _NoKerasYet()
    if blocker is not None:
        sys.meta_path.insert(0, blocker)
    try:
        import tensorflow
    finally:
        if blocker is not None:
            sys.meta_path.remove(blocker)
    return tensorflow


def import_tensorflow() -> Any:
    """Import TensorFlow once, without Keras (``_NoKerasYet``), with the CUDA probe's messages
    (written to fd 2 before TensorFlow's log level applies) sent to /dev/null."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") != "3":
        return _import_tensorflow_without_keras()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        return _import_tensorflow_without_keras()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


# name -> module that defines it; loaded on first access (PEP 562).
_LAZY = {
    "ConfigError": "convnets.errors", "ConvnetsError": "convnets.errors", "DataError": "convnets.errors",
    "InputError": "convnets.errors",
    "Model": "convnets.models", "create_model": "convnets.models", "list_models": "convnets.models",
    "model_info": "convnets.models", "from_keras": "convnets.keras_port", "from_torch": "convnets.torch_port",
    "summarize": "convnets.summary",
    "load_run": "convnets.train.checkpoint",
}

__all__ = [*_LAZY, "__version__"]


# Subpackages and modules, imported on first access too (``convnets.layers.init`` after ``import convnets``).
_SUBMODULES = ("catalog", "cli", "data", "errors", "evaluate", "export", "keras_port", "layers", "machine", "models",
               "optim", "recipes", "summary", "torch_port", "train", "viz")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        if name not in ("catalog", "cli", "errors", "train"):  # convnets.train is lazy itself (train/__init__.py)
            import_tensorflow()
        return importlib.import_module(f"convnets.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'convnets' has no attribute {name!r}")
    if module != "convnets.errors":
        import_tensorflow()
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))
