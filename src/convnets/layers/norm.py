"""Normalisation layers: ``BatchNorm`` (Ioffe & Szegedy 2015), ``LayerNorm`` (Ba et al. 2016) and
ConvNeXt's ``LayerScale`` (Touvron et al. 2021), AlexNet's ``LocalResponseNorm`` (Krizhevsky et al.
2012, Sec. 3.3), and the fixed input fronts (``Rescaling``, ``Normalization``) some Keras
Applications models carry inside."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from convnets.layers.base import Layer, Shape


class BatchNorm(Layer):
    """Batch normalisation over all axes but the last (channels).

    Training mode normalises with the batch's statistics and updates the moving
    averages ``m <- momentum * m + (1 - momentum) * batch``; inference uses the
    moving averages. These are non-trainable variables, so they are in
    ``total_params`` but not ``trainable_params`` (Keras counts them, torchvision
    does not).

    Args:
      channels: number of channels.
      momentum: moving-average decay. 0.9 (PyTorch's 0.1) by default: the averages
        settle in ~20 steps, where Keras's 0.99 needs ~200, more than a short CPU run
        on a small data set has. Inference results do not depend on it.
      epsilon: added to the variance (Keras applications use 1.001e-5 or 1e-3).
      center, scale: learn beta / gamma (Inception v3 has no gamma).
      fused: in training on 4-D inputs, compute with TensorFlow's one-kernel batch
        norm (``FusedBatchNormV3``, oneDNN's on CPU): the same arithmetic as the
        step-by-step form below, in one pass instead of about twenty element-wise
        ops, which made ResNet-20's training step ~1.4x faster (benchmarks/NOTES.md).
        ``fused=False`` runs the readable form, ``tf.nn.moments`` +
        ``tf.nn.batch_normalization``, which inference always uses: it is the op
        sequence Keras runs, so logits equal Keras's to the last bit.
    """

    shape_only = True

    def __init__(
        self,
        channels: int,
        momentum: float = 0.9,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        gamma_init: float = 1.0,
        fused: bool = True,
        name: str | None = None,
    ):
        super().__init__(name=name)
        self.channels, self.momentum, self.epsilon, self.fused = channels, momentum, epsilon, fused
        self.gamma = tf.Variable(tf.fill((channels,), gamma_init), name="gamma") if scale else None
        self.beta = tf.Variable(tf.zeros((channels,)), name="beta") if center else None
        self.moving_mean = tf.Variable(tf.zeros((channels,)), trainable=False, name="moving_mean")
        self.moving_variance = tf.Variable(
            tf.ones((channels,)), trainable=False, name="moving_variance"
        )

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if self.fused and training and len(x.shape) == 4:
            return self._fused_training(x)
        axes = list(range(len(x.shape) - 1))
        if training:
            # Statistics in float32 even under mixed precision.
            mean, var = tf.nn.moments(tf.cast(x, tf.float32), axes)
            self._update_moving(mean, var)
        else:
            mean, var = self.moving_mean, self.moving_variance
        dt = x.dtype
        return tf.nn.batch_normalization(
            x,
            tf.cast(mean, dt),
            tf.cast(var, dt),
            None if self.beta is None else tf.cast(self.beta, dt),
            None if self.gamma is None else tf.cast(self.gamma, dt),
            self.epsilon,
        )

    def _update_moving(self, mean: tf.Tensor, var: tf.Tensor) -> None:
        decay = 1.0 - self.momentum
        self.moving_mean.assign_sub((self.moving_mean - mean) * decay)
        self.moving_variance.assign_sub((self.moving_variance - var) * decay)

    def _fused_training(self, x: tf.Tensor) -> tf.Tensor:
        """The training-mode normalisation in one kernel; gamma, beta and statistics stay float32."""
        scale = tf.ones((self.channels,)) if self.gamma is None else self.gamma
        offset = tf.zeros((self.channels,)) if self.beta is None else self.beta
        y, mean, var = tf.compat.v1.nn.fused_batch_norm(x, scale, offset, epsilon=self.epsilon, is_training=True)
        # The kernel normalises with the batch variance but returns it Bessel-corrected
        # (divided by n - 1); the moving average takes the plain one, as the unfused form.
        n = tf.cast(tf.size(x, out_type=tf.int64) // self.channels, tf.float32)
        self._update_moving(mean, var * (n - 1.0) / n)
        return y

    def output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)


class LayerNorm(Layer):
    """Normalise each position over its channels (the last axis), then ``gamma * x + beta``.

    ConvNeXt's replacement for BatchNorm (Liu et al. 2022, Sec. 2.6: "substituting BN with LN"):
    no batch statistics, so training and inference compute the same function and the batch size
    does not matter. Epsilon 1e-6 as ConvNeXt (Keras and torchvision) use it. Statistics in float32
    under mixed precision.
    """

    shape_only = True

    def __init__(self, channels: int, epsilon: float = 1e-6, name: str | None = None):
        super().__init__(name=name)
        self.channels, self.epsilon = channels, epsilon
        self.gamma = tf.Variable(tf.ones((channels,)), name="gamma")
        self.beta = tf.Variable(tf.zeros((channels,)), name="beta")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if x.shape[-1] is not None and x.shape[-1] != self.channels:
            from convnets.errors import ConfigError

            raise ConfigError(f"{self.name}: expected {self.channels} channels, got {x.shape[-1]}")
        dt = x.dtype
        return tf.cast(_layer_norm(tf.cast(x, tf.float32), self.gamma, self.beta, self.epsilon), dt)


def _layer_norm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: float) -> tf.Tensor:
    """``(x - mean) / sqrt(var + eps) * gamma + beta`` over the last axis, with the textbook backward
    written out (``dx = rstd * (g - mean(g) - xhat * mean(g * xhat))``, ``g = dy * gamma``): fewer
    memory-bound passes on a CPU than autodiff through ``tf.nn.moments`` (~0.8x the time, fwd + bwd)."""

    @tf.custom_gradient
    def norm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) -> tuple[tf.Tensor, Callable[..., Any]]:
        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
        rstd = tf.math.rsqrt(var + epsilon)
        xhat = (x - mean) * rstd

        def grad(dy: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
            axes = tf.range(tf.rank(dy) - 1)
            g = dy * gamma
            dx = rstd * (g - tf.reduce_mean(g, -1, keepdims=True)
                         - xhat * tf.reduce_mean(g * xhat, -1, keepdims=True))
            return dx, tf.reduce_sum(dy * xhat, axes), tf.reduce_sum(dy, axes)

        return xhat * gamma + beta, grad

    return norm(x, gamma, beta)


class LayerScale(Layer):
    """``gamma * x`` per channel, gamma starting small (1e-6): a residual branch begins almost off and
    learns how much to count (CaiT, Touvron et al. 2021; ConvNeXt's blocks, Sec. 2 and its code)."""

    shape_only = True

    def __init__(self, channels: int, init_value: float = 1e-6, name: str | None = None):
        super().__init__(name=name)
        self.gamma = tf.Variable(tf.fill((channels,), tf.constant(init_value, tf.float32)), name="gamma")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return x * tf.cast(self.gamma, x.dtype)


class LocalResponseNorm(Layer):
    """``b = a / (k + alpha * sum_{n neighbours} a^2) ^ beta`` across channels.

    Defaults are AlexNet's (Sec. 3.3): k=2, n=5, alpha=1e-4, beta=0.75. The
    paper's alpha multiplies the plain sum, as ``tf.nn.local_response_normalization``
    does (PyTorch's ``LocalResponseNorm`` divides alpha by n instead).
    """

    def __init__(
        self, size: int = 5, k: float = 2.0, alpha: float = 1e-4, beta: float = 0.75, name: str | None = None
    ):
        super().__init__(name=name)
        self.size, self.k, self.alpha, self.beta = size, k, alpha, beta

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        # TensorFlow's CPU kernel takes float32 and float16 only: under mixed_bfloat16 it runs in float32.
        y = tf.nn.local_response_normalization(
            x if x.dtype != tf.bfloat16 else tf.cast(x, tf.float32),
            depth_radius=self.size // 2, bias=self.k, alpha=self.alpha, beta=self.beta
        )
        return tf.cast(y, x.dtype)


class Rescaling(Layer):
    """``x * scale + offset``: the input normalisation some Keras Applications models carry inside
    (MobileNetV3: ``scale=1/127.5, offset=-1``, pixels 0..255 to -1..1), so they take raw pixels."""

    def __init__(self, scale: float, offset: float = 0.0, name: str | None = None):
        super().__init__(name=name)
        self.scale, self.offset = float(scale), float(offset)

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return x * self.scale + self.offset


class Normalization(Layer):
    """``(x - mean) / sqrt(variance)`` per channel, with the statistics as (non-trainable) variables:
    Keras's ``Normalization`` front in EfficientNet and EfficientNetV2 (ImageNet's mean and variance,
    copied in by ``from_keras``). ``count`` is Keras's third variable (how many samples its statistics
    were adapted on), kept so the parameter totals agree; it does not enter the computation.

    ``fixed=True``: the statistics are constants, not variables (Keras's ``Normalization(mean=...,
    variance=...)`` in ConvNeXt's front holds no weights), so the model's totals do not change.
    """

    def __init__(self, channels: int, mean: Any = 0.0, variance: Any = 1.0, fixed: bool = False,
                 name: str | None = None):
        super().__init__(name=name)
        mean = tf.broadcast_to(tf.constant(mean, tf.float32), (channels,))
        variance = tf.broadcast_to(tf.constant(variance, tf.float32), (channels,))
        if fixed:
            self.mean, self.variance, self.count = mean, variance, None
            return
        self.mean = tf.Variable(mean, trainable=False, name="mean")
        self.variance = tf.Variable(variance, trainable=False, name="variance")
        self.count = tf.Variable(0, dtype=tf.int64, trainable=False, name="count")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return (x - self.mean) / tf.sqrt(tf.maximum(self.variance, 1e-12))
