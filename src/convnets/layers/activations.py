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


def hard_sigmoid(x: tf.Tensor) -> tf.Tensor:
    """``relu6(x + 3) / 6``: MobileNet v3's piecewise-linear sigmoid (Howard et al. 2019, Sec. 5.2),
    cheap on a phone; Keras's MobileNetV3 and torch's ``Hardsigmoid`` compute exactly this."""
    return tf.nn.relu6(x + 3.0) * (1.0 / 6.0)


def hard_swish(x: tf.Tensor) -> tf.Tensor:
    """``x * relu6(x + 3) / 6`` (MobileNet v3, Sec. 5.2): swish with the sigmoid made piecewise linear."""
    return x * hard_sigmoid(x)


def swish(x: tf.Tensor) -> tf.Tensor:
    """``x * sigmoid(x)`` (Ramachandran et al. 2017; SiLU): EfficientNet's activation."""
    return tf.nn.silu(x)


@tf.custom_gradient
def gelu(x: tf.Tensor) -> tuple[tf.Tensor, Callable[[tf.Tensor], tf.Tensor]]:
    """The exact (erf) GELU, ``x * Phi(x)`` (Hendrycks & Gimpel 2016): ConvNeXt's, as torch's default.

    Same values as ``tf.nn.gelu(x, approximate=False)``; the gradient is written out,
    ``Phi(x) + x * phi(x)``, reusing the forward's ``Phi``: on a CPU, where these elementwise
    passes over ConvNeXt's 4x-wide maps are memory-bound, fwd + bwd take ~0.6x the time
    autodiff's chain of ops does (tests/test_layers.py checks the gradient against it)."""
    cdf = 0.5 * tf.math.erfc(x * -_RSQRT2)  # Phi(x) = erfc(-x / sqrt 2) / 2: one pass fewer than 1 + erf

    def grad(dy: tf.Tensor) -> tf.Tensor:
        pdf = tf.exp(-0.5 * tf.square(x)) * tf.cast(_RSQRT2PI, x.dtype)
        return dy * (cdf + x * pdf)

    return x * cdf, grad


_RSQRT2, _RSQRT2PI = 0.7071067811865476, 0.3989422804014327  # 1/sqrt(2), 1/sqrt(2 pi)


ACTIVATIONS: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {
    "hard_sigmoid": hard_sigmoid,
    "hard_swish": hard_swish,
    "swish": swish,
    "gelu": gelu,
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
