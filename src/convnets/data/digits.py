"""scikit-learn's bundled 8x8 digits: 1,797 images, works offline on any machine.

A fixed, stratified 80/20 split (seed 0), so every run sees the same test set.
Pixel values 0..16 are scaled to 0..255 to look like every other data set.
"""

from __future__ import annotations

import numpy as np


def load_digits_arrays() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)), images uint8 (N, 8, 8, 1)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = np.round(d.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    y = d.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    return (x_tr, y_tr), (x_te, y_te)
