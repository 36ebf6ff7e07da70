"""``from_keras``: copy a Keras Applications model's weights into our model.

Anyone with Keras's ImageNet weights can run them through these low-level
models; the tests use it to show that our networks compute exactly what Keras
computes. Supported: VGG16/19, ResNet50/101/152, ResNet50V2/101V2/152V2,
DenseNet121/169/201, MobileNet, MobileNetV2 and MobileNetV3Small/Large (any alpha,
minimalistic or not, its built-in rescaling kept), EfficientNetB0..B7 (its normalisation
front kept), EfficientNetV2B0..B3/S/M/L (its input front kept, if it has one), InceptionV3,
Xception, InceptionResNetV2 and NASNetMobile/Large, with or without the top; a
model built with ``include_top=False`` becomes ours with ``include_top=False``
and the same ``pooling`` (None, "avg" or "max": its last layer says which).

Weights are matched by layer name (ours are the papers' names, translated to
Keras's by one small function per family) and every tensor's shape is checked,
so a mismatch is an error naming the layer, never a silent misload. Where Keras
leaves a layer unnamed (all of InceptionV3's convolutions and BatchNorms, most of
InceptionResNetV2's, Xception's 1x1 shortcuts), the translation says so (None) and
the layer is matched by order: Keras numbers automatic names as it creates the
layers (``conv2d``, ``conv2d_1``, ...), and our forward pass runs the same layers in
that order, so the n-th unnamed convolution of ours is Keras's n-th. Keras is
imported only by the caller (``from_keras`` only reads ``model.layers``) and by
``convert_keras``, behind ``convnets convert-keras`` (Keras ships with TensorFlow).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from convnets.errors import ConfigError
from convnets.layers import (
    BatchNorm,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    LayerNorm,
    LayerScale,
    SeparableConv2D,
    record_layers,
)
from convnets.models import Model, create_model, model_info


def _resnet_name(path: str) -> str:
    path = path.replace("/shortcut/", "_0_")
    path = re.sub(r"/conv(\d)/", r"_\1_", path)
    return "predictions" if path == "fc" else path.replace("/", "_")


def _resnet_v2_name(path: str) -> str:
    if path == "conv1":
        return "conv1_conv"
    path = path.replace("/shortcut", "_0_conv").replace("/conv3", "_3_conv")
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


def _mobilenet_v3_name(path: str) -> str:
    m = re.fullmatch(r"block_(\d+)/(expand|depthwise|project|squeeze_excite)/(conv|bn|fc1|fc2)", path)
    if m:
        i, part, what = m.groups()
        prefix = "expanded_conv_" if i == "0" else f"expanded_conv_{i}_"
        suffix = {"conv": "", "bn": "_bn", "fc1": "_conv", "fc2": "_conv_1"}[what]
        return f"{prefix}{part}{suffix}"
    return {"conv/conv": "conv", "conv/bn": "conv_bn", "conv_1/conv": "conv_1", "conv_1/bn": "conv_1_bn"}.get(
        path, path)  # conv_2, logits: the same names


def _mobilenet_v3_options(keras_model: Any) -> dict[str, Any]:
    """alpha, minimalistic and the built-in rescaling, which Keras records only in the layers."""
    layers = {layer.name: layer for layer in keras_model.layers}
    small = "expanded_conv_10_project" in layers and "expanded_conv_11_project" not in layers
    last = layers["expanded_conv_10_project" if small else "expanded_conv_14_project"].filters
    first = layers["expanded_conv_project"].filters
    from convnets.models.mobilenet import make_divisible

    alphas = [a for a in (0.35, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
              if make_divisible(16 * a) == first and make_divisible((96 if small else 160) * a) == last]
    if not alphas:
        raise ConfigError(f"{keras_model.name}: no width multiplier gives its widths ({first} .. {last})")
    return {"alpha": alphas[0], "minimalistic": not any("squeeze_excite" in n for n in layers),
            "include_preprocessing": any(type(layer).__name__ == "Rescaling" for layer in keras_model.layers)}


def _efficientnet_name(path: str) -> str:
    m = re.fullmatch(r"(block\d+[a-z])/(expand_conv|dwconv|project_conv|se)/(conv|bn|fc1|fc2)", path)
    if m:
        block, part, what = m.groups()
        if part == "se":
            return f"{block}_se_{'reduce' if what == 'fc1' else 'expand'}"
        if part == "dwconv":
            return f"{block}_{'dwconv' if what == 'conv' else 'bn'}"
        return f"{block}_{part}" if what == "conv" else f"{block}_{part.replace('_conv', '')}_bn"
    return {"stem/conv": "stem_conv", "stem/bn": "stem_bn", "top/conv": "top_conv", "top/bn": "top_bn"}.get(path, path)


def _efficientnet_v2_name(path: str) -> str:
    """EfficientNet's names, but Keras's V2 calls the depthwise convolution ``dwconv2`` (its BatchNorm stays
    ``bn``); the fused blocks' ``expand_conv``/``project_conv`` are MBConv's."""
    name = _efficientnet_name(path)
    return name + "2" if name.endswith("_dwconv") else name


def _copy_front(model: Model, keras_model: Any) -> set[str]:
    """Keras's Normalization front (EfficientNet) into ours: its mean and variance, with the per-channel
    ``Rescaling`` Keras adds after it for ImageNet weights folded into the variance
    ((x - m) / sqrt(v) * s = (x - m) / sqrt(v / s^2)). Returns the Keras layers used."""
    from convnets.layers import Normalization

    ours = [layer for layer in getattr(model, "front", []) if isinstance(layer, Normalization)
            and layer.count is not None]  # a fixed front (ConvNeXt's) holds constants, as Keras's does
    layers = list(keras_model.layers)
    found = [i for i, layer in enumerate(layers) if type(layer).__name__ == "Normalization"]
    if not ours or not found:
        return set()
    k = layers[found[0]]
    weights = {w.path.split("/")[-1]: np.asarray(w.numpy()) for w in k.weights}
    variance = weights["variance"].reshape(-1)
    after = layers[found[0] + 1] if found[0] + 1 < len(layers) else None
    if after is not None and type(after).__name__ == "Rescaling" and np.ndim(after.scale) > 0:
        variance = variance / np.square(np.asarray(after.scale, np.float32).reshape(-1))
    _assign(ours[0].mean, weights["mean"].reshape(-1), "normalization.mean")
    _assign(ours[0].variance, variance.astype(np.float32), "normalization.variance")
    ours[0].count.assign(int(weights.get("count", 0)))
    return {k.name}


def _convnext_name(prefix: str) -> Callable[[str], str | None]:
    """Our ConvNeXt paths to Keras's names (``convnext_tiny_stage_0_block_0_depthwise_conv``); the
    headless model's final LayerNorm is unnamed in Keras."""
    parts = {"dwconv": "depthwise_conv", "norm": "layernorm", "pwconv1": "pointwise_conv_1",
             "pwconv2": "pointwise_conv_2", "layer_scale": "layer_scale"}

    def translate(path: str) -> str | None:
        m = re.fullmatch(r"stage(\d+)_block(\d+)/(\w+)", path)
        if m:
            return f"{prefix}_stage_{int(m.group(1)) - 1}_block_{int(m.group(2)) - 1}_{parts[m.group(3)]}"
        m = re.fullmatch(r"stage(\d+)_downsample/(norm|conv)", path)
        if m:
            return f"{prefix}_downsampling_{'layernorm' if m.group(2) == 'norm' else 'conv'}_{int(m.group(1)) - 2}"
        return {"stem/conv": f"{prefix}_stem_conv", "stem/norm": f"{prefix}_stem_layernorm",
                "predictions": f"{prefix}_head_dense"}.get(path)  # head_norm: named with the top only

    return translate


def _inception_v3_name(path: str) -> str | None:
    return "predictions" if path == "fc" else None  # Keras names none of its convolutions and BatchNorms


def _xception_name(path: str) -> str | None:
    if re.fullmatch(r"block\d+/residual/(conv|bn)", path):
        return None  # the 1x1 shortcuts are unnamed in Keras
    return "predictions" if path == "fc" else path.replace("/", "_")  # block2/sepconv1_bn -> block2_sepconv1_bn


def _inception_resnet_v2_name(path: str) -> str | None:
    m = re.fullmatch(r"(block(?:35|17|8)_\d+)/up", path)
    if m:
        return f"{m.group(1)}_conv"
    return {"conv_7b/conv": "conv_7b", "conv_7b/bn": "conv_7b_bn", "fc": "predictions"}.get(path)  # else unnamed


def _nasnet_name(path: str) -> str:
    """Our NASNet paths to Keras's names: ``normal_3/left1/sep2`` -> ``separable_conv_2_normal_left1_3``,
    ``reduce_4/adjust/bn`` -> ``adjust_bn_reduce_4``, ``stem_1/conv`` -> ``reduction_conv_1_stem_1``. Keras
    names the reduction cell's block-5 separable convolution ``left4``, as block 4's pool."""
    if path in ("stem/conv", "stem/bn", "fc"):
        return {"stem/conv": "stem_conv1", "stem/bn": "stem_bn1", "fc": "predictions"}[path]
    cell, _, rest = path.partition("/")
    kind, block_id = ("normal", cell[len("normal_"):]) if cell.startswith("normal_") else ("reduction", cell)
    m = re.fullmatch(r"(left|right)(\d)/(sep|bn)([12])", rest)
    if m:
        side, b, what, j = m.groups()
        b = "4" if (kind, side, b) == ("reduction", "left", "5") else b
        return f"separable_conv_{j}_{'bn_' if what == 'bn' else ''}{kind}_{side}{b}_{block_id}"
    return {"conv": f"{kind}_conv_1_{block_id}", "bn": f"{kind}_bn_1_{block_id}",
            "adjust/conv1": f"adjust_conv_1_{block_id}", "adjust/conv2": f"adjust_conv_2_{block_id}",
            "adjust/conv": f"adjust_conv_projection_{block_id}", "adjust/bn": f"adjust_bn_{block_id}"}.get(rest, path)


def _identify(keras_model: Any) -> tuple[str, dict[str, Any], Callable[[str], str | None]]:
    """(our model name, builder options, name translation) for a Keras Applications model."""
    name = keras_model.name.lower()
    if name in ("vgg16", "vgg19"):
        return name, {}, lambda p: p
    if name in ("resnet50", "resnet101", "resnet152"):
        return name, {"conv_bias": True, "bn_epsilon": 1.001e-5}, _resnet_name
    if name in ("resnet50v2", "resnet101v2", "resnet152v2"):
        return name, {}, _resnet_v2_name  # our defaults are Keras's layout (conv biases, epsilon 1.001e-5)
    if name in ("densenet121", "densenet169", "densenet201"):
        return name, {"bn_epsilon": 1.001e-5}, _densenet_name
    m = re.fullmatch(r"mobilenet(v2)?_(\d+\.\d+)_\d+", name)
    if m:
        v2, alpha = m.groups()
        return ("mobilenet_v2" if v2 else "mobilenet_v1"), {"alpha": float(alpha)}, (
            _mobilenet_v2_name if v2 else _mobilenet_v1_name)
    if name in ("mobilenetv3small", "mobilenetv3large"):
        return (f"mobilenet_v3_{name[len('mobilenetv3'):]}", _mobilenet_v3_options(keras_model), _mobilenet_v3_name)
    m = re.fullmatch(r"efficientnetb([0-7])", name)
    if m:
        return f"efficientnet_b{m.group(1)}", {"include_preprocessing": True}, _efficientnet_name
    m = re.fullmatch(r"efficientnetv2-(b[0-3]|s|m|l)", name)
    if m:  # the front (Rescaling, and Normalization for B0-B3) is Keras's include_preprocessing flag
        front = any(type(layer).__name__ == "Rescaling" for layer in keras_model.layers)
        return f"efficientnet_v2_{m.group(1)}", {"include_preprocessing": front}, _efficientnet_v2_name
    if re.fullmatch(r"convnext_(tiny|small|base|large|xlarge)", name):
        front = any(type(layer).__name__ == "Normalization" for layer in keras_model.layers)
        translate = _convnext_name(name)
        if _top_and_pooling(keras_model)[0]:
            return name, {"include_preprocessing": front}, lambda p: (f"{name}_head_layernorm" if p == "head_norm"
                                                                      else translate(p))
        return name, {"include_preprocessing": front}, translate
    if name in ("nasnet_mobile", "nasnet_large"):  # Keras's names for NASNetMobile and NASNetLarge
        return name, {}, _nasnet_name
    if name == "inception_v3":
        return name, {}, _inception_v3_name  # our defaults are Keras's layout (no gamma, no aux head)
    if name == "xception":
        return name, {}, _xception_name
    if name == "inception_resnet_v2":
        return name, {}, _inception_resnet_v2_name
    raise ConfigError(
        f"cannot convert Keras model {keras_model.name!r}: supported are VGG16/19, ResNet50/101/152, "
        "ResNet50V2/101V2/152V2, DenseNet121/169/201, MobileNet, MobileNetV2, MobileNetV3Small/Large, EfficientNetB0-B7, "
        "EfficientNetV2B0-B3/S/M/L, "
        "ConvNeXtTiny/Small/Base/Large/XLarge, InceptionV3, "
        "Xception, InceptionResNetV2 and NASNetMobile/Large from keras.applications"
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
    if isinstance(layer, LayerNorm):
        _assign(layer.gamma, weights["gamma"], f"{what}.gamma")
        _assign(layer.beta, weights["beta"], f"{what}.beta")
        return
    if isinstance(layer, LayerScale):  # Keras's ConvNeXt LayerScale: one unnamed weight
        (value,) = weights.values()
        _assign(layer.gamma, value, f"{what}.gamma")
        return
    if isinstance(layer, SeparableConv2D):  # Keras's SeparableConv2D holds the same two kernels
        _assign(layer.depthwise_kernel, weights["depthwise_kernel"], f"{what}.depthwise_kernel")
        _assign(layer.pointwise_kernel, weights["pointwise_kernel"], f"{what}.pointwise_kernel")
    else:
        kernel = weights.get("kernel", weights.get("depthwise_kernel"))
        if isinstance(layer, Dense) and kernel.ndim == 4:  # Keras's 1x1-conv classifier (MobileNet v1)
            kernel = kernel.reshape(kernel.shape[-2], kernel.shape[-1])
        if isinstance(layer, DepthwiseConv2D) and kernel.shape[2] == 1 and kernel.shape[3] > 1:
            kernel = kernel.transpose(0, 1, 3, 2)  # a Conv2D with groups=C (ConvNeXt): (kh, kw, 1, C)
        _assign(layer.w, kernel, f"{what}.kernel")
    if layer.b is not None:
        _assign(layer.b, weights["bias"], f"{what}.bias")
    elif "bias" in weights:
        raise ConfigError(f"{what}: Keras has a bias that our layer lacks")


# The layer Keras Applications appends for ``pooling="avg"`` or ``"max"`` when ``include_top=False``.
_KERAS_POOLING = {"GlobalAveragePooling2D": "avg", "GlobalMaxPooling2D": "max"}


def _top_and_pooling(keras_model: Any) -> tuple[bool, str | None]:
    """(include_top, pooling) a Keras Applications model was built with."""
    if any(layer.name in ("predictions", "conv_preds") or layer.name.endswith("_head_dense")
           for layer in keras_model.layers):
        return True, None
    layers = list(keras_model.layers)
    if type(layers[-1]).__name__ == "LayerNormalization":  # ConvNeXt's headless model ends with one
        layers = layers[:-1]
    return False, _KERAS_POOLING.get(type(layers[-1]).__name__)


_AUTO_NAME = re.compile(r"(conv2d|batch_normalization|layer_normalization)(?:_(\d+))?")  # Keras's automatic names


def _unnamed(keras_model: Any) -> dict[str, list[Any]]:
    """The Keras layers with only an automatic name, per kind, in the order Keras created them.

    ``model.layers`` is not that order (it follows the graph, branch by branch); the number
    Keras appends to an automatic name counts up as layers are created, so it is.
    """
    found: dict[str, list[tuple[int, Any]]] = {"conv2d": [], "batch_normalization": [], "layer_normalization": []}
    for layer in _flat_layers(keras_model):
        m = _AUTO_NAME.fullmatch(layer.name)
        if m and layer.weights:
            found[m.group(1)].append((int(m.group(2) or 0), layer))
    return {kind: [layer for _, layer in sorted(rows, key=lambda r: r[0])] for kind, rows in found.items()}


def _flat_layers(keras_model: Any) -> list[Any]:
    """The model's layers with nested models (ConvNeXt's stem and downsampling ``Sequential``s) opened."""
    out = []
    for layer in keras_model.layers:
        out.extend(_flat_layers(layer) if hasattr(layer, "layers") else [layer])
    return out


def from_keras(keras_model: Any) -> Model:
    """Build our equivalent of a ``keras.applications`` model and copy its weights in.

    A model without its top maps to ours with ``include_top=False`` and the same ``pooling``: the
    feature map (pooling None) or its global average or maximum ("avg", "max").

    Raises:
      ConfigError: an unsupported model, or any layer or tensor that does not match.
    """
    if not all(hasattr(keras_model, a) for a in ("name", "layers", "input_shape")):
        raise ConfigError(f"from_keras expects a keras.applications model (e.g. keras.applications.VGG16()), "
                          f"got {type(keras_model).__name__}")
    ours_name, options, translate = _identify(keras_model)
    input_shape = tuple(int(d) for d in keras_model.input_shape[1:])
    include_top, pooling = _top_and_pooling(keras_model)
    if not include_top:
        options.update(include_top=False, pooling=pooling)  # create_model drops pooling=None
    num_classes = int(keras_model.output_shape[-1]) if include_top else 1000
    model = create_model(ours_name, num_classes=num_classes, input_shape=input_shape, **options)
    keras_layers = {l.name: l for l in _flat_layers(keras_model) if l.weights}
    unnamed = _unnamed(keras_model)
    used = set()
    for row in record_layers(model, input_shape):
        layer = row["layer"]
        if not isinstance(layer, (Conv2D, DepthwiseConv2D, SeparableConv2D, Dense, BatchNorm, LayerNorm, LayerScale)):
            continue
        k_name = translate(row["name"])
        if k_name is None:  # unnamed in Keras: its next unnamed layer of this kind
            kind = ("batch_normalization" if isinstance(layer, BatchNorm) else
                    "layer_normalization" if isinstance(layer, LayerNorm) else "conv2d")
            if not unnamed[kind]:
                raise ConfigError(f"our layer {row['name']} has no unnamed Keras {kind} layer left in "
                                  f"{keras_model.name} to match")
            keras_layer = unnamed[kind].pop(0)
            _copy(layer, keras_layer, f"{row['name']} (Keras {keras_layer.name})")
            used.add(keras_layer.name)
            continue
        if k_name not in keras_layers:
            raise ConfigError(f"our layer {row['name']} (Keras name {k_name!r}) has no counterpart in "
                              f"{keras_model.name}")
        _copy(layer, keras_layers[k_name], row["name"])
        used.add(k_name)
    used |= _copy_front(model, keras_model)
    missing = sorted(set(keras_layers) - used)
    if missing:
        raise ConfigError(f"Keras layers with weights left unused: {', '.join(missing[:5])}")
    return model


# Our name -> (keras.applications constructor, its preprocessing mode). The modes are
# keras.applications.imagenet_utils.preprocess_input's: "caffe" (BGR, ImageNet means
# subtracted, 0..255 scale), "torch" (ImageNet mean/std on 0..1), "tf" (-1..1).
KERAS_APPLICATIONS = {
    "vgg16": ("VGG16", "caffe"), "vgg19": ("VGG19", "caffe"),
    "resnet50": ("ResNet50", "caffe"), "resnet101": ("ResNet101", "caffe"), "resnet152": ("ResNet152", "caffe"),
    "resnet50v2": ("ResNet50V2", "tf"), "resnet101v2": ("ResNet101V2", "tf"), "resnet152v2": ("ResNet152V2", "tf"),
    "densenet121": ("DenseNet121", "torch"), "densenet169": ("DenseNet169", "torch"),
    "densenet201": ("DenseNet201", "torch"),
    "mobilenet_v1": ("MobileNet", "tf"), "mobilenet_v2": ("MobileNetV2", "tf"),
    "mobilenet_v3_small": ("MobileNetV3Small", "raw"), "mobilenet_v3_large": ("MobileNetV3Large", "raw"),
    **{f"efficientnet_b{i}": (f"EfficientNetB{i}", "raw") for i in range(8)},
    **{f"efficientnet_v2_{s}": (f"EfficientNetV2{s.upper()}", "raw") for s in ("b0", "b1", "b2", "b3", "s", "m", "l")},
    **{f"convnext_{s}": (f"ConvNeXt{s.title().replace('large', 'Large')}", "raw")
       for s in ("tiny", "small", "base", "large", "xlarge")},
    "inception_v3": ("InceptionV3", "tf"), "xception": ("Xception", "tf"),
    "inception_resnet_v2": ("InceptionResNetV2", "tf"),
    "nasnet_mobile": ("NASNetMobile", "tf"), "nasnet_large": ("NASNetLarge", "tf"),
}
_MODES = {
    "caffe": dict(mean=(103.939 / 255, 116.779 / 255, 123.68 / 255), std=(1 / 255,) * 3, channel_order="bgr"),
    "torch": dict(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
    "tf": dict(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
    "raw": dict(mean=(0.0, 0.0, 0.0), std=(1 / 255,) * 3),  # pixels 0..255 as they are: the model rescales them
}


def _reason(e: Exception) -> str:
    """One line for why Keras could not get the weights: its download error names the whole
    URL, which says nothing the file name does not; the cause (no network, ...) is kept."""
    text = (str(e).strip().splitlines() or [type(e).__name__])[0]
    m = re.match(r"URL fetch failure on (\S+?): (?:None -- )?(.*)", text)
    if m:
        return f"download of {m.group(1).rsplit('/', 1)[-1]} failed: {m.group(2) or 'no reason given'}"
    return text


def imagenet_class_names() -> list[str]:
    """The 1000 ImageNet classes in the standard index order (as Keras and torchvision use)."""
    from importlib.resources import files

    return files("convnets.data").joinpath("imagenet_classes.txt").read_text().splitlines()


def convert_keras(name: str, out: str, weights: str = "auto", alpha: float = 1.0, size: int | None = None,
                  log: Callable[[str], None] = print) -> dict[str, Any]:
    """Build ``keras.applications.<name>``, port it with ``from_keras`` and save a run directory
    that ``predict``, ``features``, ``gradcam``, ``export`` and ``evaluate`` accept.

    ``weights``: "imagenet" (download through Keras; needs the internet), "none" (random
    initialisation: for testing the plumbing), or "auto" (ImageNet if it can be fetched,
    otherwise random with a warning; $CONVNETS_NO_DOWNLOAD=1 means random). ``size``: the
    input side, by default the model's (224; 299 for InceptionV3, Xception, InceptionResNetV2,
    whose ImageNet weights with the top need it).
    """
    import os
    from pathlib import Path

    import tensorflow as tf

    from convnets.data.pipeline import PreprocessSpec
    from convnets.train.checkpoint import latest_checkpoint, write_json

    if name not in KERAS_APPLICATIONS:
        raise ConfigError(f"convert-keras supports {', '.join(KERAS_APPLICATIONS)}; not {name!r}")
    if size is None:
        size = model_info(name).input_shape[0]
    if weights not in ("auto", "imagenet", "none"):
        raise ConfigError(f"--weights must be auto, imagenet or none, not {weights!r}")
    if latest_checkpoint(out):
        raise ConfigError(f"{out} already holds a run; choose another --out")
    import keras

    constructor, mode = KERAS_APPLICATIONS[name]
    kwargs: dict[str, Any] = {"input_shape": (size, size, 3)}
    if name.startswith("mobilenet"):
        kwargs["alpha"] = alpha
    if name.startswith(("mobilenet_v3", "efficientnet_v2")):
        kwargs["include_preprocessing"] = True  # Keras's default, said explicitly: the "raw" mode relies on it
    want = "none" if weights == "auto" and os.environ.get("CONVNETS_NO_DOWNLOAD") else weights
    source = "random"
    if want in ("auto", "imagenet"):
        try:
            keras_model = getattr(keras.applications, constructor)(weights="imagenet", **kwargs)
            source = "imagenet"
        except Exception as e:  # no network, no weights for this alpha/size, ...
            if want == "imagenet":
                raise ConfigError(f"could not get ImageNet weights for {constructor}: {_reason(e)}") from None
            log(f"warning: ImageNet weights for {constructor} unavailable ({_reason(e)}); "
                "using random weights, so its predictions mean nothing")
    if source == "random":
        try:
            keras_model = getattr(keras.applications, constructor)(weights=None, **kwargs)
        except ValueError as e:  # Keras's own checks: "Input size must be at least 32x32", ...
            raise ConfigError(f"keras.applications.{constructor} rejects these options: {_reason(e)}") from None
    model = from_keras(keras_model)
    spec = PreprocessSpec(image_shape=(size, size, 3), input_shape=(size, size, 3), **_MODES[mode])
    path = Path(out)
    write_json(path / "config.json", {
        "model": model.config, "dataset": "imagenet", "data_source": f"keras.applications.{constructor}",
        "weights": source, "data_dir": None, "class_names": imagenet_class_names(),
        "preprocess": spec.to_dict(), "train": None,
    })
    tf.train.CheckpointManager(tf.train.Checkpoint(model=model), os.fspath(path / "checkpoints"), 1).save()
    return {"out": os.fspath(path), "model": name, "keras": constructor, "weights": source,
            "trainable_params": model.trainable_params}
