"""Data sets (real files, checked) and ``tf.data`` pipelines."""

from convnets import import_tensorflow

import_tensorflow()  # once, quietly, before any module below imports it

from convnets.data.datasets import DATASET_NAMES, Dataset, Split, data_roots, load_dataset
from convnets.data.pipeline import PreprocessSpec, make_dataset, preprocess

__all__ = ["DATASET_NAMES", "Dataset", "PreprocessSpec", "Split", "data_roots", "load_dataset", "make_dataset", "preprocess"]
