"""Training curves, confusion matrix and a grid of misclassified images for a run.

Each function returns a matplotlib ``Figure`` (for notebooks) and ``plot_run``
writes them as PNG files into the run directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows: works on servers and in CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix  # noqa: E402

from convnets.errors import ConvnetsError  # noqa: E402


def plot_history(history: pd.DataFrame, title: str = "") -> Figure:
    """Loss and accuracy per epoch, training beside the per-epoch evaluation: the test
    set (labelled so), or with --val-split the held-out part of train ("validation")."""
    from convnets.train.checkpoint import evaluated_on

    on = evaluated_on(history)
    label = "test" if on == "test set" else f"validation: {on}"
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(history["epoch"], history["loss"], "o-", label="train")
    ax_loss.plot(history["epoch"], history["val_loss"], "o-", label=label)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.plot(history["epoch"], history["accuracy"], "o-", label="train")
    ax_acc.plot(history["epoch"], history["val_accuracy"], "o-", label=label)
    ax_acc.set(xlabel="epoch", ylabel="top-1 accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion(labels: np.ndarray, predicted: np.ndarray, class_names: list[str], title: str = "") -> Figure:
    """The test set's confusion matrix (rows: true class, columns: predicted)."""
    n = len(class_names)
    cm = confusion_matrix(labels, predicted, labels=list(range(n)))
    size = max(5.0, 0.5 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay(cm, display_labels=class_names).plot(ax=ax, cmap="Blues", colorbar=False,
                                                                 xticks_rotation=45, values_format="d")
    ax.set_title(title or "confusion matrix")
    fig.tight_layout()
    return fig


def plot_mistakes(images: np.ndarray, labels: np.ndarray, predicted: np.ndarray, probs: np.ndarray,
                  class_names: list[str], max_images: int = 25) -> Figure:
    """A grid of misclassified test images, most confident mistakes first."""
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-probs[wrong, predicted[wrong]])][:max_images]
    cols = 5
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.5 * rows))
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for ax, i in zip(np.atleast_1d(axes).ravel(), wrong):
        img = images[i]
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None)
        ax.set_title(f"true {class_names[labels[i]]}\npred {class_names[predicted[i]]} {probs[i, predicted[i]]:.2f}",
                     fontsize=8)
    fig.suptitle(f"{len(wrong)} most confident mistakes" if len(wrong) else "no mistakes")
    fig.tight_layout()
    return fig


def plot_run(run_dir: str | os.PathLike[str], data_dir: str | None = None) -> list[Path]:
    """Write curves.png, confusion.png and mistakes.png into ``run_dir``; return their paths."""
    from convnets.data.datasets import load_dataset
    from convnets.data.pipeline import make_dataset
    from convnets.train.checkpoint import load_run, read_config, read_history
    from convnets.train.loop import evaluate_dataset

    run = Path(run_dir)
    config = read_config(run)
    if config.get("train") is None:  # convert-keras: the weights were trained elsewhere
        raise ConvnetsError(f"{run} was converted from {config.get('data_source') or 'another framework'}: it has no "
                            f"training history or test set to plot (convnets evaluate {run} --dataset folder:PATH "
                            "tests it on labelled images)")
    if not (run / "history.csv").is_file():
        raise ConvnetsError(f"{run} has no history.csv; train it first with 'convnets train'")
    model, spec, config = load_run(run)
    name = f"{config['model']['name']} on {config['dataset']}"
    written = []
    fig = plot_history(read_history(run), name)
    written.append(save(fig, run / "curves.png"))
    ds = load_dataset(config["dataset"], data_dir or config.get("data_dir"))
    _, labels, probs = evaluate_dataset(model, make_dataset(ds, "test", spec, 256))
    predicted = probs.argmax(axis=1)
    written.append(save(plot_confusion(labels, predicted, ds.class_names, name), run / "confusion.png"))
    images = ds.test.images if ds.test.images is not None else None
    if images is not None:
        written.append(save(plot_mistakes(images, labels, predicted, probs, ds.class_names), run / "mistakes.png"))
    return written


def save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG (creating the folder) and close it; return the path written."""
    path = Path(path)
    if path.is_dir():
        plt.close(fig)
        raise ConvnetsError(f"{path} is a folder; give --out a file name, e.g. {path / 'picture.png'}")
    if path.suffix.lower() != ".png":  # matplotlib would add .png (and say nothing) or pick another format
        plt.close(fig)
        raise ConvnetsError(f"{path}: the picture is written as PNG; give a file name ending in .png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
