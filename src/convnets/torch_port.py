"""``from_torch``: copy a torchvision classification model's weights into our model.

torchvision's ImageNet weights are the most widely used pretrained CNNs; with this
they run, fine-tune and export through these low-level models. Supported (the
families the zoo has): AlexNet (torchvision's one-tower network:
``alexnet(variant="torchvision")``), VGG 11/13/16/19 with and without BatchNorm,
ResNet 18/34/50/101/152 (its v1.5 layout), ResNeXt-50 32x4d and 101 32x8d, Wide
ResNet-50-2 and 101-2, GoogLeNet and Inception-v3 (``variant="torchvision"``:
BatchNorm everywhere and torchvision's pools), DenseNet-121/169/201, MobileNet v2
and v3 Small/Large (``variant="torchvision"``: symmetric padding), SqueezeNet 1.0/1.1, ShuffleNet v2
(0.5x to 2.0x), MnasNet 0.5/0.75/1.0/1.3 (B1), RegNetX/Y 400MF to 32GF (``variant="torchvision"``: its
rounding of the widths), EfficientNet B0-B7 (``variant="torchvision"``: symmetric padding, epsilon 1e-5),
EfficientNetV2-S/M/L (``variant="torchvision"``: symmetric padding; epsilon 1e-3 as Keras's) and
ConvNeXt T/S/B/L (its layer scale, registered before the block's layers, is paired after them).

How tensors are matched. A torchvision ``state_dict`` lists its layers in the order
the modules were registered, which for these families is the order its forward pass
runs them; ``record_layers`` lists ours in the order our forward pass runs them. The
two lists are paired kind by kind (convolution, linear, BatchNorm, LayerNorm) and
every tensor's shape is checked, so a wrong pairing is an error naming both layers
(ours by path, torchvision's by its state-dict key), never a silent misload; the
tests then compare the two networks' logits. Layout changes on the way: convolution
kernels OIHW -> HWIO (depthwise: (C, 1, kh, kw) -> (kh, kw, C, 1)), linear weights
transposed, and the first linear layer after a flattened feature map (VGG, AlexNet)
has its inputs reordered from torch's C, H, W to our H, W, C. Training-only heads
(GoogLeNet's ``aux1``/``aux2``, Inception-v3's ``AuxLogits``) are skipped: their
pooling differs from the papers' heads we build, and inference does not use them.

Torch stays optional: this module imports nothing of torch; ``from_torch`` reads the
module or ``state_dict`` it is given, and only ``convert_torch`` (behind ``convnets
convert-torch``) imports torchvision (``pip install -e ".[torch]"``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from convnets.errors import ConfigError
from convnets.layers import BatchNorm, Conv2D, Dense, DepthwiseConv2D, record_layers
from convnets.models import Model, create_model

# The torchvision builders whose networks we build, with our name and the options that make ours
# torchvision's layout. (torchvision pads symmetrically, as our full models do by default.)
TORCHVISION_MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "alexnet": ("alexnet", {"variant": "torchvision"}),
    **{f"vgg{d}{bn}": (f"vgg{d}{bn}", {}) for d in (11, 13, 16, 19) for bn in ("", "_bn")},
    "resnet18": ("resnet18", {}), "resnet34": ("resnet34", {}),
    # torchvision's bottleneck ResNets are "v1.5": the stride in the 3x3 (resnet.py).
    **{f"resnet{d}": (f"resnet{d}", {"stride_in_1x1": False}) for d in (50, 101, 152)},
    "resnext50_32x4d": ("resnext50_32x4d", {}), "resnext101_32x8d": ("resnext101_32x8d", {}),
    "wide_resnet50_2": ("wide_resnet50_2", {}), "wide_resnet101_2": ("wide_resnet101_2", {}),
    "googlenet": ("googlenet", {"variant": "torchvision", "aux_logits": False, "dropout": 0.2}),
    "inception_v3": ("inception_v3", {"variant": "torchvision", "dropout": 0.5}),
    "densenet121": ("densenet121", {}), "densenet169": ("densenet169", {}), "densenet201": ("densenet201", {}),
    "mobilenet_v2": ("mobilenet_v2", {"variant": "torchvision"}),
    "mobilenet_v3_small": ("mobilenet_v3_small", {"variant": "torchvision"}),
    "mobilenet_v3_large": ("mobilenet_v3_large", {"variant": "torchvision"}),
    "squeezenet1_0": ("squeezenet1_0", {}), "squeezenet1_1": ("squeezenet1_1", {}),
    **{f"shufflenet_v2_x{w}": (f"shufflenet_v2_x{w}", {}) for w in ("0_5", "1_0", "1_5", "2_0")},
    # RegNet: torchvision's rounding of the widths (the same networks but X-400MF, Y-800MF and Y-8GF).
    **{f"regnet_{p}": (f"regnet_{p}", {"variant": "torchvision"}) for p in (
        "x_400mf", "x_800mf", "x_1_6gf", "x_3_2gf", "x_8gf", "x_16gf", "x_32gf",
        "y_400mf", "y_800mf", "y_1_6gf", "y_3_2gf", "y_8gf", "y_16gf", "y_32gf")},
    **{f"mnasnet{w}": (f"mnasnet{w}", {}) for w in ("0_5", "0_75", "1_0", "1_3")},
    **{f"efficientnet_b{i}": (f"efficientnet_b{i}", {"variant": "torchvision"}) for i in range(8)},
    # torchvision's top dropout is 0.2 / 0.3 / 0.4 (Keras's 0.2 at every size); it does not change the logits.
    **{f"efficientnet_v2_{s}": (f"efficientnet_v2_{s}", {"variant": "torchvision", "dropout": d})
       for s, d in (("s", 0.2), ("m", 0.3), ("l", 0.4))},
    **{f"convnext_{s}": (f"convnext_{s}", {}) for s in ("tiny", "small", "base", "large")},
}
# torchvision's input side for its ImageNet weights (its transforms: resize 256 / crop 224; 342 / 299).
_SIZES = {"inception_v3": 299, "efficientnet_v2_s": 384, "efficientnet_v2_m": 480, "efficientnet_v2_l": 480}
# Training-only heads torchvision registers inside the network (state-dict key prefixes).
_SKIP = re.compile(r"(AuxLogits|aux1|aux2)\.")
_RESNETS = {  # (block, stage depths, groups, 3x3 width of the first stage) -> torchvision name
    ("BasicBlock", (2, 2, 2, 2), 1, 64): "resnet18", ("BasicBlock", (3, 4, 6, 3), 1, 64): "resnet34",
    ("Bottleneck", (3, 4, 6, 3), 1, 64): "resnet50", ("Bottleneck", (3, 4, 23, 3), 1, 64): "resnet101",
    ("Bottleneck", (3, 8, 36, 3), 1, 64): "resnet152",
    ("Bottleneck", (3, 4, 6, 3), 32, 128): "resnext50_32x4d", ("Bottleneck", (3, 4, 23, 3), 32, 256): "resnext101_32x8d",
    ("Bottleneck", (3, 4, 6, 3), 1, 128): "wide_resnet50_2", ("Bottleneck", (3, 4, 23, 3), 1, 128): "wide_resnet101_2",
}
_SHUFFLE_WIDTHS = {"0_5": (24, 48, 96, 192, 1024), "1_0": (24, 116, 232, 464, 1024),
                   "1_5": (24, 176, 352, 704, 1024), "2_0": (24, 244, 488, 976, 2048)}
_VGGS = {8: 11, 10: 13, 13: 16, 16: 19}  # convolutions -> depth
_DENSENETS = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169", (6, 12, 48, 32): "densenet201"}


def _unsupported(what: str) -> ConfigError:
    return ConfigError(f"cannot convert {what}: from_torch supports torchvision's "
                       f"{', '.join(TORCHVISION_MODELS)}")


def identify(module: Any) -> str:
    """The torchvision builder name of a torchvision classification ``nn.Module`` (by its structure)."""
    kind = type(module).__name__
    if kind == "ResNet":
        blocks = tuple(len(getattr(module, f"layer{i}")) for i in range(1, 5))
        first = module.layer1[0]
        key = (type(first).__name__, blocks, int(first.conv2.groups), int(first.conv2.out_channels))
        if key in _RESNETS:
            return _RESNETS[key]
        raise _unsupported(f"a torchvision ResNet with {key[0]} stages {blocks}, groups {key[2]}, width {key[3]}")
    if kind == "VGG":
        convs = sum(type(m).__name__ == "Conv2d" for m in module.features)
        bn = any(type(m).__name__ == "BatchNorm2d" for m in module.features)
        if convs in _VGGS:
            return f"vgg{_VGGS[convs]}" + ("_bn" if bn else "")
        raise _unsupported(f"a VGG with {convs} convolutions")
    if kind == "DenseNet":
        blocks = tuple(len(getattr(module.features, f"denseblock{i}")) for i in range(1, 5))
        growth = int(module.features.denseblock1.denselayer1.conv2.out_channels)
        if blocks in _DENSENETS and growth == 32:
            return _DENSENETS[blocks]
        raise _unsupported(f"a DenseNet with blocks {blocks} and growth rate {growth}")
    if kind == "SqueezeNet":
        return "squeezenet1_0" if module.features[0].kernel_size[0] == 7 else "squeezenet1_1"
    if kind == "MobileNetV3":
        sizes = {13: "mobilenet_v3_small", 17: "mobilenet_v3_large"}
        if len(module.features) in sizes:
            return sizes[len(module.features)]
        raise _unsupported(f"a MobileNetV3 of {len(module.features)} feature stages")
    if kind == "EfficientNet":
        from convnets.models.efficientnet import SCALING, EfficientNetConfig

        stem, top = int(module.features[0][0].out_channels), int(module.features[-1][0].out_channels)
        blocks = sum(len(stage) for stage in module.features[1:-1])
        if type(module.features[1][0]).__name__ == "FusedMBConv":  # V2: S, M and L by stem and depths
            from convnets.models.efficientnet_v2 import SCALING as V2

            depths = tuple(len(stage) for stage in module.features[1:-1])
            for size in ("s", "m", "l"):
                table = V2[size][0]
                if (table[0].cin, tuple(a.repeats for a in table), 1280) == (stem, depths, top):
                    return f"efficientnet_v2_{size}"
            raise _unsupported(f"an EfficientNetV2 with a {stem}-channel stem, stages of {depths} blocks and a "
                               f"{top}-channel top")
        for point, (width, depth, _, _) in SCALING.items():
            c = EfficientNetConfig(width, depth)
            if (c.filters(c.stem), c.filters(c.top), sum(c.repeats(a.repeats) for a in c.blocks)) == (stem, top,
                                                                                                      blocks):
                if type(module.features[1][0]).__name__ == "MBConv":
                    return f"efficientnet_{point}"
        raise _unsupported(f"an EfficientNet with a {stem}-channel stem, {blocks} blocks and a {top}-channel top")
    if kind == "RegNet":
        from convnets.models.regnet import POINTS, RegNetConfig

        stages = list(module.trunk_output)
        key = tuple((len(s), int(s[0].f.c[0].out_channels), int(s[0].f.b[0].groups)) for s in stages)
        se = hasattr(stages[0][0].f, "se")
        for point, p in POINTS.items():
            if f"regnet_{point}" in TORCHVISION_MODELS and p.se == se and key == tuple(
                    (d, w, w // g) for w, d, g in RegNetConfig(p).stages("torchvision")):
                return f"regnet_{point}"
        raise _unsupported(f"a RegNet{'Y' if se else 'X'} with stages of (blocks, width, groups) {key}")
    if kind == "MNASNet":
        from convnets.models.mnasnet import B1, MnasNetConfig

        names = {0.5: "mnasnet0_5", 0.75: "mnasnet0_75", 1.0: "mnasnet1_0", 1.3: "mnasnet1_3"}
        alpha = float(getattr(module, "alpha", 0.0))
        c = MnasNetConfig(B1, alpha) if alpha > 0 else None
        stem = (int(module.layers[0].out_channels), int(module.layers[6].out_channels))
        if alpha in names and c is not None and stem == (c.width(c.stem), c.width(B1[0].out)):
            return names[alpha]  # torchvision's version 2: the stem scales with alpha (a version-1 one does not)
        raise _unsupported(f"an MNASNet of width {alpha:g} with a {stem[0]}/{stem[1]}-channel stem")
    if kind == "ShuffleNetV2":
        widths = {48: "0_5", 116: "1_0", 176: "1_5", 244: "2_0"}
        stage2 = int(module._stage_out_channels[1])
        if stage2 in widths and list(module._stage_out_channels) == list(_SHUFFLE_WIDTHS[widths[stage2]]):
            return f"shufflenet_v2_x{widths[stage2]}"
        raise _unsupported(f"a ShuffleNetV2 with stage widths {list(module._stage_out_channels)}")
    if kind == "ConvNeXt":
        from convnets.models.convnext import VARIANTS

        stages = [m for m in module.features if type(m).__name__ == "Sequential" and
                  all(type(b).__name__ == "CNBlock" for b in m)]
        key = (tuple(int(s[0].block[0].in_channels) for s in stages), tuple(len(s) for s in stages))
        for size, (dims, depths) in VARIANTS.items():
            if key == (dims, depths) and f"convnext_{size}" in TORCHVISION_MODELS:
                return f"convnext_{size}"
        raise _unsupported(f"a ConvNeXt with widths {key[0]} and depths {key[1]}")
    simple = {"AlexNet": "alexnet", "GoogLeNet": "googlenet", "Inception3": "inception_v3",
              "MobileNetV2": "mobilenet_v2"}
    if kind in simple:
        return simple[kind]
    raise _unsupported(f"a {kind}")


def _mobilenet_v2_alpha(state: dict[str, np.ndarray]) -> float:
    """torchvision's ``width_mult`` from the stem's and the last block's widths (both rounded to 8)."""
    from convnets.models.mobilenet import make_divisible

    stem = state["features.0.0.weight"].shape[0]
    last = state["features.17.conv.2.weight"].shape[0]  # 320 x alpha, the last inverted residual's projection
    for alpha in (0.35, 0.5, 0.75, 1.0, 1.3, 1.4, 1.5, 2.0):
        if make_divisible(32 * alpha) == stem and make_divisible(320 * alpha) == last:
            return alpha
    raise ConfigError(f"MobileNet v2 with a {stem}-channel stem and {last}-channel last block: no width "
                      "multiplier among 0.35 .. 2.0 gives it; pass alpha=")


def _as_numpy(t: Any) -> np.ndarray:
    if hasattr(t, "detach"):
        t = t.detach().cpu().float().numpy() if t.is_floating_point() else t.detach().cpu().numpy()
    return np.asarray(t)


def _groups(state: dict[str, Any]) -> list[tuple[str, str, dict[str, np.ndarray]]]:
    """(key prefix, kind, tensors) per torch layer, in the state dict's order; training-only heads skipped."""
    found: dict[str, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        if _SKIP.match(key):
            continue
        prefix, _, leaf = key.rpartition(".")
        if leaf == "num_batches_tracked":
            continue
        if leaf == "layer_scale":  # ConvNeXt's gamma, (C, 1, 1): a layer of its own, as ours is
            prefix, leaf = key, "weight"
        found.setdefault(prefix, {})[leaf] = _as_numpy(value)
    rows = []
    for prefix, tensors in found.items():
        weight = tensors.get("weight")
        if prefix.endswith(".layer_scale"):
            kind = "scale"
        elif "running_mean" in tensors:
            kind = "bn"
        elif weight is not None and weight.ndim == 4:
            kind = "conv"
        elif weight is not None and weight.ndim == 2:
            kind = "linear"
        elif weight is not None and weight.ndim == 1:
            kind = "norm"
        else:
            raise ConfigError(f"torch layer {prefix!r} holds {sorted(tensors)}: not a convolution, linear, "
                              "BatchNorm or LayerNorm layer that from_torch knows")
        rows.append((prefix, kind, tensors))
    # torch registers a block's layer scale before its layers; it multiplies their output, so ours comes
    # after them: move each to after the last layer of its block.
    for row in [r for r in rows if r[1] == "scale"]:
        block = row[0][: -len("layer_scale")]
        rows.remove(row)
        last = max(i for i, r in enumerate(rows) if r[0].startswith(block))
        rows.insert(last + 1, row)
    return rows


def _kind(layer: Any) -> str | None:
    if isinstance(layer, (Conv2D, DepthwiseConv2D)):
        return "conv"
    if isinstance(layer, Dense):
        return "linear"
    if isinstance(layer, BatchNorm):
        return "bn"
    if type(layer).__name__ == "LayerNorm":
        return "norm"
    if type(layer).__name__ == "LayerScale":
        return "scale"
    return None


def _assign(var: Any, value: np.ndarray, what: str) -> None:
    if tuple(var.shape) != value.shape:
        raise ConfigError(f"{what}: shape {tuple(var.shape)} in our model, {value.shape} from torch")
    var.assign(value.astype(var.dtype.as_numpy_dtype))


def _copy(layer: Any, kind: str, tensors: dict[str, np.ndarray], what: str, flat_from: tuple[int, ...] | None,
          epsilon: float | None) -> None:
    if kind == "bn":
        for ours, theirs in ((layer.gamma, "weight"), (layer.beta, "bias"), (layer.moving_mean, "running_mean"),
                             (layer.moving_variance, "running_var")):
            if ours is None:
                raise ConfigError(f"{what}: torch's BatchNorm has {theirs}, our layer does not")
            _assign(ours, tensors[theirs], f"{what}.{theirs}")
        if epsilon is not None and not np.isclose(layer.epsilon, epsilon, rtol=1e-6, atol=0):
            raise ConfigError(f"{what}: BatchNorm epsilon {layer.epsilon} in our model, {epsilon} in torch")
        return
    if kind == "scale":
        _assign(layer.gamma, tensors["weight"].reshape(-1), f"{what}")
        return
    if kind == "norm":
        _assign(layer.gamma, tensors["weight"], f"{what}.weight")
        _assign(layer.beta, tensors["bias"], f"{what}.bias")
        return
    w = tensors["weight"]
    if kind == "conv":
        if isinstance(layer, DepthwiseConv2D):
            w = w.transpose(2, 3, 0, 1)  # (C, 1, kh, kw) -> (kh, kw, C, 1)
        else:
            w = w.transpose(2, 3, 1, 0)  # OIHW -> HWIO (a grouped kernel keeps its group-by-group order)
    else:
        if w.ndim == 4:  # (O, I, 1, 1)
            w = w[:, :, 0, 0]
        if flat_from is not None and w.shape[1] == int(np.prod(flat_from)):
            h, wd, c = flat_from  # torch flattened C, H, W; we flatten H, W, C
            w = w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
        w = w.T
    _assign(layer.w, w, f"{what}.weight")
    bias = tensors.get("bias")
    if layer.b is not None:
        if bias is None:
            raise ConfigError(f"{what}: our layer has a bias, torch's has none")
        _assign(layer.b, bias, f"{what}.bias")
    elif bias is not None:
        raise ConfigError(f"{what}: torch's layer has a bias, our layer has none")


def _epsilons(module: Any) -> dict[str, float]:
    """BatchNorm epsilon per state-dict prefix (a module knows them; a bare state dict does not)."""
    if module is None:
        return {}
    return {name: float(m.eps) for name, m in module.named_modules() if type(m).__name__ == "BatchNorm2d"}


def from_torch(module_or_state_dict: Any, name: str | None = None, *, input_shape: Any = None,
               include_top: bool = True, pooling: str | None = None, **options: Any) -> Model:
    """Build our equivalent of a torchvision classification model and copy its weights in.

    Args:
      module_or_state_dict: a torchvision model (``torchvision.models.resnet50(weights=...)``) or
        its ``state_dict()``.
      name: torchvision's builder name ("resnet50", "vgg16_bn", ...); needed for a state dict,
        inferred from a module's structure.
      input_shape: our model's input, by default torchvision's (224x224x3; 299 for Inception-v3).
        VGG and AlexNet with their top take only that size (torchvision's adaptive pooling
        resizes other sizes to 7x7 or 6x6; ours does not).
      include_top, pooling: as ``create_model``; without the top the classifier is left out.
      **options: more builder options (e.g. ``alpha`` for MobileNet v2, inferred otherwise).

    The model computes torchvision's eval-mode function. GoogLeNet and Inception-v3 built with
    ``transform_input=True`` (torchvision sets it for their ImageNet weights) take inputs scaled to
    [-1, 1] instead of ImageNet-normalised ones; ``convert_torch`` records that preprocessing.

    Raises:
      ConfigError: an unsupported model, or any layer or tensor that does not match.
    """
    module = None
    if hasattr(module_or_state_dict, "state_dict") and hasattr(module_or_state_dict, "named_modules"):
        module = module_or_state_dict
        found = identify(module)
        if name is not None and name != found:
            raise ConfigError(f"from_torch: the module is torchvision's {found}, not {name}")
        name = found
        state = module.state_dict()
    elif isinstance(module_or_state_dict, dict):
        state = module_or_state_dict
        if name is None:
            raise ConfigError("from_torch: a state dict does not say which network it is; pass name= "
                              f"(one of {', '.join(TORCHVISION_MODELS)})")
    else:
        raise ConfigError("from_torch expects a torchvision model (e.g. torchvision.models.resnet50()) or its "
                          f"state_dict(), got {type(module_or_state_dict).__name__}")
    if name not in TORCHVISION_MODELS:
        raise _unsupported(repr(name))
    ours_name, builder_options = TORCHVISION_MODELS[name]
    builder_options = {**builder_options, **options}
    groups = _groups(state)
    if name == "mobilenet_v2" and "alpha" not in builder_options:
        builder_options["alpha"] = _mobilenet_v2_alpha({p + "." + k: v for p, _, t in groups for k, v in t.items()})
    last = groups[-1]
    num_classes = int(last[2]["weight"].shape[0])  # the classifier: linear, or SqueezeNet's 1x1 convolution
    size = _SIZES.get(name, 224)
    shape = input_shape if input_shape is not None else (size, size, 3)
    if not include_top:
        builder_options.update(include_top=False, pooling=pooling)
    model = create_model(ours_name, num_classes=num_classes, input_shape=shape, **builder_options)
    grid = 6 if name == "alexnet" else 7 if name.startswith("vgg") else None  # torchvision's AdaptiveAvgPool2d
    if grid and include_top and model.feature_shape(tuple(model.input_shape))[:2] != (grid, grid):
        h, w, c = model.feature_shape(tuple(model.input_shape))
        raise ConfigError(f"torchvision's {name} classifier reads a {grid}x{grid}x{c} map (its adaptive pooling "
                          f"resizes any input to that); at {'x'.join(map(str, model.input_shape[:2]))} ours has "
                          f"{h}x{w}: use 224x224, or include_top=False for the features")
    model.config["source"] = f"torchvision.models.{name}"
    epsilons = _epsilons(module)
    pending = list(groups)
    flat_from: tuple[int, ...] | None = None
    for row in record_layers(model, tuple(model.input_shape)):
        layer, kind = row["layer"], _kind(row["layer"])
        if kind is None:
            if len(row["output_shape"]) == 3:
                flat_from = tuple(row["output_shape"])
            continue
        if not pending:
            raise ConfigError(f"our layer {row['name']} has no torch layer left to match in {name}")
        prefix, their_kind, tensors = pending.pop(0)
        if their_kind == "conv" and kind == "linear" and tensors["weight"].shape[2:] == (1, 1):
            their_kind = "linear"  # a 1x1 convolution on a pooled vector (MobileNet v3's SE) is our Dense
        if their_kind != kind:
            raise ConfigError(f"our layer {row['name']} ({kind}) meets torch's {prefix} ({their_kind}): "
                              f"the two {name} networks differ in layout")
        _copy(layer, kind, tensors, f"{row['name']} (torch {prefix})", flat_from if kind == "linear" else None,
              epsilons.get(prefix))
        if len(row["output_shape"]) == 3:
            flat_from = tuple(row["output_shape"])
    if pending and include_top:
        raise ConfigError(f"torch layers left unused: {', '.join(p for p, _, _ in pending[:5])}")
    return model


# torchvision's preprocessing for its ImageNet weights (transforms: ImageNet mean/std on 0..1, RGB).
_TORCH_MODE = dict(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
_TF_MODE = dict(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))  # what transform_input=True amounts to


def convert_torch(name: str, out: str, weights: str = "auto", size: int | None = None,
                  log: Callable[[str], None] = print) -> dict[str, Any]:
    """Build ``torchvision.models.<name>``, port it with ``from_torch`` and save a run directory that
    ``predict``, ``embed``, ``gradcam``, ``export``, ``evaluate`` and ``train --init-from`` accept.

    ``weights``: "imagenet" (torchvision's default weights, downloaded by torchvision: needs the
    internet), "none" (random initialisation: for testing the plumbing) or "auto" (ImageNet if it
    can be fetched, otherwise random with a warning; $CONVNETS_NO_DOWNLOAD=1 means random).
    """
    import os

    from convnets.keras_port import _reason
    from convnets.train.checkpoint import latest_checkpoint

    if name not in TORCHVISION_MODELS:
        raise ConfigError(f"convert-torch supports {', '.join(TORCHVISION_MODELS)}; not {name!r}")
    if weights not in ("auto", "imagenet", "none"):
        raise ConfigError(f"--weights must be auto, imagenet or none, not {weights!r}")
    if latest_checkpoint(out):
        raise ConfigError(f"{out} already holds a run; choose another --out")
    tv = import_torchvision()
    builder = getattr(tv.models, name)
    want = "none" if weights == "auto" and os.environ.get("CONVNETS_NO_DOWNLOAD") else weights
    source = "random"
    module = None
    if want in ("auto", "imagenet"):
        try:
            module = builder(weights="DEFAULT")
            source = "imagenet"
        except Exception as e:  # no network, ...
            if want == "imagenet":
                raise ConfigError(f"could not get torchvision's ImageNet weights for {name}: {_reason(e)}") from None
            log(f"warning: torchvision's ImageNet weights for {name} unavailable ({_reason(e)}); "
                "using random weights, so its predictions mean nothing")
    if module is None:
        module = builder(weights=None, **({"aux_logits": False, "init_weights": True}
                                          if name in ("googlenet", "inception_v3") else {}))
    return save_torch_run(module, out, size=size, weights=source)


def save_torch_run(module: Any, out: str, size: int | None = None, weights: str = "custom") -> dict[str, Any]:
    """Port a torchvision ``module`` (its own weights: ImageNet, random, or fine-tuned in PyTorch) with
    ``from_torch`` and save it as a run directory with torchvision's preprocessing and ImageNet's class
    names (when it has 1000 outputs)."""
    import os
    from pathlib import Path

    import tensorflow as tf

    from convnets.data.pipeline import PreprocessSpec
    from convnets.keras_port import imagenet_class_names
    from convnets.train.checkpoint import latest_checkpoint, write_json

    if latest_checkpoint(out):
        raise ConfigError(f"{out} already holds a run; choose another --out")
    module.eval()
    name = identify(module)
    side = size or _SIZES.get(name, 224)
    model = from_torch(module, input_shape=(side, side, 3))
    mode = _TF_MODE if getattr(module, "transform_input", False) else _TORCH_MODE
    spec = PreprocessSpec(image_shape=(side, side, 3), input_shape=(side, side, 3), **mode)
    classes = imagenet_class_names() if model.num_classes == 1000 else [str(i) for i in range(model.num_classes)]
    path = Path(out)
    write_json(path / "config.json", {
        "model": model.config, "dataset": "imagenet" if model.num_classes == 1000 else None,
        "data_source": f"torchvision.models.{name}", "weights": weights, "data_dir": None, "class_names": classes,
        "preprocess": spec.to_dict(), "train": None,
    })
    tf.train.CheckpointManager(tf.train.Checkpoint(model=model), os.fspath(path / "checkpoints"), 1).save()
    return {"out": os.fspath(path), "model": model.config["name"], "torchvision": name, "weights": weights,
            "trainable_params": model.trainable_params}


# Operators torchvision registers fake kernels for when it is imported.
_TV_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_TV_LIBRARIES: list[Any] = []  # a torch.library.Library's definitions live as long as the object


def import_torchvision() -> Any:
    """``import torchvision``, or a ConfigError saying how to install it.

    A torchvision wheel built against another torch (the package registry here serves a CUDA
    build beside the CPU torch) fails on import while registering ``torchvision::nms``; the
    classification models use none of its C operators, so declaring their schemas first makes
    the import succeed. A matching torch/torchvision pair needs none of this.
    """
    import importlib
    import sys

    try:
        import torch
    except ImportError:
        raise ConfigError('torch is not installed: pip install -e ".[torch]" (torch and torchvision)') from None
    try:
        return importlib.import_module("torchvision")
    except ImportError:
        raise ConfigError('torchvision is not installed: pip install -e ".[torch]"') from None
    except RuntimeError:
        for mod in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[mod]
    try:
        lib = torch.library.Library("torchvision", "DEF")
        for schema in _TV_SCHEMAS:
            lib.define(schema)
        _TV_LIBRARIES.append(lib)
        return importlib.import_module("torchvision")
    except Exception as e:  # noqa: BLE001  (anything else: say it plainly)
        from convnets.keras_port import _reason

        raise ConfigError(f"torchvision does not import beside this torch ({_reason(e)}); install a "
                          "matching pair: pip install -e \".[torch]\"") from None

