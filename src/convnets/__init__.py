"""convnets: classic convolutional networks rebuilt from their papers with
TensorFlow's low-level API (``tf.Module``, ``tf.Variable``, ``tf.nn``)."""

import os
import sys

# oneDNN kernels for convolutions, pooling and batch norm: TensorFlow turns them on
# by default only on CPUs with AVX-512-class features, and falls back to Eigen's
# elsewhere (AMD EPYC, older Intel), where training here runs 1.2x (ResNet-20) to
# 3-4x (LeNet-5) slower (benchmarks/NOTES.md). Read once, when TensorFlow is first
# imported: set TF_ENABLE_ONEDNN_OPTS=0 before importing convnets to turn them off.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

# TensorFlow's C++ start-up logging (CUDA probing on CPU-only machines) drowns
# our output; set TF_CPP_MIN_LOG_LEVEL=0 to see it again.
if "tensorflow" not in sys.modules and os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3") == "3":
    _stderr = os.dup(2)
    _null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(_null, 2)  # the CUDA probe writes to fd 2 before TF's log level applies
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(_stderr, 2)
        os.close(_stderr)
        os.close(_null)

from convnets.errors import ConfigError, ConvnetsError, DataError
from convnets.models import Model, create_model, list_models, model_info
from convnets.keras_port import from_keras
from convnets.summary import summarize

__version__ = "0.1.0"

__all__ = [
    "ConfigError", "ConvnetsError", "DataError", "Model", "create_model", "from_keras", "list_models",
    "model_info", "summarize", "__version__",
]
