"""Padding shared by convolutions and pooling: the arithmetic, and padding the input.

``padding`` is ``"valid"``, ``"same"`` (TensorFlow's rule: output = ceil(in /
stride), extra pixel at the bottom/right), an int ``p`` (p on every side, as the
papers and PyTorch write it), or ``((top, bottom), (left, right))``.

Caffe's pooling (SqueezeNet's, and the BVLC AlexNet and GoogLeNet models') rounds
up: out = ceil((in + 2p - k) / s) + 1, where TensorFlow and PyTorch round down. That
is floor mode with s - 1 more pixels at the bottom/right, so for max pooling
explicit pads ``((p, p + s - 1), (p, p + s - 1))`` reproduce it (with p > 0, Caffe
also drops a last window that would start in the padding). ``"same"`` matches it
only on some sizes: a 3x3/2 pool agrees on even maps (GoogLeNet's 112, 56, 28, 14 at
224x224) and gives one more on odd ones (SqueezeNet 1.0 at 224x224: 55, 28, 14
with "same" against Caffe's 54, 27, 13; ``((0, 1), (0, 1))`` gives Caffe's).
"""

from __future__ import annotations

import math

import tensorflow as tf

from convnets.errors import ConfigError, InputTooSmall

Padding = str | int | tuple[tuple[int, int], tuple[int, int]]
Pads = tuple[tuple[int, int], tuple[int, int]]


def pair(v: int | tuple[int, int], what: str = "value") -> tuple[int, int]:
    """``3 -> (3, 3)``; checks a pair is two positive ints."""
    if isinstance(v, int):
        v = (v, v)
    if len(v) != 2 or any(int(i) < 1 for i in v):
        raise ConfigError(f"{what} must be a positive int or a pair of them, got {v!r}")
    return int(v[0]), int(v[1])


def normalize(padding: Padding) -> str | Pads:
    """Return ``"SAME"``/``"VALID"`` or explicit ``((t, b), (l, r))``."""
    if isinstance(padding, str):
        p = padding.upper()
        if p not in ("SAME", "VALID"):
            raise ConfigError(f"padding must be 'same', 'valid', an int or pairs, got {padding!r}")
        return p
    if isinstance(padding, int):
        if padding < 0:
            raise ConfigError(f"padding must be >= 0, got {padding}")
        return ((padding, padding), (padding, padding))
    (t, b), (l, r) = padding
    return ((int(t), int(b)), (int(l), int(r)))


def output_size(size: int, kernel: int, stride: int, dilation: int, pads: str | tuple[int, int]) -> int:
    """Output length along one spatial axis."""
    eff = (kernel - 1) * dilation + 1
    if size < stride:
        # Downsampling a map smaller than the stride only repeats padding: the network
        # was not designed for an input this small (ResNet-50 at 1x1 would "run").
        raise InputTooSmall(f"a map of size {size} is smaller than the stride {stride}")
    if pads == "SAME":
        return math.ceil(size / stride)
    before, after = (0, 0) if pads == "VALID" else pads
    out = (size + before + after - eff) // stride + 1
    if out < 1:
        pad_note = f" with padding {before},{after}" if before or after else ""
        raise InputTooSmall(f"a map of size {size} is smaller than the kernel {eff}{pad_note}")
    return out


def output_hw(
    hw: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    padding: str | Pads,
) -> tuple[int, int]:
    """Output (height, width) of a sliding window over ``hw``."""
    if isinstance(padding, str):
        ph = pw = padding
    else:
        ph, pw = padding
    return (
        output_size(hw[0], kernel[0], stride[0], dilation[0], ph),
        output_size(hw[1], kernel[1], stride[1], dilation[1], pw),
    )


def tf_padding(padding: str | Pads) -> str | list[list[int]]:
    """The ``padding`` argument for ``tf.nn.conv2d`` (NHWC)."""
    if isinstance(padding, str):
        return padding
    (t, b), (l, r) = padding
    return [[0, 0], [t, b], [l, r], [0, 0]]


def conv_padding(
    padding: str | Pads, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> tuple[list[list[int]] | None, str]:
    """How to run a convolution with ``padding``: ``(pads for tf.pad or None, "SAME"/"VALID")``.

    Never TensorFlow's ``"EXPLICIT"`` padding: with it, oneDNN runs the forward
    convolution but leaves both backward convolutions on the slower Eigen kernels
    (2x slower training on ResNet-20, benchmarks/NOTES.md). Explicit pads that equal
    ``"SAME"`` (stride 1, the paper's ``(k - 1) / 2`` on each side) become ``"SAME"``;
    any others are a ``tf.pad`` before a ``"VALID"`` convolution.
    """
    if isinstance(padding, str):
        return None, padding
    if all(p == 0 for side in padding for p in side):
        return None, "VALID"
    same = all(
        s == 1 and (t, b) == (((k - 1) * d) // 2, (k - 1) * d - ((k - 1) * d) // 2)
        for (t, b), k, s, d in zip(padding, kernel, stride, dilation)
    )
    return (None, "SAME") if same else (tf_padding(padding), "VALID")


def pad_for_window(
    x: tf.Tensor, padding: str | Pads, kernel: tuple[int, int], stride: tuple[int, int],
    dilation: tuple[int, int] = (1, 1), value: float = 0.0,
) -> tuple[tf.Tensor, str]:
    """``x`` padded as ``conv_padding`` says (with ``value``), and the padding to give the op."""
    pads, tf_pad = conv_padding(padding, kernel, stride, dilation)
    return (x if pads is None else tf.pad(x, pads, constant_values=value)), tf_pad
