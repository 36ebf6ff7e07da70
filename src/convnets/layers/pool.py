"""Pooling: max, average, global, and LeNet-5's trainable subsampling."""

from __future__ import annotations

import tensorflow as tf

from convnets.layers import padding as pad
from convnets.layers.base import Layer, Shape


class _Pool2D(Layer):
    def __init__(
        self,
        pool_size: int | tuple[int, int] = 2,
        stride: int | tuple[int, int] | None = None,
        padding: pad.Padding = "valid",
        name: str | None = None,
    ):
        super().__init__(name=name)
        self.pool_size = pad.pair(pool_size, "pool_size")
        self.stride = pad.pair(stride if stride is not None else pool_size, "stride")
        self.padding = pad.normalize(padding)

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, c = input_shape
        return (*self.window_hw((h, w), self.pool_size, self.stride, (1, 1), self.padding), c)


class MaxPool2D(_Pool2D):
    """Max pooling; ``MaxPool2D(3, 2)`` is AlexNet's overlapping pooling (Sec. 3.4)."""

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        # TensorFlow's "SAME" max pooling ignores the padding, as PyTorch's does, so
        # pads equal to "SAME" stay one op; other pads are -inf, which never wins the max.
        x, padding = pad.pad_for_window(x, self.padding, self.pool_size, self.stride, value=float("-inf"))
        return tf.nn.max_pool2d(x, self.pool_size, self.stride, padding)


class AvgPool2D(_Pool2D):
    """Average pooling (with "same", border windows average only real pixels)."""

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        padding = self.padding
        if not isinstance(padding, str):
            x = tf.pad(x, pad.tf_padding(padding))  # zeros count, as PyTorch's default
            padding = "VALID"
        return tf.nn.avg_pool2d(x, self.pool_size, self.stride, padding)


class GlobalAvgPool(Layer):
    """(H, W, C) -> (C,): the mean of each map (NiN, Sec. 3.2)."""

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return tf.reduce_mean(x, axis=(1, 2))

    def output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[-1],)


class GlobalMaxPool(Layer):
    """(H, W, C) -> (C,): the max of each map."""

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return tf.reduce_max(x, axis=(1, 2))

    def output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[-1],)


class Subsampling2D(_Pool2D):
    """LeNet-5's S2/S4 (Sec. II-B): the four inputs are summed, multiplied by a
    trainable coefficient and added to a trainable bias, one pair per map.

    So a map costs 2 parameters: S2 has 12, S4 32.
    """

    def __init__(self, channels: int, pool_size: int = 2, name: str | None = None):
        super().__init__(pool_size, pool_size, "valid", name=name)
        self.channels = channels
        self.coefficient = tf.Variable(tf.ones((channels,)), name="coefficient")
        self.b = tf.Variable(tf.zeros((channels,)), name="b")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        area = float(self.pool_size[0] * self.pool_size[1])
        summed = tf.nn.avg_pool2d(x, self.pool_size, self.stride, "VALID") * area
        return summed * tf.cast(self.coefficient, x.dtype) + tf.cast(self.b, x.dtype)

    def macs(self, input_shape: Shape) -> int:
        h, w, c = self.output_shape(input_shape)
        return h * w * c  # one multiply by the coefficient per output

