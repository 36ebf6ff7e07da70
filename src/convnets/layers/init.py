"""Weight initialisers, as pure functions of a shape and fans.

Every random draw goes through one seeded ``tf.random.Generator`` so that a
model built after ``set_seed(s)`` is the same every time.

References:
  LeCun et al. 1998 (Appendix C): uniform in +-2.4/F_in.
  LeCun et al. 2012 "Efficient BackProp": variance 1/fan_in ("LeCun").
  Glorot & Bengio 2010: variance 2/(fan_in + fan_out).
  He et al. 2015 "Delving deep into rectifiers": variance 2/fan_in.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence

import tensorflow as tf

Initializer = Callable[[Sequence[int], int, int], tf.Tensor]

_GENERATOR: tf.random.Generator | None = None
_ZEROS_ONLY = False


def set_seed(seed: int) -> None:
    """Reset the generator used for weight initialisation and dropout."""
    global _GENERATOR
    _GENERATOR = tf.random.Generator.from_seed(seed)


def generator() -> tf.random.Generator:
    """The shared generator (created from seed 0 on first use)."""
    global _GENERATOR
    if _GENERATOR is None:
        _GENERATOR = tf.random.Generator.from_seed(0)
    return _GENERATOR


@contextlib.contextmanager
def zeros_only() -> Iterator[None]:
    """Inside this block every random initialiser returns zeros: building a model
    just to count its parameters (``convnets list``) then costs no random draws."""
    global _ZEROS_ONLY
    old, _ZEROS_ONLY = _ZEROS_ONLY, True
    try:
        yield
    finally:
        _ZEROS_ONLY = old


def _uniform(shape: Sequence[int], limit: float) -> tf.Tensor:
    if _ZEROS_ONLY:
        return tf.zeros(shape, tf.float32)
    return generator().uniform(shape, -limit, limit, dtype=tf.float32)


def _normal(shape: Sequence[int], std: float) -> tf.Tensor:
    if _ZEROS_ONLY:
        return tf.zeros(shape, tf.float32)
    # Truncated at 2 std, as Keras and TF do, so a rare huge weight cannot appear.
    # 0.8796... is the std of a unit normal truncated to [-2, 2].
    return generator().truncated_normal(shape, stddev=std / 0.87962566103423978)


def zeros(shape: Sequence[int], fan_in: int = 1, fan_out: int = 1) -> tf.Tensor:
    return tf.zeros(shape, tf.float32)


def ones(shape: Sequence[int], fan_in: int = 1, fan_out: int = 1) -> tf.Tensor:
    return tf.ones(shape, tf.float32)


def lecun1998_uniform(shape: Sequence[int], fan_in: int, fan_out: int = 1) -> tf.Tensor:
    """U(-2.4/F_in, 2.4/F_in), the LeNet-5 paper's choice (Appendix C)."""
    return _uniform(shape, 2.4 / fan_in)


def lecun_uniform(shape: Sequence[int], fan_in: int, fan_out: int = 1) -> tf.Tensor:
    return _uniform(shape, math.sqrt(3.0 / fan_in))


def lecun_normal(shape: Sequence[int], fan_in: int, fan_out: int = 1) -> tf.Tensor:
    return _normal(shape, math.sqrt(1.0 / fan_in))


def glorot_uniform(shape: Sequence[int], fan_in: int, fan_out: int) -> tf.Tensor:
    return _uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)))


def glorot_normal(shape: Sequence[int], fan_in: int, fan_out: int) -> tf.Tensor:
    return _normal(shape, math.sqrt(2.0 / (fan_in + fan_out)))


def he_uniform(shape: Sequence[int], fan_in: int, fan_out: int = 1) -> tf.Tensor:
    return _uniform(shape, math.sqrt(6.0 / fan_in))


def he_normal(shape: Sequence[int], fan_in: int, fan_out: int = 1) -> tf.Tensor:
    return _normal(shape, math.sqrt(2.0 / fan_in))


def he_normal_fan_out(shape: Sequence[int], fan_in: int, fan_out: int) -> tf.Tensor:
    """He normal with fan_out, as torchvision's ResNets use (mode='fan_out')."""
    return _normal(shape, math.sqrt(2.0 / fan_out))


def normal(std: float) -> Initializer:
    """A fixed-std Gaussian, e.g. N(0, 0.01) for AlexNet (Sec. 5)."""

    def init(shape: Sequence[int], fan_in: int = 1, fan_out: int = 1) -> tf.Tensor:
        if _ZEROS_ONLY:
            return tf.zeros(shape, tf.float32)
        return generator().normal(shape, stddev=std)

    return init


def constant(value: float) -> Initializer:
    def init(shape: Sequence[int], fan_in: int = 1, fan_out: int = 1) -> tf.Tensor:
        return tf.fill(shape, tf.constant(value, tf.float32))

    return init


INITIALIZERS: dict[str, Initializer] = {
    "zeros": zeros,
    "ones": ones,
    "lecun1998_uniform": lecun1998_uniform,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "he_normal_fan_out": he_normal_fan_out,
}


def get(init: str | Initializer) -> Initializer:
    """Look an initialiser up by name, or pass a callable through."""
    if callable(init):
        return init
    try:
        return INITIALIZERS[init]
    except KeyError:
        from convnets.errors import ConfigError

        raise ConfigError(
            f"unknown initializer {init!r}; expected one of {sorted(INITIALIZERS)}"
        ) from None
