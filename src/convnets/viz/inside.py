"""Looking inside a trained network: kernels, feature maps and Grad-CAM.

- ``plot_filters``: a convolution's kernels as small images (Zeiler & Fergus
  2014 show AlexNet's first layer this way: edge and colour-blob detectors).
- ``plot_feature_maps``: what each channel of a layer responds to in one image.
- ``gradcam``: Selvaraju et al. 2017, "Grad-CAM". The gradient of a class score
  with respect to a layer's feature maps, averaged over space (Eq. 1), weights
  the maps; their ReLU'd sum (Eq. 2) shows where the evidence for the class is.

Layers are named as ``convnets summary`` names them (e.g. ``C1``, ``stage3_block3/conv2/conv``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from convnets.errors import ConfigError  # noqa: E402
from convnets.layers import (  # noqa: E402
    AvgPool2D,
    Conv2D,
    DepthwiseConv2D,
    MaxPool2D,
    PartialConv2D,
    SeparableConv2D,
    Subsampling2D,
    layer_outputs,
    record_layers,
)
from convnets.models import Model  # noqa: E402
from convnets.viz.plots import save  # noqa: E402

CONV_TYPES = (Conv2D, DepthwiseConv2D, PartialConv2D)
POOLS = (MaxPool2D, AvgPool2D, Subsampling2D)


def find_row(rows: list[dict[str, Any]], name: str, what: str = "layer") -> dict[str, Any]:
    """The row named ``name`` (exactly, or the one whose name ends with ``/name``)."""
    exact = [r for r in rows if r["name"] == name]
    matches = exact or [r for r in rows if r["name"].endswith("/" + name)]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(r["name"] for r in rows[:40]) + (", ..." if len(rows) > 40 else "")
    if not matches:
        raise ConfigError(f"no {what} named {name!r}; choose one of: {names} (see 'convnets summary')")
    raise ConfigError(f"{what} name {name!r} is ambiguous: {', '.join(r['name'] for r in matches[:10])}")


def conv_kernels(model: Model) -> list[tuple[str, np.ndarray]]:
    """Every convolution's kernel as (name, HWIO array), in forward order.

    LeNet-5's partial C3 is shown as its equivalent dense kernel (zeros where a
    map is not connected, Table I); a depthwise kernel as (H, W, C, multiplier), and a
    separable convolution (Xception) by its depthwise kernel, the one with a spatial extent.
    """
    rows = record_layers(model, model.input_shape)
    out = []
    for r in rows:
        layer = r["layer"]
        if isinstance(layer, PartialConv2D):
            out.append((r["name"], layer.dense_kernel().numpy()))
        elif isinstance(layer, CONV_TYPES):
            out.append((r["name"], layer.w.numpy()))
        elif isinstance(layer, SeparableConv2D):
            out.append((r["name"], layer.depthwise_kernel.numpy()))
    return out


def _unit(a: np.ndarray) -> np.ndarray:
    """Scale to 0..1 (a constant array becomes 0.5)."""
    lo, hi = float(a.min()), float(a.max())
    return np.full_like(a, 0.5) if hi - lo < 1e-12 else (a - lo) / (hi - lo)


def plot_filters(kernel: np.ndarray, title: str = "", max_out: int = 64, max_in: int = 16) -> Figure:
    """Kernels as images. RGB input: one colour image per filter; otherwise a grid
    with a row per output channel and a column per input channel (grey)."""
    kh, kw, cin, cout = kernel.shape
    if cin == 3:
        n = min(cout, max_out)
        cols = min(n, 8)
        rows = -(-n // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(1.2 * cols, 1.2 * rows + 0.6), squeeze=False)
        for i, ax in enumerate(axes.ravel()):
            ax.axis("off")
            if i < n:
                ax.imshow(_unit(kernel[:, :, :, i]), interpolation="nearest")
    else:
        nin, nout = min(cin, max_in), min(cout, max_out)
        if cin == 1:  # one input channel: lay the filters out in a square-ish grid
            cols = min(nout, 8)
            rows = -(-nout // cols)
            cells = [(i // cols, i % cols, kernel[:, :, 0, i]) for i in range(nout)]
        else:
            rows, cols = nout, nin
            cells = [(o, i, kernel[:, :, i, o]) for o in range(nout) for i in range(nin)]
        scale = 1.0 if max(rows, cols) <= 16 else 16 / max(rows, cols)
        fig, axes = plt.subplots(rows, cols, figsize=(max(6.0, 1.0 * cols * scale), 1.0 * rows * scale + 0.8),
                                 squeeze=False)
        for ax in axes.ravel():
            ax.axis("off")
        lim = float(np.abs(kernel).max()) or 1.0  # one colour scale for all: weights are comparable
        for r, c, k in cells:
            axes[r, c].imshow(k, cmap="gray", vmin=-lim, vmax=lim, interpolation="nearest")
        if cin > 1:
            title += f"\n(rows: output channels 1-{nout} of {cout}; columns: input channels 1-{nin} of {cin})"
    fig.suptitle(title or f"{cout} kernels {kh}x{kw}x{cin}", fontsize=9)
    return fig


def display_image(x: np.ndarray) -> np.ndarray:
    """A model-input image (H, W, C), normalised, back to 0..1 for display."""
    x = _unit(np.asarray(x, np.float32))
    return x[..., 0] if x.shape[-1] == 1 else x


def plot_feature_maps(x: np.ndarray, maps: np.ndarray, title: str = "", max_maps: int = 64) -> Figure:
    """The input image, then each channel of ``maps`` (H, W, C) as a heat image."""
    n = min(maps.shape[-1], max_maps)
    cols = min(8, n + 1)
    rows = -(-(n + 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.5 * cols, 1.5 * rows + 0.6), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    img = display_image(x)
    axes[0, 0].imshow(img, cmap="gray" if img.ndim == 2 else None)
    axes[0, 0].set_title("input", fontsize=7)
    for i in range(n):
        ax = axes.ravel()[i + 1]
        ax.imshow(maps[:, :, i], cmap="viridis", interpolation="nearest")
        ax.set_title(str(i), fontsize=7)
    fig.suptitle(title or f"{maps.shape[-1]} feature maps {maps.shape[0]}x{maps.shape[1]}", fontsize=9)
    return fig


def feature_maps(model: Model, x: tf.Tensor, layer: str | None = None) -> tuple[str, np.ndarray]:
    """(layer name, its output for the first image of ``x`` as (H, W, C)); default: the first convolution."""
    _, rows = layer_outputs(model, x)
    spatial = [r for r in rows if len(r["output_shape"]) == 3]
    if not spatial:
        raise ConfigError(f"{model.name} has no layer with spatial feature maps")
    if layer is None:
        row = next((r for r in spatial if isinstance(r["layer"], CONV_TYPES)), spatial[0])
    else:
        row = find_row(rows, layer)
        if len(row["output_shape"]) != 3:
            raise ConfigError(f"layer {row['name']} outputs {row['output_shape']}, not feature maps (H, W, C)")
    return row["name"], row["output"][0].numpy()


def default_gradcam_layer(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The last layer whose output still has a spatial grid (> 1x1), pooling layers
    passed over: the paper's choice ("the last convolutional layer", Sec. 3), the most
    semantic maps that are still localised, at the finest grid they come in."""
    spatial = [r for r in rows if len(r["output_shape"]) == 3 and max(r["output_shape"][:2]) > 1]
    if not spatial:
        raise ConfigError("the model has no layer with a spatial grid for Grad-CAM")
    unpooled = [r for r in spatial if not isinstance(r["layer"], POOLS)]
    return (unpooled or spatial)[-1]


def gradcam(model: Model, x: tf.Tensor, class_index: int | None = None, layer: str | None = None
            ) -> tuple[np.ndarray, int, str, np.ndarray]:
    """Grad-CAM for the first image of ``x``.

    Returns (heat map at the layer's resolution scaled to 0..1, the class explained,
    the layer's name, the softmax probabilities). ``class_index`` defaults to the
    predicted class.
    """
    x = tf.convert_to_tensor(x[:1], tf.float32)
    with tf.GradientTape() as tape:
        logits, rows = layer_outputs(model, x)
        logits = tf.cast(logits, tf.float32)
        row = default_gradcam_layer(rows) if layer is None else find_row(rows, layer)
        if len(row["output_shape"]) != 3:
            raise ConfigError(f"layer {row['name']} outputs {row['output_shape']}, not feature maps (H, W, C)")
        probs = tf.nn.softmax(logits)[0].numpy()
        c = int(np.argmax(probs)) if class_index is None else int(class_index)
        if not 0 <= c < logits.shape[-1]:
            raise ConfigError(f"class {c} out of range: the model has {logits.shape[-1]} classes")
        score = logits[0, c]  # the pre-softmax score y^c, as in the paper
    maps = row["output"]
    grads = tape.gradient(score, maps)
    weights = tf.reduce_mean(grads, axis=(1, 2))  # alpha_k^c, Eq. 1
    cam = tf.nn.relu(tf.reduce_sum(maps * weights[:, None, None, :], axis=-1))[0].numpy()  # Eq. 2
    peak = float(cam.max())
    return (cam / peak if peak > 0 else cam), c, row["name"], probs


def upsample(heat: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a (h, w) map to ``size`` = (H, W)."""
    return tf.image.resize(heat[None, :, :, None], size, method="bilinear")[0, :, :, 0].numpy()


def plot_gradcam(x: np.ndarray, heat: np.ndarray, title: str = "") -> Figure:
    """The image, the heat map, and the heat map over the image."""
    img = display_image(x)
    big = upsample(heat, img.shape[:2])
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
    cmap = "gray" if img.ndim == 2 else None
    axes[0].imshow(img, cmap=cmap)
    axes[0].set_title("input", fontsize=9)
    axes[1].imshow(heat, cmap="jet", vmin=0, vmax=1, interpolation="nearest")
    axes[1].set_title(f"Grad-CAM {heat.shape[0]}x{heat.shape[1]}", fontsize=9)
    axes[2].imshow(img, cmap=cmap)
    axes[2].imshow(big, cmap="jet", alpha=0.45, vmin=0, vmax=1)
    axes[2].set_title("overlay", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


# --- run-directory entry points (the CLI's filters / features / gradcam) ---------------------

def _model_input(run_dir: str | os.PathLike[str], image: str) -> tuple[Model, dict[str, Any], tf.Tensor]:
    from convnets.data.pipeline import preprocess
    from convnets.evaluate import load_images
    from convnets.train.checkpoint import load_run

    model, spec, config = load_run(run_dir)
    return model, config, preprocess(load_images([image], spec), spec)


def _slug(name: str) -> str:
    return name.replace("/", "_")


def filters_for_run(run_dir: str | os.PathLike[str], layer: str | None = None, out: str | None = None) -> Path:
    """Write the kernels of ``layer`` (default: the first convolution) as a PNG."""
    from convnets.train.checkpoint import load_run

    model, _, config = load_run(run_dir)
    kernels = conv_kernels(model)
    if not kernels:
        raise ConfigError(f"{config['model']['name']} has no convolution")
    if layer is None:
        name, k = kernels[0]
    else:
        row = find_row([{"name": n} for n, _ in kernels], layer, "convolution")
        name, k = next((n, k) for n, k in kernels if n == row["name"])
    fig = plot_filters(k, f"{config['model']['name']} {name}: {k.shape[3]} kernels {k.shape[0]}x{k.shape[1]}x{k.shape[2]}")
    return save(fig, Path(out) if out else Path(run_dir) / f"filters-{_slug(name)}.png")


def features_for_run(run_dir: str | os.PathLike[str], image: str, layer: str | None = None,
                     out: str | None = None) -> Path:
    """Write the feature maps of ``image`` at ``layer`` (default: the first convolution) as a PNG."""
    model, config, x = _model_input(run_dir, image)
    name, maps = feature_maps(model, x, layer)
    fig = plot_feature_maps(x[0].numpy(), maps, f"{config['model']['name']} {name}: {Path(image).name}")
    return save(fig, Path(out) if out else Path(run_dir) / f"features-{Path(image).stem}-{_slug(name)}.png")


def gradcam_for_run(run_dir: str | os.PathLike[str], image: str, class_name: str | None = None,
                    layer: str | None = None, out: str | None = None) -> tuple[Path, str, float]:
    """Write a Grad-CAM picture for ``image``; return (path, class explained, its probability)."""
    model, config, x = _model_input(run_dir, image)
    names = config.get("class_names") or [str(i) for i in range(model.num_classes)]
    index = None
    if class_name is not None:
        if class_name in names:
            index = names.index(class_name)
        elif class_name.isdigit():
            index = int(class_name)
        else:
            raise ConfigError(f"unknown class {class_name!r}; classes: {', '.join(names[:20])}"
                              + (", ..." if len(names) > 20 else ""))
    heat, c, name, probs = gradcam(model, x, index, layer)
    label = names[c] if c < len(names) else str(c)
    fig = plot_gradcam(x[0].numpy(), heat, f"{config['model']['name']} {name}: Grad-CAM for '{label}' "
                                           f"(p={probs[c]:.2f}) on {Path(image).name}")
    return save(fig, Path(out) if out else Path(run_dir) / f"gradcam-{Path(image).stem}.png"), label, float(probs[c])
