"""``ConvBN``: convolution -> BatchNorm -> activation, the unit most post-2015
networks are built from (ResNet, MobileNet, GoogLeNet with BN)."""

from __future__ import annotations

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import activations
from convnets.layers.base import Block, Shape
from convnets.layers.conv import Conv2D, DepthwiseConv2D
from convnets.layers.norm import BatchNorm
from convnets.layers.padding import Padding


class ConvBN(Block):
    """``act(bn(conv(x)))``; ``act=None`` leaves the output linear (before a residual add).

    With ``depthwise=True`` the convolution is a ``DepthwiseConv2D`` (MobileNet): one filter per channel, so
    ``out_channels`` must equal ``in_channels``.
    Children are named ``conv`` and ``bn`` unless ``conv_name``/``bn_name`` say otherwise. ``bn_scale=False``
    leaves out BatchNorm's gamma (Inception v3 and Inception-ResNet-v2, as Keras builds them: the ReLU that
    follows makes a per-channel scale redundant once the next layer is linear).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int] = 3,
        stride: int | tuple[int, int] = 1,
        padding: Padding = "same",
        act: str | None = "relu",
        use_bias: bool = False,
        depthwise: bool = False,
        bn_epsilon: float = 1e-5,
        bn_momentum: float = 0.9,
        bn_scale: bool = True,
        w_init: str = "he_normal",
        conv_name: str = "conv",
        bn_name: str = "bn",
        name: str | None = None,
    ):
        super().__init__(name=name)
        if depthwise:
            if out_channels != in_channels:
                raise ConfigError(f"{self.name}: a depthwise ConvBN keeps its channels (one filter per channel), so "
                                  f"out_channels must equal in_channels ({in_channels}), got {out_channels}")
            self.conv = DepthwiseConv2D(in_channels, kernel_size, stride, padding, use_bias=use_bias, w_init=w_init,
                                        name=conv_name)
        else:
            self.conv = Conv2D(in_channels, out_channels, kernel_size, stride, padding, use_bias=use_bias,
                               w_init=w_init, name=conv_name)
        self.bn = BatchNorm(out_channels, momentum=bn_momentum, epsilon=bn_epsilon, scale=bn_scale, name=bn_name)
        self.act = activations.get(act) if act else None

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.bn(self.conv(x), training=training)
        return self.act(x) if self.act is not None else x

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.conv.output_shape(input_shape)
