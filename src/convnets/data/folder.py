"""Image-folder data sets: ``ROOT/{train,test}/<class>/*.png|jpg``, or
``ROOT/<class>/*`` split 80/20 per class with a fixed seed.

Files are decoded with ``tf.io`` (PNG, JPEG, GIF, BMP; grey, RGB, RGBA, 8- or
16-bit), converted to one channel count and resized to one size, so folders of
mixed images work. A file that is not an image is skipped with a warning.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf

from convnets.errors import DataError

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def _looks_like_image(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return False
    return any(head.startswith(m) for m in _MAGIC)


def _class_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _images_in(folder: Path) -> list[str]:
    return sorted(
        os.fspath(p) for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS
    )


def _collect(root: Path, classes: list[str], only: list[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Files under ``root/<class>``, labelled by the class's index in ``classes``."""
    files: list[str] = []
    labels: list[int] = []
    for i, name in enumerate(classes):
        if only is not None and name not in only:
            continue
        folder = root / name
        found = _images_in(folder) if folder.is_dir() else []
        if not found:
            raise DataError(f"class folder {folder} holds no images ({', '.join(sorted(IMAGE_EXTS))})")
        files += found
        labels += [i] * len(found)
    return files, np.asarray(labels, np.int64)


def scan_folder(
    root: str | os.PathLike[str], test_fraction: float = 0.2, seed: int = 0
) -> tuple[tuple[list[str], np.ndarray], tuple[list[str], np.ndarray], list[str]]:
    """List image files per class: ((train_files, labels), (test_files, labels), class_names)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist or is not a folder")
    if (root / "train").is_dir() and (root / "test").is_dir():
        classes = [p.name for p in _class_dirs(root / "train")]
        if not classes:
            raise DataError(f"{root / 'train'} has no class folders (expected train/<class>/*.png)")
        test_classes = [p.name for p in _class_dirs(root / "test")]
        extra = sorted(set(test_classes) - set(classes))
        if extra:
            raise DataError(f"{root / 'test'} has classes not in train/: {', '.join(extra)}")
        train = _collect(root / "train", classes)
        return train, _collect(root / "test", classes, only=test_classes), classes
    classes = [p.name for p in _class_dirs(root)]
    if not classes:
        raise DataError(f"{root} has no class folders (expected {root}/<class>/*.png or train/ and test/)")
    files, labels = _collect(root, classes)
    rng = np.random.default_rng(seed)
    is_test = np.zeros(len(files), bool)
    for c in range(len(classes)):  # per-class split keeps the classes balanced
        idx = np.flatnonzero(labels == c)
        n_test = int(round(len(idx) * test_fraction)) if len(idx) > 1 else 0
        is_test[rng.permutation(idx)[:n_test]] = True
    pick = lambda m: ([f for f, t in zip(files, m) if t], labels[m])  # noqa: E731
    return pick(~is_test), pick(is_test), classes


def filter_images(files: list[str], labels: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Drop files whose first bytes are not a known image format, with a warning each."""
    keep = [_looks_like_image(f) for f in files]
    bad = [f for f, k in zip(files, keep) if not k]
    for f in bad[:10]:
        warnings.warn(f"skipping {f}: not a PNG, JPEG, GIF or BMP image", stacklevel=2)
    if len(bad) > 10:
        warnings.warn(f"skipping {len(bad) - 10} more files that are not images", stacklevel=2)
    return [f for f, k in zip(files, keep) if k], labels[np.asarray(keep, bool)]


def decode_image(path: tf.Tensor, size: tuple[int, int], channels: int) -> tf.Tensor:
    """Read, decode, convert to ``channels`` and resize to ``size``; uint8 (H, W, C)."""
    raw = tf.io.read_file(path)
    img = tf.io.decode_image(raw, channels=0, dtype=tf.uint8, expand_animations=False)
    c = tf.shape(img)[-1]
    if channels == 1:
        img = tf.cond(c >= 3, lambda: tf.image.rgb_to_grayscale(img[..., :3]), lambda: img[..., :1])
    else:
        img = tf.cond(c >= 3, lambda: img[..., :3], lambda: tf.image.grayscale_to_rgb(img[..., :1]))
    img = tf.image.resize(img, size, antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(img), 0, 255), tf.uint8)


def probe_shape(files: list[str]) -> tuple[int, int, int]:
    """(H, W, C) of the first decodable image: the shape the whole set is brought to."""
    for f in files[:50]:
        try:
            img = tf.io.decode_image(tf.io.read_file(f), channels=0, expand_animations=False)
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError):
            continue
        h, w, c = (int(d) for d in img.shape)
        return h, w, (1 if c < 3 else 3)
    raise DataError(f"none of the first {min(50, len(files))} files could be decoded, e.g. {files[0]}")


def decode_all(
    files: list[str], labels: np.ndarray, shape: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Decode every file into one uint8 array, skipping (and counting) undecodable ones."""
    ds = tf.data.Dataset.from_tensor_slices((files, labels))
    ds = ds.map(
        lambda f, y: (decode_image(f, shape[:2], shape[2]), y), num_parallel_calls=tf.data.AUTOTUNE
    )
    ds = ds.ignore_errors().batch(1024)
    xs, ys = [], []
    for x, y in ds.as_numpy_iterator():
        xs.append(x)
        ys.append(y)
    n = sum(len(y) for y in ys)
    if n < len(files):
        warnings.warn(f"skipped {len(files) - n} of {len(files)} files that could not be decoded", stacklevel=2)
    if n == 0:
        raise DataError(f"no image could be decoded from {len(files)} files, e.g. {files[0]}")
    return np.concatenate(xs), np.concatenate(ys)
