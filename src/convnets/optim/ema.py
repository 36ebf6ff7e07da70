"""``WeightAverage``: an exponential moving average of a model's weights, evaluated in their place.

Polyak averaging (Polyak & Juditsky 1992) as the fast-training records use it: the average of the
weights over the last stretch of training sits nearer the bottom of the valley than the last
weights, which bounce with the step size. ``average = decay * average + (1 - decay) * weights``
after every step, with the decay ramped up as ``min(decay, (1 + t) / (10 + t))`` at step ``t``
(``tf.train.ExponentialMovingAverage``'s ``num_updates`` rule, timm's ``ModelEmaV2`` warm-up), so
the first steps' random weights are soon forgotten. BatchNorm's moving statistics are averaged
too, as timm does, so the averaged weights are evaluated with statistics of the same age.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import tensorflow as tf

from convnets.errors import ConfigError


class WeightAverage(tf.Module):
    """Shadow copies of the floating-point ``variables`` (a model's: weights and BatchNorm statistics) that
    ``update`` moves towards them; ``applied()`` puts the averages in the model for evaluation."""

    def __init__(self, variables: Sequence[tf.Variable], decay: float, name: str | None = "weight_average"):
        super().__init__(name=name)
        if not 0.0 < decay < 1.0:
            raise ConfigError(f"weight-average decay must be in (0, 1), e.g. 0.999; got {decay}")
        self.decay = float(decay)
        # The model's own variables, kept outside tf.Module's tracking so a checkpoint holds them once (as the model's).
        object.__setattr__(self, "_live", [v for v in variables if v.dtype.is_floating])
        self.averages = [tf.Variable(v.read_value(), trainable=False, name=f"average_{i}")
                         for i, v in enumerate(self._live)]

    def rate(self, step: tf.Tensor) -> tf.Tensor:
        """The decay at optimiser step ``step`` (steps taken, counting this one)."""
        t = tf.cast(step, tf.float32)
        return tf.minimum(self.decay, (1.0 + t) / (10.0 + t))

    @tf.autograph.experimental.do_not_convert
    def update(self, step: tf.Tensor) -> None:
        """Move every average a ``1 - decay`` part of the way to its variable (inside the training step)."""
        keep = 1.0 - self.rate(step)
        for a, v in zip(self.averages, self._live):
            a.assign_sub((a - tf.cast(v, a.dtype)) * tf.cast(keep, a.dtype))

    def copy_to_model(self) -> None:
        """Overwrite the model's variables with the averages (a finished run's weights for inference)."""
        for a, v in zip(self.averages, self._live):
            v.assign(a)

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """The averages in the model for the ``with`` block, the trained weights back after it."""
        saved = [tf.identity(v) for v in self._live]
        self.copy_to_model()
        try:
            yield
        finally:
            for v, s in zip(self._live, saved):
                v.assign(s)
