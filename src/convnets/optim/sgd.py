"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from convnets.optim.base import Optimizer
from convnets.optim.schedules import Schedule


class SGD(Optimizer):
    """``g <- g + wd * w;  m <- mu * m + g;  w <- w - lr * (g + mu * m if nesterov else m)``.

    The PyTorch form (momentum accumulates raw gradients). Weight decay is L2
    added to the gradient, as AlexNet (Sec. 5), VGG and ResNet train.
    """

    def __init__(
        self,
        learning_rate: float | Schedule = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ):
        super().__init__(learning_rate, weight_decay, name="SGD")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self._slot_names = ("momentum",) if momentum else ()

    def _update(self, g, v, slots, lr, shared) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * v
        if self.momentum:
            m = self.momentum * slots["momentum"] + g
            slots["momentum"].assign(m, read_value=False)
            g = g + self.momentum * m if self.nesterov else m
        v.assign_sub(lr * g, read_value=False)
