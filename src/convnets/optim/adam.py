"""Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019)."""

from __future__ import annotations

import tensorflow as tf

from convnets.optim.base import Optimizer
from convnets.optim.schedules import Schedule


class Adam(Optimizer):
    """``m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    w <- w - lr * m_hat / (sqrt(v_hat) + eps)`` with bias-corrected m_hat, v_hat.

    ``weight_decay`` here is L2 added to the gradient (coupled); use ``AdamW``
    for decoupled decay.
    """

    _slot_names = ("m", "v")

    def __init__(
        self,
        learning_rate: float | Schedule = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-7,
        weight_decay: float = 0.0,
        name: str = "Adam",
    ):
        super().__init__(learning_rate, weight_decay, name=name)
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)

    def _decay_gradient(self, g, v):
        return g + self.weight_decay * v if self.weight_decay else g

    def _per_step(self, lr, step):
        # The bias corrections 1 / (1 - b^t) (Sec. 2, Algorithm 1), the same for every variable.
        return {"c1": 1.0 / (1.0 - tf.pow(self.beta1, step)), "c2": 1.0 / (1.0 - tf.pow(self.beta2, step))}

    def _update(self, g, v, slots, lr, shared) -> None:
        g = self._decay_gradient(g, v)
        m = self.beta1 * slots["m"] + (1.0 - self.beta1) * g
        s = self.beta2 * slots["v"] + (1.0 - self.beta2) * tf.square(g)
        # read_value=False: the new moments are already in hand (one op fewer per slot in the graph)
        slots["m"].assign(m, read_value=False)
        slots["v"].assign(s, read_value=False)
        m_hat = m * shared["c1"]
        v_hat = s * shared["c2"]
        self._before_step(v, lr)
        v.assign_sub(lr * m_hat / (tf.sqrt(v_hat) + self.epsilon), read_value=False)

    def _before_step(self, v, lr) -> None:
        pass


class AdamW(Adam):
    """Adam with decoupled weight decay: ``w <- w - lr * wd * w`` then the Adam step."""

    def __init__(self, learning_rate: float | Schedule = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float = 0.01):
        super().__init__(learning_rate, beta1, beta2, epsilon, weight_decay, name="AdamW")

    def _decay_gradient(self, g, v):
        return g

    def _before_step(self, v, lr) -> None:
        if self.weight_decay:
            v.assign_sub(lr * self.weight_decay * v, read_value=False)
