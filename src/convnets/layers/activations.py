"""Activation functions, and a layer wrapper for use in ``Sequential``."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers.base import Lambda


def scaled_tanh(x: tf.Tensor) -> tf.Tensor:
    """``1.7159 tanh(2x/3)``: LeNet-5's squashing function (Appendix A), chosen so
    f(+-1) = +-1 and the gain is near 1 around 0."""
    return 1.7159 * tf.math.tanh(x * (2.0 / 3.0))


ACTIVATIONS: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {
    "relu": tf.nn.relu,
    "relu6": tf.nn.relu6,
    "tanh": tf.math.tanh,
    "scaled_tanh": scaled_tanh,
    "sigmoid": tf.math.sigmoid,
    "linear": tf.identity,
}


def get(name: str) -> Callable[[tf.Tensor], tf.Tensor]:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ConfigError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}") from None


class Activation(Lambda):
    """An activation as a parameter-free layer, e.g. ``Activation("relu")``."""

    def __init__(self, name_or_fn: str | Callable[[tf.Tensor], tf.Tensor], name: str | None = None):
        fn = get(name_or_fn) if isinstance(name_or_fn, str) else name_or_fn
        super().__init__(fn, name=name or (name_or_fn if isinstance(name_or_fn, str) else None))
