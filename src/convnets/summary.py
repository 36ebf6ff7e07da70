"""Parameter and multiply-accumulate counts, and the layer table of ``convnets summary``."""

from __future__ import annotations

from typing import Any

from convnets.catalog import human
from convnets.layers.base import record_layers
from convnets.models.base import Model


def summarize(model: Model, input_shape: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Layer-by-layer output shapes, parameters and MACs for one example.

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
    rows = record_layers(model, shape)
    extra = []
    for block, block_shape in model.training_only():
        for r in record_layers(block, block_shape):
            r["name"] = f"{block.name}/{r['name']}" if r["name"] != block.name else r["name"]
            r["training_only"] = True
            extra.append(r)
    keys = ("name", "type", "output_shape", "params", "macs")
    return {
        "model": model.config.get("name", model.name),
        "input_shape": list(shape),
        "total_params": model.total_params,
        "trainable_params": model.trainable_params,
        "training_only_params": sum(r["params"] for r in extra),
        "macs": sum(r["macs"] for r in rows),
        "layers": [{k: r[k] for k in keys} for r in rows]
        + [{**{k: r[k] for k in keys}, "training_only": True} for r in extra],
    }


def format_table(summary: dict[str, Any]) -> str:
    """The summary as an aligned text table."""
    head = ("layer", "type", "output shape", "params", "MACs")
    body = [
        (r["name"] + (" (training only)" if r.get("training_only") else ""), r["type"],
         "x".join(map(str, r["output_shape"])), f"{r['params']:,}", f"{r['macs']:,}")
        for r in summary["layers"]
    ]
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    aligns = ["<", "<", "<", ">", ">"]

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
    return "\n".join(lines)
