"""Evaluation of a trained run (accuracy, per-class precision/recall, confusion
matrix via scikit-learn) and prediction on image files."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import tensorflow as tf
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from convnets.data import folder
from convnets.data.datasets import load_dataset
from convnets.data.pipeline import PreprocessSpec, make_dataset, preprocess
from convnets.errors import DataError
from convnets.models import Model
from convnets.train.checkpoint import load_run
from convnets.train.loop import evaluate_dataset


def evaluate_run(run_dir: str | os.PathLike[str], data_dir: str | None = None, batch_size: int = 256) -> dict[str, Any]:
    """Test-set accuracy, top-5, per-class precision/recall and the confusion matrix of a run."""
    model, spec, config = load_run(run_dir)
    ds = load_dataset(config["dataset"], data_dir or config.get("data_dir"))
    meter, labels, probs = evaluate_dataset(model, make_dataset(ds, "test", spec, batch_size))
    pred = probs.argmax(axis=1)
    classes = list(range(len(ds.class_names)))
    precision, recall, f1, support = precision_recall_fscore_support(labels, pred, labels=classes, zero_division=0)
    return {
        "model": config["model"]["name"],
        "dataset": config["dataset"],
        "test_images": int(len(labels)),
        "test_accuracy": meter.accuracy,
        "test_top5": meter.top5_accuracy,
        "test_loss": meter.loss,
        "per_class": [
            {"class": ds.class_names[i], "precision": float(precision[i]), "recall": float(recall[i]),
             "f1": float(f1[i]), "support": int(support[i])}
            for i in classes
        ],
        "confusion_matrix": confusion_matrix(labels, pred, labels=classes).tolist(),
    }


def load_images(paths: list[str], spec: PreprocessSpec) -> np.ndarray:
    """Decode image files to the run's native image shape (uint8), with clear errors."""
    h, w, c = spec.image_shape
    out = []
    for p in paths:
        if not os.path.isfile(p):
            raise DataError(f"image {p} does not exist")
        try:
            out.append(folder.decode_image(tf.constant(p), (h, w), c).numpy())
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
            raise DataError(f"{p}: cannot decode as an image ({e.message.splitlines()[0]})") from None
    return np.stack(out)


def predict_images(model: Model, spec: PreprocessSpec, images: np.ndarray) -> np.ndarray:
    """Softmax probabilities for a batch of uint8 images at the native image shape."""
    return tf.nn.softmax(tf.cast(model(preprocess(images, spec), training=False), tf.float32)).numpy()


def predict_files(run_dir: str, paths: list[str], top_k: int = 3) -> list[dict[str, Any]]:
    """Top-k classes and probabilities for each image file."""
    model, spec, config = load_run(run_dir)
    names = config["class_names"]
    probs = predict_images(model, spec, load_images(paths, spec))
    results = []
    for p, row in zip(paths, probs):
        top = np.argsort(-row)[: max(1, top_k)]
        results.append({"image": p, "top": [{"class": names[i] if i < len(names) else str(i), "index": int(i), "probability": float(row[i])} for i in top]})
    return results
