"""Evaluation of a trained run (accuracy, per-class precision/recall, confusion
matrix via scikit-learn) and prediction on image files."""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any

import numpy as np

from convnets import import_tensorflow

tf = import_tensorflow()
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from convnets.data import folder
from convnets.data.datasets import Dataset, Split, load_dataset
from convnets.data.pipeline import PreprocessSpec, make_dataset, preprocess
from convnets.errors import ConfigError, DataError
from convnets.models import Model
from convnets.train.checkpoint import load_run
from convnets.train.loop import check_tta, evaluate_dataset


def _preview(names: list[str], n: int = 5) -> str:
    return ", ".join(names[:n]) + (f", ... ({len(names)} in all)" if len(names) > n else "")


def _conform_images(images: np.ndarray, shape: tuple[int, int, int], batch: int = 1024) -> np.ndarray:
    """uint8 (N, H, W, C) -> uint8 (N, *shape): resized and converted to the channels as image files are."""
    h, w, c = shape
    out = []
    for i in range(0, len(images), batch):
        x = tf.constant(images[i:i + batch])
        if c == 1 and x.shape[-1] != 1:
            x = tf.image.rgb_to_grayscale(x[..., :3])
        elif c == 3 and x.shape[-1] != 3:
            x = tf.image.grayscale_to_rgb(x[..., :1])
        x = tf.image.resize(x, (h, w), antialias=True)
        out.append(tf.cast(tf.clip_by_value(tf.round(x), 0, 255), tf.uint8).numpy())
    return np.concatenate(out) if out else np.zeros((0, *shape), np.uint8)


def run_dataset(run_dir: str | os.PathLike[str], config: dict[str, Any], spec: PreprocessSpec,
                dataset: str | None = None, data_dir: str | None = None) -> Dataset:
    """The data set to test a run on, its labels and images brought to the run's classes and image shape.

    ``dataset``: default, the run's own; another data set must have the run's classes
    (the same names, or a subset of them: its labels are mapped to the run's indices).

    Raises:
      ConfigError: the run has no data set of its own (converted from Keras) and none is given,
        or the data set's classes are not the run's.
    """
    names = list(config["class_names"])
    if dataset is None:
        if config.get("train") is None:  # made by convert-keras: weights from elsewhere, no data set here
            source = config.get("data_source") or "another framework"
            raise ConfigError(
                f"{run_dir} was converted from {source} and has no data set of its own: give one with --dataset, "
                f"labelled with the run's {len(names)} classes or some of them (e.g. --dataset folder:PATH, "
                "with class folders named as the run's class names)")
        dataset = config["dataset"]
    ds = load_dataset(dataset, data_dir or config.get("data_dir"))
    if ds.class_names != names:
        unknown = [c for c in ds.class_names if c not in names]
        if unknown:
            raise ConfigError(f"{ds.name} has classes the run does not know ({_preview(unknown)}); "
                              f"the run's classes are {_preview(names)}")
        index = np.asarray([names.index(c) for c in ds.class_names], np.int64)
        remap = lambda split: Split(index[split.labels], split.images, split.files)  # noqa: E731
        ds = dataclasses.replace(ds, train=remap(ds.train), test=remap(ds.test), class_names=names)
    shape = tuple(spec.image_shape)
    if tuple(ds.image_shape) != shape:  # another data set: its images as the run's were (files decode to it)
        conform = lambda split: split if split.images is None else Split(  # noqa: E731
            split.labels, _conform_images(split.images, shape), split.files)
        ds = dataclasses.replace(ds, train=conform(ds.train), test=conform(ds.test), image_shape=shape)
    return ds


def evaluate_run(run_dir: str | os.PathLike[str], data_dir: str | None = None, batch_size: int = 256,
                 dataset: str | None = None, tta: str = "none") -> dict[str, Any]:
    """Test-set accuracy, top-5, per-class precision/recall and the confusion matrix of a run,
    on its own test set or on ``dataset``'s (which must have the run's classes, or some of them).

    ``tta="flip"`` adds ``"tta"``: the accuracy with each test image's mirror classified too and the
    two softmaxes averaged (for classes a mirror keeps: objects, clothing; not digits or letters).
    Every other number stays the plain one."""
    check_tta(tta)  # before the run is loaded and evaluated
    model, spec, config = load_run(run_dir)
    ds = run_dataset(run_dir, config, spec, dataset, data_dir)
    if len(ds.test) == 0:
        raise DataError(f"{ds.name} has no test images (a folder of class folders puts a fifth of each class "
                        "in the test set, none of a class with one image; or give it train/ and test/)")
    meter, labels, probs = evaluate_dataset(model, make_dataset(ds, "test", spec, batch_size))
    with_tta = None if tta == "none" else evaluate_dataset(model, make_dataset(ds, "test", spec, batch_size), tta=tta)[0]
    pred = probs.argmax(axis=1)
    classes = sorted(set(range(len(ds.class_names))) if dataset is None else set(labels.tolist()))
    precision, recall, f1, support = precision_recall_fscore_support(labels, pred, labels=classes, zero_division=0)
    return {
        "model": config["model"]["name"],
        "dataset": ds.name if dataset is not None else config["dataset"],
        "test_images": int(len(labels)),
        "test_accuracy": meter.accuracy,
        "test_top5": meter.top5_accuracy,
        "test_loss": meter.loss,
        "per_class": [
            {"class": ds.class_names[c], "precision": float(precision[i]), "recall": float(recall[i]),
             "f1": float(f1[i]), "support": int(support[i])}
            for i, c in enumerate(classes)
        ],
        "confusion_matrix": confusion_matrix(labels, pred, labels=classes).tolist(),
        **({} if with_tta is None else {"tta": {"mode": tta, "test_accuracy": with_tta.accuracy,
                                                "test_top5": with_tta.top5_accuracy, "test_loss": with_tta.loss}}),
    }


def load_images(paths: list[str], spec: PreprocessSpec) -> np.ndarray:
    """Decode image files to the run's native image shape (uint8), with clear errors."""
    h, w, c = spec.image_shape
    out = []
    for p in paths:
        if os.path.isdir(p):
            raise DataError(f"{p} is a folder, not an image file")
        if not os.path.isfile(p):
            raise DataError(f"image {p} does not exist")
        try:
            out.append(folder.decode_image(tf.constant(p), (h, w), c).numpy())
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError):
            # TensorFlow's own message names its kernel and device; say what is wrong with the file
            why = ("the file is empty" if os.path.getsize(p) == 0 else
                   "the file is damaged or truncated" if folder._looks_like_image(p) else
                   "its first bytes are none of these formats")
            raise DataError(f"cannot decode {p} as an image (PNG, JPEG, GIF, BMP): {why}") from None
    return np.stack(out)


def looks_inverted(images: np.ndarray, spec: PreprocessSpec) -> list[bool]:
    """For each uint8 image, whether its brightness is on the other side of mid-grey from the
    training images' (a dark digit on white paper given to an MNIST run, which saw white on black).
    Only for runs whose training images were clearly dark or light on average (not CIFAR or ImageNet)."""
    train_mean = float(np.mean(spec.mean)) if spec.channel_order == "rgb" else 0.5
    if abs(train_mean - 0.5) < 0.15:
        return [False] * len(images)
    means = images.reshape(len(images), -1).mean(axis=1) / 255.0
    return [bool((m - 0.5) * (train_mean - 0.5) < 0 and abs(m - 0.5) > 0.05) for m in means]


def predict_images(model: Model, spec: PreprocessSpec, images: np.ndarray) -> np.ndarray:
    """Softmax probabilities for a batch of pixel images (0..255, uint8 or float) at the
    run's native image shape, ``spec.image_shape`` (``load_images`` brings files to it).

    Raises:
      ConfigError: the batch is not (N, *spec.image_shape).
    """
    images = np.asarray(images)
    shape = tuple(spec.image_shape)
    if images.ndim != 4 or tuple(images.shape[1:]) != shape:
        one = " (one image? add the batch axis with x[None])" if images.shape == shape else ""
        raise ConfigError(f"predict_images takes a batch of pixels (N, {', '.join(map(str, shape))}) as the run's "
                          f"training images were; got shape {images.shape}{one} "
                          "(load_images(paths, spec) decodes and resizes image files to it)")
    if images.dtype.kind == "f" and images.size and 0 < float(images.max()) <= 1.0:
        logging.getLogger("convnets").warning(
            "predict_images: these images look scaled to 0..1; it expects pixels 0..255 (as image files hold)")
    return tf.nn.softmax(tf.cast(model(preprocess(images, spec), training=False), tf.float32)).numpy()


def predict_files(run_dir: str, paths: list[str], top_k: int = 3) -> list[dict[str, Any]]:
    """Top-k classes and probabilities for each image file (``top_k`` above the number of
    classes gives them all), its mean ``brightness`` (0..1) and ``looks_inverted``: that
    brightness is the opposite of the training images' (see ``looks_inverted``)."""
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ConfigError(f"top_k must be a whole number >= 1, got {top_k!r}")
    if isinstance(paths, (str, os.PathLike)):  # one file, not its characters
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ConfigError("no image files given")
    model, spec, config = load_run(run_dir)
    names = config["class_names"]
    images = load_images(paths, spec)
    probs = predict_images(model, spec, images)
    results = []
    brightness = images.reshape(len(images), -1).mean(axis=1) / 255.0
    for p, row, inverted, light in zip(paths, probs, looks_inverted(images, spec), brightness):
        top = np.argsort(-row)[:top_k]
        results.append({"image": p,
                        "top": [{"class": names[i] if i < len(names) else str(i), "index": int(i),
                                 "probability": float(row[i])} for i in top],
                        "brightness": float(light), "looks_inverted": inverted})
    return results


def image_files(paths: list[str] | str) -> list[str]:
    """Image files among ``paths``: files as given, folders searched recursively for PNG, JPEG, GIF and
    BMP files (in sorted order; hidden files and other extensions skipped)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[str] = []
    for p in map(os.fspath, paths):
        if os.path.isdir(p):
            found = sorted(os.path.join(d, f) for d, _, names in os.walk(p) for f in names
                           if not f.startswith(".") and os.path.splitext(f)[1].lower() in folder.IMAGE_EXTS)
            if not found:
                raise DataError(f"{p} holds no image files ({', '.join(sorted(folder.IMAGE_EXTS))})")
            files += found
        elif not os.path.isfile(p):
            raise DataError(f"image {p} does not exist")
        else:
            files.append(p)
    if not files:
        raise ConfigError("no image files given")
    return files


def embed_files(run_dir: str, paths: list[str] | str, pooling: str = "avg",
                batch_size: int = 64) -> tuple[np.ndarray, list[str]]:
    """Features of image files (or folders of them) from a run's network without its classifier: the
    last feature map pooled over the grid (``pooling``: "avg", as Keras's ``pooling="avg"``, or "max"),
    (N, num_features) float32, with the files in the same order. Feed them to scikit-learn."""
    if pooling not in ("avg", "max"):
        raise ConfigError(f"pooling must be 'avg' or 'max', got {pooling!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ConfigError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    files = image_files(paths)
    model, spec, _ = load_run(run_dir)
    pool = tf.reduce_mean if pooling == "avg" else tf.reduce_max

    @tf.function(input_signature=[tf.TensorSpec((None, *spec.image_shape), tf.float32)])
    def features(x: tf.Tensor) -> tf.Tensor:
        fmap = model.forward_features(preprocess(x, spec), training=False)
        return tf.cast(pool(fmap, axis=[1, 2]) if fmap.shape.rank == 4 else fmap, tf.float32)

    out = [features(tf.constant(load_images(files[i:i + batch_size], spec), tf.float32)).numpy()
           for i in range(0, len(files), batch_size)]
    return np.concatenate(out), files
