"""Optimisers written as ``tf.Module``s, and learning-rate schedules."""

from __future__ import annotations

from convnets import import_tensorflow

import_tensorflow()  # once, quietly, before any module below imports it

from convnets.errors import ConfigError
from convnets.optim.adam import Adam, AdamW
from convnets.optim.base import Optimizer
from convnets.optim.rmsprop import RMSProp
from convnets.optim.schedules import SCHEDULES, Constant, Cosine, Schedule, Step, Warmup, make_schedule
from convnets.optim.sgd import SGD

OPTIMIZERS = ("sgd", "nesterov", "adam", "adamw", "rmsprop")


def make_optimizer(
    name: str, schedule: Schedule, momentum: float | None = None, weight_decay: float = 0.0
) -> Optimizer:
    """Build an optimiser by name (``nesterov`` is SGD with Nesterov momentum).

    ``momentum=None`` means 0.9 for SGD and none for RMSProp.
    """
    if name in ("sgd", "nesterov") and momentum is None:
        momentum = 0.9
    if name == "sgd":
        return SGD(schedule, momentum=momentum, weight_decay=weight_decay)
    if name == "nesterov":
        return SGD(schedule, momentum=momentum, nesterov=True, weight_decay=weight_decay)
    if name == "adam":
        return Adam(schedule, weight_decay=weight_decay)
    if name == "adamw":
        return AdamW(schedule, weight_decay=weight_decay)
    if name == "rmsprop":
        return RMSProp(schedule, momentum=momentum or 0.0, weight_decay=weight_decay)
    raise ConfigError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")


__all__ = [
    "OPTIMIZERS", "SCHEDULES", "SGD", "Adam", "AdamW", "Constant", "Cosine", "Optimizer", "RMSProp",
    "Schedule", "Step", "Warmup", "make_optimizer", "make_schedule",
]
