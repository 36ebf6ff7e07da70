"""Scaling out through ``tf.distribute``: one device, several GPUs (MirroredStrategy)
or several machines (MultiWorkerMirroredStrategy, configured by ``TF_CONFIG``).

Variables are created in ``scope(strategy)`` with ONLY_FIRST_REPLICA aggregation:
gradients are averaged across replicas (an all-reduce) before the optimiser runs,
so every replica computes the same update and the first one's is kept. BatchNorm
uses each replica's own batch statistics, as Keras and PyTorch's DDP do by default.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

from convnets import import_tensorflow
from convnets.errors import ConfigError

tf = import_tensorflow()  # once, quietly (convnets/train/__init__.py)


def make_strategy(name: str = "default", devices: list[str] | None = None) -> tf.distribute.Strategy:
    """``default``: the current device; ``mirrored``: all local GPUs (or ``devices``);
    ``multiworker``: the cluster described by ``$TF_CONFIG`` (one machine without it)."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(devices)
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ConfigError(f"unknown strategy {name!r}; expected default, mirrored or multiworker")


def _first_replica(next_creator, **kwargs):
    if kwargs.get("aggregation") in (None, tf.VariableAggregation.NONE):
        kwargs["aggregation"] = tf.VariableAggregation.ONLY_FIRST_REPLICA
    return next_creator(**kwargs)


@contextlib.contextmanager
def scope(strategy: tf.distribute.Strategy | None) -> Iterator[None]:
    """Create the model, optimiser and counters inside this (a no-op for one device)."""
    if strategy is None or not is_distributed(strategy):
        yield
        return
    with strategy.scope(), tf.variable_creator_scope(_first_replica):
        yield


def is_distributed(strategy: tf.distribute.Strategy | None) -> bool:
    """True for a real strategy (even with one replica), False for None or TF's default."""
    return strategy is not None and type(strategy).__name__ != "_DefaultDistributionStrategy"


def _tf_config() -> dict:
    try:
        return json.loads(os.environ.get("TF_CONFIG") or "{}")
    except json.JSONDecodeError as e:
        raise ConfigError(f"TF_CONFIG is not valid JSON: {e}") from None


def worker_task() -> tuple[str, int]:
    """(task type, index) of this process in ``$TF_CONFIG``, ("chief", 0) without one."""
    task = _tf_config().get("task", {})
    return task.get("type", "chief"), int(task.get("index", 0))


def is_chief() -> bool:
    """The process that writes the run directory: the chief, or worker 0 without a chief."""
    kind, index = worker_task()
    return kind == "chief" or (kind == "worker" and index == 0 and "chief" not in _tf_config().get("cluster", {}))
