"""Dropout (Srivastava et al. 2014), active only when ``training=True``."""

from __future__ import annotations

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import init as initializers
from convnets.layers.base import Layer


class Dropout(Layer):
    """Zero each unit with probability ``rate`` and scale the rest by 1/(1-rate).

    Randomness comes from the shared seeded generator (``layers.init``), which
    training checkpoints, so a resumed run draws the same masks.
    """

    def __init__(self, rate: float, name: str | None = None):
        super().__init__(name=name)
        if not 0.0 <= rate < 1.0:
            raise ConfigError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = rate

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if not training or self.rate == 0.0:
            return x
        seed = initializers.generator().make_seeds(1)[:, 0]
        return tf.nn.experimental.stateless_dropout(x, rate=self.rate, seed=seed)


class DropPath(Layer):
    """Stochastic depth (Huang et al. 2016; EfficientNet's "drop connect", ConvNeXt's drop path): in
    training, drop a residual branch for a whole example with probability ``rate``, scaling the kept ones
    by 1/(1-rate); at inference the branch always counts. Apply it to the branch, before the addition."""

    def __init__(self, rate: float, name: str | None = None):
        super().__init__(name=name)
        if not 0.0 <= rate < 1.0:
            raise ConfigError(f"drop-path rate must be in [0, 1), got {rate}")
        self.rate = rate

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if not training or self.rate == 0.0:
            return x
        seed = initializers.generator().make_seeds(1)[:, 0]
        keep = tf.random.stateless_uniform((tf.shape(x)[0],) + (1,) * (len(x.shape) - 1), seed) >= self.rate
        return x * (tf.cast(keep, x.dtype) / (1.0 - self.rate))  # one pass over x: scale the (N, 1, 1, 1) mask
