"""Parameter and multiply-accumulate counts, receptive fields, and the layer table of ``convnets summary``."""

from __future__ import annotations

from typing import Any

from convnets.catalog import human
from convnets.layers.base import record_layers
from convnets.models.base import Model


def summarize(model: Model, input_shape: tuple[int, ...] | None = None, fields: bool = False,
              shapes_only: bool = False) -> dict[str, Any]:
    """Layer-by-layer output shapes, parameters and MACs for one example (``fields``: and each layer's
    receptive field and jump, ``receptive_fields``; ``convnets summary`` shows them; ``shapes_only``: the
    convolutions and dense layers return zeros of their shape instead of computing, see ``record_layers``).

    MACs count the multiply-accumulates of convolutions and dense layers (plus
    LeNet's subsampling coefficients), the unit the papers call FLOPs or
    mult-adds; BatchNorm, activations and pooling are not counted. Layers that run
    only in training (GoogLeNet's auxiliary classifiers, ``Model.training_only``)
    are listed after the others, marked, and left out of the MACs of inference, so
    the rows always add up to the trainable count.
    """
    if not isinstance(model, Model):
        from convnets.errors import ConfigError

        raise ConfigError(f"summarize expects a model (convnets.create_model(name)), got {type(model).__name__}")
    shape = tuple(input_shape or model.input_shape)
    rows = record_layers(model, shape, shapes_only)
    extra = []
    for block, block_shape in model.training_only():
        for r in record_layers(block, block_shape, shapes_only):
            r["name"] = f"{block.name}/{r['name']}" if r["name"] != block.name else r["name"]
            r["training_only"] = True
            extra.append(r)
    keys = ("name", "type", "output_shape", "params", "macs")
    extra_keys: tuple[str, ...] = ()
    features = None
    if fields:
        rf = receptive_fields(model, shape)
        if [r["name"] for r in rf["layers"]] != [r["name"] for r in rows]:
            raise RuntimeError(f"{model.name}: the traced layers differ from the eager ones")  # a bug of ours
        for r, f in zip(rows, rf["layers"]):
            r.update(receptive_field=list(f["receptive_field"]), jump=list(f["jump"]))
        features = {k: list(v) for k, v in rf["features"].items() if k != "name"}
        extra_keys = ("receptive_field", "jump")
    keys += extra_keys
    return {
        **({"features_receptive_field": features} if features else {}),
        "model": model.config.get("name", model.name),
        "input_shape": list(shape),
        "total_params": model.total_params,
        "trainable_params": model.trainable_params,
        "training_only_params": sum(r["params"] for r in extra),
        "macs": sum(r["macs"] for r in rows),
        "layers": [{k: r[k] for k in keys} for r in rows]
        + [{**{k: r[k] for k in keys if k not in extra_keys}, "training_only": True} for r in extra],
    }


def format_table(summary: dict[str, Any]) -> str:
    """The summary as an aligned text table."""
    fields = "features_receptive_field" in summary
    head = ("layer", "type", "output shape", "params", "MACs") + (("RF", "jump") if fields else ())

    def pair(v: list[int] | None) -> str:  # 7x7 -> "7", a 1x7 convolution's field 7x13 -> "7x13"
        return "" if v is None else str(v[0]) if v[0] == v[1] else f"{v[0]}x{v[1]}"

    body = [
        (r["name"] + (" (training only)" if r.get("training_only") else ""), r["type"],
         "x".join(map(str, r["output_shape"])), f"{r['params']:,}", f"{r['macs']:,}")
        + ((pair(r.get("receptive_field")), pair(r.get("jump")) if len(r["output_shape"]) == 3 else "")
           if fields else ())
        for r in summary["layers"]
    ]
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    aligns = ["<", "<", "<", ">", ">", ">", ">"]

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(row, aligns, widths))

    rule = "-" * len(fmt(head))
    lines = [f"{summary['model']}  input {'x'.join(map(str, summary['input_shape']))}", rule, fmt(head), rule]
    lines += [fmt(r) for r in body]
    lines.append(rule)
    trainable, extra = summary["trainable_params"], summary.get("training_only_params", 0)
    lines.append(f"trainable params: {trainable:,}" + (
        f"  ({trainable - extra:,} at inference + {extra:,} in training-only layers)" if extra else ""))
    if summary["total_params"] != trainable:
        lines.append(f"total params:     {summary['total_params']:,}  (with BatchNorm moving statistics)")
    lines.append(f"MACs:             {summary['macs']:,}  ({human(summary['macs'])}, inference)")
    if fields:
        f = summary["features_receptive_field"]
        lines.append(f"receptive field:  {pair(f['receptive_field'])} px for a unit of the last feature map, jump "
                     f"{pair(f['jump'])} px (RF: the input pixels a unit depends on, padding included; jump: the "
                     "step between neighbouring units' fields)")
    return "\n".join(lines)


# --- receptive fields ------------------------------------------------------------------------
# A unit's receptive field is the input window it depends on; its jump (effective stride) is how far
# the window moves between neighbouring units. Through a window op of kernel k, stride s, dilation d
# (Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019):
#     r_out = r_in + (k - 1) * d * j_in        j_out = j_in * s
# Computed from the traced graph of the model itself, so branches (Inception), shortcuts (ResNet),
# concatenations (DenseNet) and gates (SE) count: where paths meet, the widest field wins; an SE gate or
# a global pool depends on the whole map. Theoretical fields may exceed the image (the padding's share).
_WINDOW_OPS = {"Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool"}  # the ops tf.nn's convolutions and pools trace to
_SPATIAL_REDUCTIONS = {"Mean", "Max", "Sum", "Min"}

Field = tuple[tuple[int, int], tuple[int, int]]  # ((r_h, r_w), (j_h, j_w))


def _window(op: Any) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(kernel, stride, dilation) of a convolution or pooling op, each (h, w)."""
    strides = list(op.get_attr("strides"))
    if op.type in ("MaxPool", "AvgPool"):
        k = list(op.get_attr("ksize"))
        return (k[1], k[2]), (strides[1], strides[2]), (1, 1)
    kernel = op.inputs[1].shape  # HWIO (Conv2D) or HWCM (depthwise)
    dilations = list(op.get_attr("dilations"))
    return (int(kernel[0]), int(kernel[1])), (strides[1], strides[2]), (dilations[1], dilations[2])


def _through(op: Any, inputs: list[Field], tensor_of: Any) -> Field | None:
    """The field of ``op``'s outputs, from its inputs' (those that carry one)."""
    if not inputs:
        return None
    # Where paths meet (an addition, a concatenation, an SE gate's product), the output depends on all
    # of them: the widest field in each direction; the finest jump (an SE gate's 1x1 map moves with the map).
    rh, rw = max(f[0][0] for f in inputs), max(f[0][1] for f in inputs)
    jh, jw = min(f[1][0] for f in inputs), min(f[1][1] for f in inputs)
    if op.type in _WINDOW_OPS:
        (kh, kw), (sh, sw), (dh, dw) = _window(op)
        return (rh + (kh - 1) * dh * jh, rw + (kw - 1) * dw * jw), (jh * sh, jw * sw)
    x = op.inputs[0]
    if op.type == "StridedSlice" and x.shape.rank == 4:  # x[:, ::s, ::s]: ResNet's option-A shortcut
        strides = tensor_of(op.inputs[3])
        if strides is not None:
            return (rh, rw), (jh * int(strides[1]), jw * int(strides[2]))
    if x.shape.rank == 4 and x.shape[1] is not None:
        h, w = int(x.shape[1]), int(x.shape[2])
        spatial = op.type in _SPATIAL_REDUCTIONS and {1, 2} <= set(_axes(tensor_of(op.inputs[1]), 4))
        flattened = op.type == "Reshape" and op.outputs[0].shape.rank == 2
        if spatial or flattened:  # a global pool or a flatten: the whole map, a window of its size
            return (rh + (h - 1) * jh, rw + (w - 1) * jw), (jh * h, jw * w)
    return (rh, rw), (jh, jw)


def _axes(value: Any, rank: int) -> list[int]:
    if value is None:
        return []
    return [int(a) % rank for a in (value.ravel() if hasattr(value, "ravel") else [value])]


def receptive_fields(model: Model, input_shape: tuple[int, ...] | None = None) -> dict[str, Any]:
    """``layers``: per leaf layer, in ``summarize``'s order, ``receptive_field`` (h, w) in input pixels and
    ``jump`` (h, w), the effective stride; ``features``: the same for the last feature map (what the
    classifier sees, ``Model.forward_features``). From the traced graph of one forward pass."""
    import numpy as np
    import tensorflow as tf
    from tensorflow.python.framework import tensor_util

    from convnets.layers.base import layer_outputs

    shape = tuple(input_shape or model.input_shape)
    recorded: list[dict[str, Any]] = []

    features: list[tf.Tensor] = []

    @tf.function(autograph=False)
    def forward(x: tf.Tensor) -> Any:
        y, rows = layer_outputs(model, x)
        recorded.extend(rows)
        features.append(model.forward_features(x))
        return y

    graph = forward.get_concrete_function(tf.TensorSpec((1, *shape), tf.float32)).graph
    constants = {op.outputs[0].name: tensor_util.MakeNdarray(op.get_attr("value"))
                 for op in graph.get_operations() if op.type == "Const"}
    tensor_of = lambda t: constants.get(t.name)  # noqa: E731  (the constant behind a tensor, or None)
    fields: dict[str, Field] = {graph.inputs[0].name: ((1, 1), (1, 1))}
    for op in graph.get_operations():  # in creation order, which is topological
        field = _through(op, [fields[t.name] for t in op.inputs if t.name in fields], tensor_of)
        if field is not None:
            for t in op.outputs:
                fields[t.name] = field
    unknown = ((np.nan, np.nan), (np.nan, np.nan))

    def row(name: str, t: tf.Tensor) -> dict[str, Any]:
        (rh, rw), (jh, jw) = fields.get(t.name, unknown)
        return {"name": name, "receptive_field": (rh, rw), "jump": (jh, jw)}

    return {"layers": [row(r["name"], r["output"]) for r in recorded if not r.get("block")],
            "features": row("features", features[0])}
