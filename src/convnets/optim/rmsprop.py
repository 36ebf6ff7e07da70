"""RMSProp (Tieleman & Hinton 2012), as GoogLeNet-era and MobileNet training used it."""

from __future__ import annotations

import tensorflow as tf

from convnets.optim.base import Optimizer
from convnets.optim.schedules import Schedule


class RMSProp(Optimizer):
    """``s <- rho s + (1-rho) g^2;  m <- mu m + lr g / sqrt(s + eps);  w <- w - m``.

    The TensorFlow form (epsilon inside the root, momentum on the scaled step).
    """

    def __init__(
        self,
        learning_rate: float | Schedule = 1e-3,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        weight_decay: float = 0.0,
    ):
        super().__init__(learning_rate, weight_decay, name="RMSProp")
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)
        self._slot_names = ("rms", "momentum") if momentum else ("rms",)

    def _update(self, g, v, slots, lr, shared) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * v
        s = self.rho * slots["rms"] + (1.0 - self.rho) * tf.square(g)
        slots["rms"].assign(s, read_value=False)
        delta = lr * g / tf.sqrt(s + self.epsilon)
        if self.momentum:
            delta = self.momentum * slots["momentum"] + delta
            slots["momentum"].assign(delta, read_value=False)
        v.assign_sub(delta, read_value=False)
