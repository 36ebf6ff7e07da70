"""Image-folder data sets: ``ROOT/{train,test}/<class>/*.png|jpg``, or
``ROOT/<class>/*`` split 80/20 per class with a fixed seed.

Files are decoded with ``tf.io`` (PNG, JPEG, GIF, BMP; grey, RGB, RGBA, 8- or
16-bit), converted to one channel count and resized to one size, so folders of
mixed images work. Files that are not images are skipped, and counted in one
line on the ``convnets`` logger (a warning: shown on stderr unless logging is
configured otherwise; the command line prints it as "convnets: skipped ...").
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from convnets.errors import DataError

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
log = logging.getLogger("convnets")
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


def _images_in(folder: Path, ignored: list[str] | None = None) -> list[str]:
    """Files with an image extension; other files (not hidden ones) are added to ``ignored``."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if ignored is not None:
        ignored += [os.fspath(p) for p in files if p.suffix.lower() not in IMAGE_EXTS]
    return [os.fspath(p) for p in files if p.suffix.lower() in IMAGE_EXTS]


def _collect(root: Path, classes: list[str], only: list[str] | None = None,
             ignored: list[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Files under ``root/<class>``, labelled by the class's index in ``classes``."""
    files: list[str] = []
    labels: list[int] = []
    for i, name in enumerate(classes):
        if only is not None and name not in only:
            continue
        folder = root / name
        found = _images_in(folder, ignored) if folder.is_dir() else []
        if not found:
            raise DataError(f"class folder {folder} holds no images ({', '.join(sorted(IMAGE_EXTS))})")
        files += found
        labels += [i] * len(found)
    return files, np.asarray(labels, np.int64)


def scan_folder(
    root: str | os.PathLike[str], test_fraction: float = 0.2, seed: int = 0, ignored: list[str] | None = None
) -> tuple[tuple[list[str], np.ndarray], tuple[list[str], np.ndarray], list[str]]:
    """List image files per class: ((train_files, labels), (test_files, labels), class_names).

    Files in the class folders without an image extension are appended to ``ignored``."""
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
        train = _collect(root / "train", classes, ignored=ignored)
        return train, _collect(root / "test", classes, only=test_classes, ignored=ignored), classes
    classes = [p.name for p in _class_dirs(root)]
    if not classes:
        raise DataError(f"{root} has no class folders (expected {root}/<class>/*.png or train/ and test/)")
    files, labels = _collect(root, classes, ignored=ignored)
    rng = np.random.default_rng(seed)
    is_test = np.zeros(len(files), bool)
    for c in range(len(classes)):  # per-class split keeps the classes balanced
        idx = np.flatnonzero(labels == c)
        n_test = int(round(len(idx) * test_fraction)) if len(idx) > 1 else 0
        is_test[rng.permutation(idx)[:n_test]] = True
    pick = lambda m: ([f for f, t in zip(files, m) if t], labels[m])  # noqa: E731
    return pick(~is_test), pick(is_test), classes


def report_skipped(skipped: list[str], root: str | os.PathLike[str], why: str | None = None,
                   of: int | None = None) -> None:
    """One warning line for all the files skipped under ``root``: how many, why, and the first."""
    if not skipped:
        return
    n = len(skipped)
    if why is None:
        why = "that are not PNG, JPEG, GIF or BMP images" if n != 1 else "that is not a PNG, JPEG, GIF or BMP image"
    first = os.path.relpath(skipped[0], root)
    count = f"{n} of {of}" if of is not None else f"{n}"
    log.warning(f"skipped {count} file{'s' if n != 1 else ''} {why} in {root} (first: {first})")


def split_images(files: list[str], labels: np.ndarray) -> tuple[list[str], np.ndarray, list[str]]:
    """(kept files, their labels, dropped files): a file is dropped if its first bytes are not a known image format."""
    keep = [_looks_like_image(f) for f in files]
    bad = [f for f, k in zip(files, keep) if not k]
    return [f for f, k in zip(files, keep) if k], labels[np.asarray(keep, bool)], bad


def filter_images(files: list[str], labels: np.ndarray,
                  root: str | os.PathLike[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Drop files whose first bytes are not a known image format, reported in one line."""
    kept, labels, bad = split_images(files, labels)
    report_skipped(bad, root if root is not None else (os.path.commonpath(files) if files else "."))
    return kept, labels


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
    files: list[str], labels: np.ndarray, shape: tuple[int, int, int], root: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Decode every file into one uint8 array, skipping (and counting, in one line) undecodable ones."""
    ds = tf.data.Dataset.from_tensor_slices((files, labels))
    from convnets.data.pipeline import PARALLEL_CALLS, without_autotune  # here: pipeline imports this module

    ds = ds.map(lambda f, y: (decode_image(f, shape[:2], shape[2]), y), num_parallel_calls=PARALLEL_CALLS)
    ds = without_autotune(ds.ignore_errors().batch(1024))
    xs, ys = [], []
    for x, y in ds.as_numpy_iterator():
        xs.append(x)
        ys.append(y)
    n = sum(len(y) for y in ys)
    if n < len(files):
        where = root if root is not None else os.path.commonpath(files)
        log.warning(f"skipped {len(files) - n} of {len(files)} image files in {where} that could not be decoded")
    if n == 0:
        raise DataError(f"no image could be decoded from {len(files)} files, e.g. {files[0]}")
    return np.concatenate(xs), np.concatenate(ys)
