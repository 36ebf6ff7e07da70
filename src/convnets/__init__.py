"""convnets: classic convolutional networks rebuilt from their papers with
TensorFlow's low-level API (``tf.Module``, ``tf.Variable``, ``tf.nn``)."""

from convnets.errors import ConfigError, ConvnetsError, DataError
from convnets.models import Model, create_model, list_models, model_info
from convnets.summary import summarize

__version__ = "0.1.0"

__all__ = [
    "ConfigError", "ConvnetsError", "DataError", "Model", "create_model", "list_models",
    "model_info", "summarize", "__version__",
]
