"""Learning-rate schedules: functions of the step number (a float tensor)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import tensorflow as tf

from convnets.errors import ConfigError


class Schedule(tf.Module):
    """``schedule(step) -> learning rate``."""

    def __call__(self, step: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError


class Constant(Schedule):
    def __init__(self, lr: float):
        super().__init__()
        self.lr = float(lr)

    def __call__(self, step: tf.Tensor) -> tf.Tensor:
        return tf.constant(self.lr, tf.float32)


class Step(Schedule):
    """Multiply by ``factor`` at each boundary (AlexNet divides by 10 on plateaus;
    ResNet Sec. 4.2 at 32k and 48k iterations)."""

    def __init__(self, lr: float, boundaries: Sequence[int], factor: float = 0.1):
        super().__init__()
        self.lr, self.factor = float(lr), float(factor)
        self.boundaries = tf.constant(sorted(int(b) for b in boundaries) or [2**62], tf.float32)

    def __call__(self, step: tf.Tensor) -> tf.Tensor:
        passed = tf.reduce_sum(tf.cast(tf.cast(step, tf.float32) >= self.boundaries, tf.float32))
        return self.lr * tf.pow(self.factor, passed)


class Cosine(Schedule):
    """Half a cosine from ``lr`` down to ``final_lr`` over ``total_steps`` (Loshchilov & Hutter 2017)."""

    def __init__(self, lr: float, total_steps: int, final_lr: float = 0.0):
        super().__init__()
        self.lr, self.final_lr, self.total = float(lr), float(final_lr), max(1, int(total_steps))

    def __call__(self, step: tf.Tensor) -> tf.Tensor:
        t = tf.minimum(tf.cast(step, tf.float32) / self.total, 1.0)
        return self.final_lr + 0.5 * (self.lr - self.final_lr) * (1.0 + tf.cos(math.pi * t))


class Warmup(Schedule):
    """Linear warm-up from ~0 to the wrapped schedule over ``warmup_steps`` (Goyal et al. 2017)."""

    def __init__(self, schedule: Schedule, warmup_steps: int):
        super().__init__()
        self.schedule, self.warmup = schedule, max(1, int(warmup_steps))

    def __call__(self, step: tf.Tensor) -> tf.Tensor:
        s = tf.cast(step, tf.float32)
        scale = tf.minimum(1.0, (s + 1.0) / self.warmup)
        return self.schedule(s) * scale


SCHEDULES = ("constant", "step", "cosine")


def make_schedule(
    name: str,
    lr: float,
    total_steps: int,
    steps_per_epoch: int,
    step_epochs: Sequence[int] = (),
    factor: float = 0.1,
    warmup_epochs: float = 0.0,
) -> Schedule:
    """Build a schedule from epoch-based settings (what a recipe or the CLI gives)."""
    if lr <= 0:
        raise ConfigError(f"learning rate must be > 0, got {lr}")
    if name == "constant":
        s: Schedule = Constant(lr)
    elif name == "step":
        s = Step(lr, [e * steps_per_epoch for e in step_epochs], factor)
    elif name == "cosine":
        s = Cosine(lr, total_steps)
    else:
        raise ConfigError(f"unknown schedule {name!r}; expected one of {', '.join(SCHEDULES)}")
    if warmup_epochs > 0:
        s = Warmup(s, int(warmup_epochs * steps_per_epoch))
    return s
