"""``tf.data`` pipelines: shuffle, batch, preprocess on the batch, prefetch.

Preprocessing is one function (``preprocess``) used by training, evaluation,
``predict`` and the exported SavedModel, so they cannot drift apart:
pixels 0..255 -> 0..1 -> fit to the model's (H, W) -> per-channel normalisation
-> the model's channel count.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np
import tensorflow as tf

from convnets.data import folder
from convnets.data.datasets import Dataset, Split
from convnets.errors import ConfigError

AUGMENTATIONS = ("none", "flip", "crop", "crop_flip", "altflip", "crop_altflip")
CROP_PIXELS = 4  # ResNet's shifts of up to 4 pixels (Sec. 4.2); airbench's short runs shift by 2


@dataclass(frozen=True)
class PreprocessSpec:
    """Everything needed to turn raw pixels into model input; saved with each run."""

    image_shape: tuple[int, int, int]  # the data set's native (H, W, C)
    input_shape: tuple[int, int, int]  # the model's (H, W, C)
    mean: tuple[float, ...]
    std: tuple[float, ...]
    pad_to_fit: bool = False
    channel_order: str = "rgb"  # "bgr": weights trained on Caffe's BGR order (Keras's VGG and ResNet)

    @classmethod
    def for_dataset(cls, ds: Dataset, input_shape: tuple[int, int, int]) -> "PreprocessSpec":
        return cls(tuple(ds.image_shape), tuple(input_shape), tuple(ds.mean), tuple(ds.std), ds.pad_to_fit)

    @classmethod
    def from_dict(cls, d: dict) -> "PreprocessSpec":
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def to_dict(self) -> dict:
        return asdict(self)


def preprocess(images: tf.Tensor, spec: PreprocessSpec) -> tf.Tensor:
    """A batch of pixels (N, H, W, C) in 0..255 -> float32 model input (N, h, w, c)."""
    x = tf.cast(images, tf.float32) / 255.0
    src_h, src_w = spec.image_shape[:2]
    dst_h, dst_w, dst_c = spec.input_shape
    if (src_h, src_w) != (dst_h, dst_w):
        if spec.pad_to_fit and dst_h >= src_h and dst_w >= src_w:
            # LeNet-5 (Sec. III-A): 28x28 digits centred in a 32x32 field, not rescaled.
            top, left = (dst_h - src_h) // 2, (dst_w - src_w) // 2
            x = tf.pad(x, [[0, 0], [top, dst_h - src_h - top], [left, dst_w - src_w - left], [0, 0]])
        else:
            x = tf.image.resize(x, (dst_h, dst_w), antialias=dst_h < src_h)
    if spec.channel_order == "bgr":
        x = x[..., ::-1]
    x = (x - tf.constant(spec.mean, tf.float32)) / tf.constant(spec.std, tf.float32)
    src_c = x.shape[-1]
    if src_c != dst_c:
        if dst_c == 1:
            x = tf.reduce_mean(x, axis=-1, keepdims=True)
        elif src_c == 1:
            x = tf.tile(x, [1, 1, 1, dst_c])
        else:
            raise ConfigError(f"cannot convert {src_c}-channel images to {dst_c} channels")
    return x


def random_crops(x: tf.Tensor, pad: int, seed: tf.Tensor) -> tf.Tensor:
    """Each image of the batch (N, H, W, C) zero-padded by ``pad`` pixels and cropped back to (H, W) at its own
    random offset: two batched gathers, not a crop per image (a ``map_fn`` over the batch took 1.5x as long)."""
    n, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    padded = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    offsets = tf.random.stateless_uniform((n, 2), seed=seed, minval=0, maxval=2 * pad + 1, dtype=tf.int32)
    rows = offsets[:, :1] + tf.range(h)[None]  # (N, H): the rows each image keeps
    cols = offsets[:, 1:] + tf.range(w)[None]
    x = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(x, cols, axis=2, batch_dims=1)


def augment(x: tf.Tensor, kind: str, seed: tf.Tensor, crop_pixels: int = CROP_PIXELS,
            flips: tf.Tensor | None = None) -> tf.Tensor:
    """Random flips and/or padded crops shifting each image by up to ``crop_pixels`` (ResNet Sec. 4.2: 4), on a
    model-input batch. The alternating kinds take ``flips``, each image's flip this epoch (``alternating_flips``)."""
    if kind.startswith("crop"):
        x = random_crops(x, crop_pixels, seed)
    if kind in ("flip", "crop_flip"):
        x = tf.image.stateless_random_flip_left_right(x, seed=seed + 1)
    elif kind.endswith("altflip"):
        if flips is None:
            raise ValueError(f"augmentation {kind!r} needs each image's flip (alternating_flips)")
        x = tf.where(flips[:, None, None, None], x[:, :, ::-1], x)
    return x


def alternating_flips(n: int, seed: int, epoch: int) -> tf.Tensor:
    """Whether each of the split's ``n`` images is mirrored in ``epoch``: at random in even epochs, the other way
    round in odd ones, so every pair of epochs sees each image both ways (Jordan 2024, "94% on CIFAR-10 in 3.29
    seconds", Sec. 3.6: about 10% fewer epochs to the same accuracy than independent flips)."""
    first = tf.random.stateless_uniform((n,), seed=(seed, 0x5EED), dtype=tf.float32) < 0.5
    return tf.math.logical_xor(first, epoch % 2 == 1)


def steps_per_epoch(split: Split, batch_size: int) -> int:
    return -(-len(split) // batch_size)


# Fixed parallelism, not tf.data's autotuner. The autotuner runs a model thread per iterator that sleeps
# between its optimisation rounds, for up to a minute, and destroying the iterator waits for that sleep to
# end (gdb: RootDataset::Iterator::~Iterator waiting on Model::OptimizeLoop's SleepForMicroseconds). The
# trainer makes new iterators every epoch, so each epoch stalled with both cores idle: resnext_mini's
# epochs took 142 s where 73 s were work, and many runs' epochs came out at exactly 82, 142 or 202 s.
# A map call per core and two batches ahead keep the input ahead of the step (the input pipeline runs at
# 100,000+ images/s from memory, benchmarks/NOTES.md) without that thread.
PARALLEL_CALLS = max(1, min(8, os.cpu_count() or 1))
PREFETCH_BATCHES = 2


def without_autotune(data: tf.data.Dataset) -> tf.data.Dataset:
    """``data`` with tf.data's autotuner off (see PARALLEL_CALLS)."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return data.with_options(options)


def make_dataset(
    ds: Dataset,
    split: str,
    spec: PreprocessSpec,
    batch_size: int,
    training: bool = False,
    seed: int = 0,
    epoch: int = 0,
    augmentation: str = "none",
    crop_pixels: int = CROP_PIXELS,
) -> tf.data.Dataset:
    """Batches of (model input float32, int64 labels) for ``ds.train`` or ``ds.test``.

    The training order depends only on (seed, epoch), so a resumed run sees the
    same batches as an uninterrupted one.
    """
    if augmentation not in AUGMENTATIONS:
        raise ConfigError(f"unknown augmentation {augmentation!r}; expected one of {', '.join(AUGMENTATIONS)}")
    alternating = training and augmentation.endswith("altflip")
    data = _pixel_batches(ds, split, batch_size, training, seed, epoch, with_indices=alternating)
    if training and augmentation != "none":
        flips = alternating_flips(len(getattr(ds, split)), seed, epoch) if alternating else None

        def prepare(i: tf.Tensor, batch: tuple) -> tuple[tf.Tensor, tf.Tensor]:
            batch_seed = tf.stack([tf.cast(seed, tf.int64) * 1000 + epoch, i])
            mirror = None if flips is None else tf.gather(flips, batch[2])  # batch[2]: the images' indices
            return augment(preprocess(batch[0], spec), augmentation, batch_seed, crop_pixels, mirror), batch[1]

        data = data.enumerate().map(prepare, num_parallel_calls=PARALLEL_CALLS, deterministic=True)
    else:
        data = data.map(lambda x, y: (preprocess(x, spec), y), num_parallel_calls=PARALLEL_CALLS, deterministic=True)
    return without_autotune(data.prefetch(PREFETCH_BATCHES))


def raw_batches(ds: Dataset, split: str, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(pixels 0..255 at the native shape, labels) as NumPy batches, in file order:
    what a deployed model (SavedModel, TFLite) is fed."""
    return without_autotune(_pixel_batches(ds, split, batch_size)).as_numpy_iterator()


def _pixel_batches(ds: Dataset, split: str, batch_size: int, training: bool = False, seed: int = 0,
                   epoch: int = 0, with_indices: bool = False) -> tf.data.Dataset:
    """(pixels, labels) batches, or (pixels, labels, each image's index in the split) ``with_indices``."""
    part: Split = getattr(ds, split)
    items = (part.images if part.images is not None else part.files, part.labels)
    if with_indices:
        items += (np.arange(len(part), dtype=np.int32),)
    data = tf.data.Dataset.from_tensor_slices(items)
    if training:
        data = data.shuffle(len(part), seed=seed * 100_003 + epoch, reshuffle_each_iteration=False)
    if part.images is None:
        shape = ds.image_shape
        data = data.map(
            lambda f, y, *i: (folder.decode_image(f, shape[:2], shape[2]), y, *i),
            num_parallel_calls=PARALLEL_CALLS,
            deterministic=True,
        ).ignore_errors()
    return data.batch(batch_size)
