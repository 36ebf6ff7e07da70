"""Optimiser base: a ``tf.Module`` holding its slots, with ``apply(grads, variables)``."""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf

from convnets.optim.schedules import Constant, Schedule


class Optimizer(tf.Module):
    """Base class. Subclasses define ``_slot_names`` and ``_update``.

    Slots (momentum, moments) are created by ``build(variables)``, before the
    first step, so a checkpoint can restore them before training starts.
    """

    _slot_names: tuple[str, ...] = ()

    def __init__(self, learning_rate: float | Schedule, weight_decay: float = 0.0, name: str | None = None):
        super().__init__(name=name)
        self.schedule = learning_rate if isinstance(learning_rate, Schedule) else Constant(learning_rate)
        self.weight_decay = float(weight_decay)
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")
        self.slots: dict[str, list[tf.Variable]] = {}
        self._built = False
        # id(variable) -> a multiple of the schedule's rate (a fine-tuned head's); set outside tf.Module's
        # attribute tracking, which would try to checkpoint a dict with integer keys
        object.__setattr__(self, "_lr_factors", {})

    def scale_learning_rate(self, variables: Sequence[tf.Variable], factor: float) -> None:
        """Update ``variables`` at ``factor`` times the schedule's rate (fine-tuning: a new classifier
        learns faster than the pretrained layers are allowed to move). Set before the first step is traced."""
        for v in variables:
            self._lr_factors[id(v)] = float(factor)

    def build(self, variables: Sequence[tf.Variable]) -> None:
        if self._built:
            return
        for s in self._slot_names:
            self.slots[s] = [
                tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False, name=f"{s}_{i}")
                for i, v in enumerate(variables)
            ]
        self._built = True

    @property
    def learning_rate(self) -> tf.Tensor:
        return self.schedule(self.iterations)

    # A plain Python loop over the variables: autograph has nothing to convert here, and converting
    # every op call of every variable's update made tracing a 358-variable step take seconds.
    @tf.autograph.experimental.do_not_convert
    def apply(self, grads: Sequence[tf.Tensor | None], variables: Sequence[tf.Variable]) -> None:
        """One update of every variable that has a gradient."""
        self.build(variables)
        lr = self.learning_rate
        step = tf.cast(self.iterations + 1, tf.float32)
        shared = self._per_step(lr, step)  # what every variable's update shares, computed once a step
        for i, (g, v) in enumerate(zip(grads, variables)):
            if g is None:
                continue
            slots = {s: self.slots[s][i] for s in self._slot_names}
            factor = self._lr_factors.get(id(v))
            self._update(tf.cast(g, v.dtype), v, slots, lr if factor is None else lr * factor, shared)
        self.iterations.assign_add(1)

    def _per_step(self, lr: tf.Tensor, step: tf.Tensor) -> dict[str, tf.Tensor]:
        """Scalars of this step that every variable's update uses (Adam's bias corrections)."""
        return {}

    def _update(self, g: tf.Tensor, v: tf.Variable, slots: dict[str, tf.Variable], lr: tf.Tensor,
                shared: dict[str, tf.Tensor]) -> None:
        raise NotImplementedError
