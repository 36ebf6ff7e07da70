"""``from_keras``: copy a Keras Applications model's weights into our model.

Anyone with Keras's ImageNet weights can run them through these low-level
models; the tests use it to show that our networks compute exactly what Keras
computes. Supported: VGG16/19, ResNet50/101/152, DenseNet121/169/201,
MobileNet (any alpha) and MobileNetV2 (any alpha), with or without the top.

Weights are matched by layer name (ours are the papers' names, translated to
Keras's by one small function per family) and every tensor's shape is checked,
so a mismatch is an error naming the layer, never a silent misload. Keras is
imported only by the caller: this module only reads ``model.layers``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from convnets.errors import ConfigError
from convnets.layers import BatchNorm, Conv2D, Dense, DepthwiseConv2D, record_layers
from convnets.models import Model, create_model


def _resnet_name(path: str) -> str:
    path = path.replace("/shortcut/", "_0_")
    path = re.sub(r"/conv(\d)/", r"_\1_", path)
    return "predictions" if path == "fc" else path.replace("/", "_")


def _densenet_name(path: str) -> str:
    for ours, theirs in (("/norm1", "_0_bn"), ("/conv1", "_1_conv"), ("/norm2", "_1_bn"), ("/conv2", "_2_conv"),
                         ("/norm", "_bn"), ("/conv", "_conv"), ("/bn", "_bn")):
        if path.endswith(ours):
            return path[: -len(ours)] + theirs
    return "predictions" if path == "fc" else path


def _mobilenet_v1_name(path: str) -> str:
    m = re.fullmatch(r"conv_dw_(\d+)/(dw|pw)/(conv|bn)", path)
    if m:
        i, kind, what = m.groups()
        return f"conv_{kind}_{i}" + ("_bn" if what == "bn" else "")
    return {"conv1/conv": "conv1", "conv1/bn": "conv1_bn", "fc": "conv_preds"}.get(path, path)


def _mobilenet_v2_name(path: str) -> str:
    m = re.fullmatch(r"block_(\d+)/(expand|depthwise|project)/(conv|bn)", path)
    if m:
        i, part, what = m.groups()
        prefix = "expanded_conv_" if i == "0" else f"block_{i}_"
        return f"{prefix}{part}" + ("_BN" if what == "bn" else "")
    return {"Conv1/conv": "Conv1", "Conv1/bn": "bn_Conv1", "Conv_1/conv": "Conv_1", "Conv_1/bn": "Conv_1_bn",
            "fc": "predictions"}.get(path, path)


def _identify(keras_model: Any) -> tuple[str, dict[str, Any], Callable[[str], str]]:
    """(our model name, builder options, name translation) for a Keras Applications model."""
    name = keras_model.name.lower()
    if name in ("vgg16", "vgg19"):
        return name, {}, lambda p: p
    if name in ("resnet50", "resnet101", "resnet152"):
        return name, {"conv_bias": True, "bn_epsilon": 1.001e-5}, _resnet_name
    if name in ("densenet121", "densenet169", "densenet201"):
        return name, {"bn_epsilon": 1.001e-5}, _densenet_name
    m = re.fullmatch(r"mobilenet(v2)?_(\d+\.\d+)_\d+", name)
    if m:
        v2, alpha = m.groups()
        return ("mobilenet_v2" if v2 else "mobilenet_v1"), {"alpha": float(alpha)}, (
            _mobilenet_v2_name if v2 else _mobilenet_v1_name)
    raise ConfigError(
        f"cannot convert Keras model {keras_model.name!r}: supported are VGG16/19, ResNet50/101/152, "
        "DenseNet121/169/201, MobileNet and MobileNetV2 from keras.applications"
    )


def _assign(var: Any, value: np.ndarray, what: str) -> None:
    if tuple(var.shape) != value.shape:
        raise ConfigError(f"{what}: shape {tuple(var.shape)} in our model, {value.shape} in Keras")
    var.assign(value)


def _copy(layer: Any, keras_layer: Any, what: str) -> None:
    weights = {w.path.split("/")[-1]: np.asarray(w.numpy()) for w in keras_layer.weights}
    if isinstance(layer, BatchNorm):
        for ours, theirs in ((layer.gamma, "gamma"), (layer.beta, "beta"), (layer.moving_mean, "moving_mean"),
                             (layer.moving_variance, "moving_variance")):
            if ours is not None:
                _assign(ours, weights[theirs], f"{what}.{theirs}")
        return
    kernel = weights.get("kernel", weights.get("depthwise_kernel"))
    if isinstance(layer, Dense) and kernel.ndim == 4:  # Keras's 1x1-conv classifier (MobileNet v1)
        kernel = kernel.reshape(kernel.shape[-2], kernel.shape[-1])
    _assign(layer.w, kernel, f"{what}.kernel")
    if layer.b is not None:
        _assign(layer.b, weights["bias"], f"{what}.bias")
    elif "bias" in weights:
        raise ConfigError(f"{what}: Keras has a bias that our layer lacks")


def from_keras(keras_model: Any) -> Model:
    """Build our equivalent of a ``keras.applications`` model and copy its weights in.

    Raises:
      ConfigError: an unsupported model, or any layer or tensor that does not match.
    """
    ours_name, options, translate = _identify(keras_model)
    input_shape = tuple(int(d) for d in keras_model.input_shape[1:])
    out = keras_model.output_shape
    include_top = any(l.name in ("predictions", "conv_preds") for l in keras_model.layers)
    if not include_top:
        options["include_top"] = False
    num_classes = int(out[-1]) if include_top else 1000
    model = create_model(ours_name, num_classes=num_classes, input_shape=input_shape, **options)
    keras_layers = {l.name: l for l in keras_model.layers if l.weights}
    used = set()
    for row in record_layers(model, input_shape):
        layer = row["layer"]
        if not isinstance(layer, (Conv2D, DepthwiseConv2D, Dense, BatchNorm)):
            continue
        k_name = translate(row["name"])
        if k_name not in keras_layers:
            raise ConfigError(f"our layer {row['name']} (Keras name {k_name!r}) has no counterpart in {keras_model.name}")
        _copy(layer, keras_layers[k_name], row["name"])
        used.add(k_name)
    missing = sorted(set(keras_layers) - used)
    if missing:
        raise ConfigError(f"Keras layers with weights left unused: {', '.join(missing[:5])}")
    return model
