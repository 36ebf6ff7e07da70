"""Reader for the **binary** CIFAR-10/100 files (https://www.cs.toronto.edu/~kriz/cifar.html).

Each record is the label byte(s) then 3,072 pixel bytes: 1,024 red, 1,024 green,
1,024 blue, each a 32x32 row-major plane. CIFAR-10 has one label byte; CIFAR-100
two (coarse, then fine). The pickled "python version" is never read: unpickling
downloaded data can run arbitrary code.
"""

from __future__ import annotations

import os

import numpy as np

from convnets.errors import DataError

PIXELS = 32 * 32 * 3


def parse_cifar(data: bytes, label_bytes: int, num_classes: int, source: str = "<bytes>") -> tuple[np.ndarray, np.ndarray]:
    """Parse one binary batch into (N, 32, 32, 3) uint8 images and (N,) labels.

    For CIFAR-100 (``label_bytes=2``) the fine label (the second byte) is returned.
    """
    record = label_bytes + PIXELS
    if len(data) == 0 or len(data) % record:
        raise DataError(
            f"{source}: size {len(data):,} bytes is not a multiple of the {record:,}-byte "
            f"record of a CIFAR binary file ({label_bytes} label byte(s) + {PIXELS:,} pixels)"
        )
    rows = np.frombuffer(data, np.uint8).reshape(-1, record)
    labels = rows[:, label_bytes - 1].astype(np.int64)
    bad = labels >= num_classes
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{source}: record {i} has label {labels[i]}, expected 0..{num_classes - 1}"
        )
    images = rows[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def read_cifar(paths: list[str], label_bytes: int, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Read and concatenate several binary batch files."""
    images, labels = [], []
    for p in paths:
        try:
            with open(p, "rb") as f:
                data = f.read()
        except OSError as e:
            raise DataError(f"{p}: cannot read ({e.strerror})") from None
        x, y = parse_cifar(data, label_bytes, num_classes, os.fspath(p))
        images.append(x)
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels)
