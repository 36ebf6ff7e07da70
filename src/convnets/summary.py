"""Parameter and multiply-accumulate counts, and the layer table of ``convnets summary``."""

from __future__ import annotations

from typing import Any

from convnets.layers.base import record_layers
from convnets.models.base import Model


def summarize(model: Model, input_shape: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Layer-by-layer output shapes, parameters and MACs for one example.

    MACs count the multiply-accumulates of convolutions and dense layers (plus
    LeNet's subsampling coefficients), the unit the papers call FLOPs or
    mult-adds; BatchNorm, activations and pooling are not counted.
    """
    shape = tuple(input_shape or model.input_shape)
    rows = record_layers(model, shape)
    return {
        "model": model.config.get("name", model.name),
        "input_shape": list(shape),
        "total_params": model.total_params,
        "trainable_params": model.trainable_params,
        "macs": sum(r["macs"] for r in rows),
        "layers": [
            {k: r[k] for k in ("name", "type", "output_shape", "params", "macs")} for r in rows
        ],
    }


def format_table(summary: dict[str, Any]) -> str:
    """The summary as an aligned text table."""
    head = ("layer", "type", "output shape", "params", "MACs")
    body = [
        (r["name"], r["type"], "x".join(map(str, r["output_shape"])), f"{r['params']:,}", f"{r['macs']:,}")
        for r in summary["layers"]
    ]
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    aligns = ["<", "<", "<", ">", ">"]

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(row, aligns, widths))

    rule = "-" * len(fmt(head))
    lines = [f"{summary['model']}  input {'x'.join(map(str, summary['input_shape']))}", rule, fmt(head), rule]
    lines += [fmt(r) for r in body]
    lines += [
        rule,
        f"trainable params: {summary['trainable_params']:,}",
        f"total params:     {summary['total_params']:,}  (with BatchNorm moving statistics)",
        f"MACs:             {summary['macs']:,}  ({summary['macs'] / 1e6:.2f} M)",
    ]
    return "\n".join(lines)
