"""Model families, one file each; importing this package registers them all."""

from convnets.models import alexnet, densenet, googlenet, lenet, mobilenet, nin, resnet, vgg  # noqa: F401  (registers the builders)
from convnets.models.base import Model
from convnets.models.registry import create_model, list_models, model_info, parse_input_shape

__all__ = ["Model", "create_model", "list_models", "model_info", "parse_input_shape"]
