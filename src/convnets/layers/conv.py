"""Convolutions: ``Conv2D`` (with groups), ``DepthwiseConv2D``, ``SeparableConv2D``
(depthwise then pointwise, Xception's layer) and LeNet's ``PartialConv2D`` (a fixed
connection table between input and output maps).

Kernels are HWIO, activations NHWC, as TensorFlow's CPU kernels want them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import init as initializers
from convnets.layers import padding as pad
from convnets.layers.base import Layer, Shape


class _Window(Layer):
    """What every sliding-window convolution here shares: its kernel, stride, dilation and padding
    (set once), the padding applied before the op, the input-channel check and the bias."""

    shape_only = True

    def _set_window(self, kernel_size, stride, padding, dilation) -> None:
        self.kernel_size = pad.pair(kernel_size, "kernel_size")
        self.stride = pad.pair(stride, "stride")
        self.dilation = pad.pair(dilation, "dilation")
        self.padding = pad.normalize(padding)

    def _pad(self, x: tf.Tensor) -> tuple[tf.Tensor, str]:
        """``x`` padded explicitly where TensorFlow's own "SAME"/"VALID" does not say it (padding.py)."""
        return pad.pad_for_window(x, self.padding, self.kernel_size, self.stride, self.dilation)

    def _bias(self, y: tf.Tensor) -> tf.Tensor:
        return y if self.b is None else tf.nn.bias_add(y, tf.cast(self.b, y.dtype))

    def _out_hw(self, input_shape: Shape, channels: int) -> tuple[int, int]:
        """The output's (height, width), after checking the input has ``channels`` maps."""
        h, w, c = input_shape
        if c != channels:
            raise ConfigError(f"{self.name}: expected {channels} input channels, got {c}")
        return self.window_hw((h, w), self.kernel_size, self.stride, self.dilation, self.padding)


@functools.cache
def native_grouped_conv() -> bool:
    """Whether ``tf.nn.conv2d`` can run (and differentiate) a grouped convolution here: oneDNN's CPU
    kernels (convnets turns them on) and GPUs can; Eigen's CPU kernels (``TF_ENABLE_ONEDNN_OPTS=0``)
    refuse the backward pass ("Gradients for grouped convolutions are not supported on CPU")."""
    from convnets.machine import onednn_enabled

    return bool(onednn_enabled()) or bool(tf.config.list_physical_devices("GPU"))


class Conv2D(_Window):
    """2-D convolution: ``y = conv(x, W) + b``.

    Args:
      in_channels, out_channels: feature maps in and out.
      kernel_size, stride, dilation: an int or (h, w) pair.
      padding: "valid", "same", an int per side, or ((top, bottom), (left, right)).
      groups: split the channels into this many independent convolutions
        (AlexNet's two GPU towers; ``groups == in_channels`` is depthwise).
      use_bias: add a per-map bias (off when BatchNorm follows).
      w_init, b_init: initialiser names or functions (see ``layers.init``).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: pad.Padding = "valid",
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        use_bias: bool = True,
        w_init: str | initializers.Initializer = "glorot_uniform",
        b_init: str | initializers.Initializer = "zeros",
        name: str | None = None,
    ):
        super().__init__(name=name)
        if in_channels % groups or out_channels % groups:
            raise ConfigError(
                f"{name}: in_channels {in_channels} and out_channels {out_channels} "
                f"must both be divisible by groups={groups}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self._set_window(kernel_size, stride, padding, dilation)
        kh, kw = self.kernel_size
        cin = in_channels // groups
        fan_in, fan_out = kh * kw * cin, kh * kw * out_channels // groups
        shape = (kh, kw, cin, out_channels)
        self.w = tf.Variable(initializers.get(w_init)(shape, fan_in, fan_out), name="w")
        self.b = (
            tf.Variable(initializers.get(b_init)((out_channels,), fan_in, fan_out), name="b")
            if use_bias
            else None
        )

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x, padding = self._pad(x)
        kwargs = dict(strides=(1, *self.stride, 1), padding=padding, dilations=(1, *self.dilation, 1))
        w = tf.cast(self.w, x.dtype)
        if self.groups == 1 or native_grouped_conv():
            # A kernel of in_channels / groups inputs makes tf.nn.conv2d a grouped convolution.
            y = tf.nn.conv2d(x, w, **kwargs)
        else:
            # Eigen's CPU kernels have no grouped backward pass: independent convolutions on
            # channel slices, the same function (and 3x slower for ResNeXt's mini on 2 cores).
            xs = tf.split(x, self.groups, axis=-1)
            ws = tf.split(w, self.groups, axis=-1)
            y = tf.concat([tf.nn.conv2d(xi, wi, **kwargs) for xi, wi in zip(xs, ws)], axis=-1)
        return self._bias(y)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*self._out_hw(input_shape, self.in_channels), self.out_channels)

    def macs(self, input_shape: Shape) -> int:
        oh, ow, oc = self.output_shape(input_shape)
        kh, kw = self.kernel_size
        return oh * ow * oc * kh * kw * (self.in_channels // self.groups)


class DepthwiseConv2D(_Window):
    """One ``k x k`` filter per input channel (times ``depth_multiplier``).

    The spatial half of a depthwise separable convolution (MobileNet, Sec. 3.1).
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int | tuple[int, int] = 3,
        stride: int | tuple[int, int] = 1,
        padding: pad.Padding = "same",
        dilation: int | tuple[int, int] = 1,
        depth_multiplier: int = 1,
        use_bias: bool = False,
        w_init: str | initializers.Initializer = "glorot_uniform",
        name: str | None = None,
    ):
        super().__init__(name=name)
        self.channels, self.depth_multiplier = channels, depth_multiplier
        self._set_window(kernel_size, stride, padding, dilation)
        kh, kw = self.kernel_size
        shape = (kh, kw, channels, depth_multiplier)
        self.w = tf.Variable(
            initializers.get(w_init)(shape, kh * kw, kh * kw * depth_multiplier), name="w"
        )
        self.b = (
            tf.Variable(tf.zeros((channels * depth_multiplier,)), name="b") if use_bias else None
        )

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        w = self._reachable(tf.cast(self.w, x.dtype), x.shape[1], x.shape[2])
        x, padding = self._pad(x)
        y = tf.nn.depthwise_conv2d(x, w, strides=(1, *self.stride, 1), padding=padding, dilations=self.dilation)
        return self._bias(y)

    def _reachable(self, w: tf.Tensor, h: int | None, wd: int | None) -> tf.Tensor:
        """The part of an odd "same" kernel (stride 1) that can touch an ``h x wd`` map: a 7x7 kernel on a
        3x3 map reaches offsets -2..2 only, the rest lands on the zero padding. The same outputs and
        gradients (zero for the unreachable taps) from a smaller kernel: ConvNeXt's mini at 28x28 runs
        its last stage's 7x7 kernels on 3x3 maps."""
        kh, kw = self.kernel_size
        if self.padding != "SAME" or self.stride != (1, 1) or self.dilation != (1, 1) or h is None or wd is None:
            return w
        rh = max(kh // 2 - (h - 1), 0) if kh % 2 else 0  # rows of taps out of reach on each side
        rw = max(kw // 2 - (wd - 1), 0) if kw % 2 else 0
        return w[rh:kh - rh, rw:kw - rw] if rh or rw else w

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*self._out_hw(input_shape, self.channels), self.channels * self.depth_multiplier)

    def macs(self, input_shape: Shape) -> int:
        oh, ow, oc = self.output_shape(input_shape)
        return oh * ow * oc * self.kernel_size[0] * self.kernel_size[1]


class PartialConv2D(Layer):
    """A convolution where output map ``j`` sees only the input maps ``table[j]``.

    LeNet-5's C3 (LeCun et al. 1998, Sec. II-B, Table I): breaking symmetry and
    keeping the number of connections "within reasonable bounds". Each output
    map owns a kernel over just its inputs, so the parameter count is exact
    (1,516 for C3, not the 2,416 of a full connection). The forward pass scatters
    those kernels into one dense HWIO kernel (zeros elsewhere) and runs a single
    convolution.
    """

    shape_only = True

    def __init__(
        self,
        in_channels: int,
        table: Sequence[Sequence[int]],
        kernel_size: int | tuple[int, int] = 5,
        w_init: str | initializers.Initializer = "lecun1998_uniform",
        name: str | None = None,
    ):
        super().__init__(name=name)
        self.in_channels, self.out_channels = in_channels, len(table)
        self.table = [tuple(int(i) for i in inputs) for inputs in table]
        for j, inputs in enumerate(self.table):
            if not inputs or min(inputs) < 0 or max(inputs) >= in_channels:
                raise ConfigError(f"{name}: output map {j} connects to invalid inputs {inputs}")
        self.kernel_size = pad.pair(kernel_size, "kernel_size")
        kh, kw = self.kernel_size
        init = initializers.get(w_init)
        self.kernels = [
            tf.Variable(init((kh, kw, len(inputs)), kh * kw * len(inputs), 1), name=f"w{j}")
            for j, inputs in enumerate(self.table)
        ]
        self.b = tf.Variable(tf.zeros((self.out_channels,)), name="b")
        # One-hot selection matrices: kernel j (kh, kw, k_j) @ (k_j, in) -> (kh, kw, in).
        self._select = [
            tf.constant(np.eye(in_channels, dtype=np.float32)[list(inputs)]) for inputs in self.table
        ]

    def dense_kernel(self) -> tf.Tensor:
        """The equivalent full HWIO kernel, zero where there is no connection."""
        cols = [tf.tensordot(w, s, axes=[[2], [0]]) for w, s in zip(self.kernels, self._select)]
        return tf.stack(cols, axis=-1)

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        w = tf.cast(self.dense_kernel(), x.dtype)
        y = tf.nn.conv2d(x, w, strides=1, padding="VALID")
        return tf.nn.bias_add(y, tf.cast(self.b, x.dtype))

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, c = input_shape
        if c != self.in_channels:
            raise ConfigError(f"{self.name}: expected {self.in_channels} input channels, got {c}")
        oh, ow = self.window_hw((h, w), self.kernel_size, (1, 1), (1, 1), "VALID")
        return (oh, ow, self.out_channels)

    def macs(self, input_shape: Shape) -> int:
        oh, ow, _ = self.output_shape(input_shape)
        kh, kw = self.kernel_size
        return oh * ow * kh * kw * sum(len(t) for t in self.table)


class SeparableConv2D(_Window):
    """A depthwise separable convolution as one layer: a ``k x k`` filter per input channel
    (times ``depth_multiplier``), then a 1x1 convolution mixing the channels, with no
    nonlinearity between them (Xception, Chollet 2016, Sec. 2 and Fig. 4; Keras's
    ``SeparableConv2D``, whose weights it holds as they are: ``depthwise_kernel``
    (kh, kw, in, multiplier) and ``pointwise_kernel`` (1, 1, in x multiplier, out)).

    Parameters: ``kh*kw*in*m + in*m*out`` (+ ``out`` with a bias). MACs count both parts,
    the depthwise ``H_out*W_out*in*m*kh*kw`` and the pointwise ``H_out*W_out*in*m*out``;
    the stride and padding belong to the depthwise part (the pointwise part is 1x1/1).
    MobileNet writes the same factorisation as two layers, each with BatchNorm and ReLU.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int] = 3,
        stride: int | tuple[int, int] = 1,
        padding: pad.Padding = "same",
        dilation: int | tuple[int, int] = 1,
        depth_multiplier: int = 1,
        use_bias: bool = True,
        w_init: str | initializers.Initializer = "glorot_uniform",
        b_init: str | initializers.Initializer = "zeros",
        name: str | None = None,
    ):
        super().__init__(name=name)
        if depth_multiplier < 1:
            raise ConfigError(f"{name}: depth_multiplier must be >= 1, got {depth_multiplier}")
        self.in_channels, self.out_channels, self.depth_multiplier = in_channels, out_channels, depth_multiplier
        self._set_window(kernel_size, stride, padding, dilation)
        kh, kw = self.kernel_size
        mid = in_channels * depth_multiplier
        init = initializers.get(w_init)
        # Fans as Keras's initialisers compute them for each kernel shape.
        self.depthwise_kernel = tf.Variable(init((kh, kw, in_channels, depth_multiplier), kh * kw * in_channels,
                                                 kh * kw * depth_multiplier), name="depthwise_kernel")
        self.pointwise_kernel = tf.Variable(init((1, 1, mid, out_channels), mid, out_channels), name="pointwise_kernel")
        self.b = (
            tf.Variable(initializers.get(b_init)((out_channels,), mid, out_channels), name="b") if use_bias else None
        )

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x, padding = self._pad(x)
        y = tf.nn.separable_conv2d(x, tf.cast(self.depthwise_kernel, x.dtype), tf.cast(self.pointwise_kernel, x.dtype),
                                   strides=(1, *self.stride, 1), padding=padding, dilations=self.dilation)
        return self._bias(y)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*self._out_hw(input_shape, self.in_channels), self.out_channels)

    def macs(self, input_shape: Shape) -> int:
        oh, ow, oc = self.output_shape(input_shape)
        mid = self.in_channels * self.depth_multiplier
        return oh * ow * mid * (self.kernel_size[0] * self.kernel_size[1] + oc)
