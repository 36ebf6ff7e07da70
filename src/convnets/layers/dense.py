"""Fully connected layer and ``Flatten``."""

from __future__ import annotations

import math

import tensorflow as tf

from convnets.layers import init as initializers
from convnets.layers.base import Layer, Shape


class Dense(Layer):
    """``y = x W + b`` on the last axis; on a feature map (N, H, W, C) it is a 1x1 convolution
    (ConvNeXt's pointwise layers, as its code and Keras write them)."""

    shape_only = True

    def __init__(
        self,
        in_features: int,
        out_features: int,
        use_bias: bool = True,
        w_init: str | initializers.Initializer = "glorot_uniform",
        b_init: str | initializers.Initializer = "zeros",
        name: str | None = None,
    ):
        super().__init__(name=name)
        self.in_features, self.out_features = in_features, out_features
        self.w = tf.Variable(
            initializers.get(w_init)((in_features, out_features), in_features, out_features),
            name="w",
        )
        self.b = (
            tf.Variable(initializers.get(b_init)((out_features,), in_features, out_features), name="b")
            if use_bias
            else None
        )

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if len(x.shape) > 2:  # one matrix product over every position
            shape = tf.shape(x)
            y = self.forward(tf.reshape(x, (-1, self.in_features)), training)
            return tf.reshape(y, tf.concat([shape[:-1], [self.out_features]], 0))
        y = tf.matmul(x, tf.cast(self.w, x.dtype))
        if self.b is not None:
            y = tf.nn.bias_add(y, tf.cast(self.b, x.dtype))
        return y

    def output_shape(self, input_shape: Shape) -> Shape:
        if input_shape[-1] != self.in_features:
            from convnets.errors import ConfigError

            raise ConfigError(f"{self.name}: expected {self.in_features} input features, got {input_shape[-1]}")
        return (*input_shape[:-1], self.out_features)

    def macs(self, input_shape: Shape) -> int:
        return math.prod(input_shape[:-1]) * self.in_features * self.out_features


class Flatten(Layer):
    """(H, W, C) -> (H*W*C,), row-major as TensorFlow stores NHWC."""

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return tf.reshape(x, (tf.shape(x)[0], -1))

    def output_shape(self, input_shape: Shape) -> Shape:
        return (math.prod(input_shape),)
