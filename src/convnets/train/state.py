"""``TrainState``: everything a training run is at a given moment, and its checkpoint.

The checkpoint holds the model, the optimiser (slots and step count, and so the
learning-rate schedule's position), the completed epochs and the batches done in
the current one, the random generator (dropout), and the loss scale under
mixed_float16. The current epoch's running loss/accuracy sums and time are here
too; they are not in the checkpoint but go to partial_epoch.json on an interrupt.

Batches of the current epoch are counted from the optimiser's step counter, so a
checkpoint taken on Ctrl-C says exactly how many were applied, wherever the signal
lands (even during tracing, or a step that finished as it arrived).
"""

from __future__ import annotations

import os
import time
from typing import Any

from convnets import import_tensorflow
from convnets.layers import init
from convnets.models import Model
from convnets.optim import make_optimizer, make_schedule
from convnets.optim.ema import WeightAverage
from convnets.train.checkpoint import restore
from convnets.train.config import TrainConfig
from convnets.train.distribute import scope
from convnets.train.metrics import EpochSums, Mean
from convnets.train.precision import DynamicLossScale

tf = import_tensorflow()  # once, quietly (convnets/train/__init__.py)


class TrainState:
    """The model and optimiser of a run, its epoch and batch counters, random generator, loss
    scale and the current epoch's sums, with the ``tf.train.Checkpoint`` that saves them in
    ``checkpoint_dir`` (the last 3 kept)."""

    def __init__(self, model: Model, config: TrainConfig, steps_per_epoch: int, checkpoint_dir: str | os.PathLike[str],
                 strategy: tf.distribute.Strategy | None = None):
        self.model, self.config, self.steps_per_epoch = model, config, steps_per_epoch
        schedule = make_schedule(config.schedule, config.lr, steps_per_epoch * config.epochs, steps_per_epoch,
                                 config.step_epochs, config.lr_factor, config.warmup_epochs)
        with scope(strategy):
            self.optimizer = make_optimizer(config.optimizer, schedule, config.momentum, config.weight_decay)
            self.optimizer.build(model.trainable_variables)
            self._epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")  # completed epochs
            self._batches = tf.Variable(0, dtype=tf.int64, trainable=False, name="batches")  # done in the current epoch
            self.loss_scale = DynamicLossScale() if config.precision == "mixed_float16" else None
            self.ema = WeightAverage(model.variables, config.ema) if config.ema else None
        parts: dict[str, Any] = dict(model=model, optimizer=self.optimizer, epoch=self._epoch, batches=self._batches,
                                     rng=init.generator())
        if self.loss_scale is not None:
            parts["loss_scale"] = self.loss_scale
        if self.ema is not None:
            parts["ema"] = self.ema
        self.checkpoint = tf.train.Checkpoint(**parts)
        self.manager = tf.train.CheckpointManager(self.checkpoint, os.fspath(checkpoint_dir), max_to_keep=3)
        self.sums = EpochSums()  # the current epoch's loss and hits, added to by the training step itself
        self.saved_step: int | None = None  # the optimiser step of the newest checkpoint
        # (completed epochs, optimiser step when the current epoch began), replaced in one
        # assignment so an interrupt sees the old pair or the new, never half.
        self.mark = (self.epoch, self.step - self.batches)
        self.sums_epoch: int | None = None  # the epoch the sums were started for
        self._started = self._earlier = 0.0  # when the current epoch's batches began; seconds before a resume
        self._seconds: float | None = None  # the current epoch's, once its batches are done

    @property
    def step(self) -> int:
        """Optimiser steps taken (the learning-rate schedule's position)."""
        return int(self.optimizer.iterations.numpy())

    @property
    def epoch(self) -> int:
        """Completed epochs, as of the newest checkpoint."""
        return int(self._epoch.numpy())

    @property
    def batches(self) -> int:
        """Batches done in the epoch after ``epoch``, as of the newest checkpoint (> 0 only mid-epoch)."""
        return int(self._batches.numpy())

    def restore(self) -> None:
        """Load the newest checkpoint (a ``ConvnetsError`` if it is unreadable or from another model)."""
        restore(self.checkpoint, self.manager.latest_checkpoint)
        self.saved_step = self.step
        self.mark = (self.epoch, self.step - self.batches)

    def save(self) -> None:
        self.manager.save(checkpoint_number=self.step)
        self.saved_step = self.step

    def start_epoch(self, epoch: int, partial: tuple[Mean, float] | None = None) -> Mean:
        """Start the sums and clock of ``epoch`` (0-based), from an interrupted run's ``partial``
        (sums, seconds) when resuming it; return the sums it starts from."""
        meter, self._earlier = partial or (Mean(), 0.0)
        self.sums.load(meter)
        self.sums_epoch, self._seconds = epoch, None
        self._started = time.perf_counter()
        return meter

    def seconds_so_far(self) -> float:
        """The current epoch's training time: up to now, or to its last batch once that is done."""
        return self._seconds if self._seconds is not None else time.perf_counter() - self._started + self._earlier

    def batch_seconds(self) -> float:
        """Seconds since the current epoch's batches (the rest of them, when resumed) began."""
        return time.perf_counter() - self._started

    def finish_batches(self) -> tuple[Mean, float]:
        """The epoch's batches are done: its sums and training seconds (a resumed epoch's earlier part included)."""
        self._seconds = time.perf_counter() - self._started + self._earlier
        return self.sums.read(), self._seconds

    def end_epoch(self, epoch: int) -> None:
        """``epoch`` (0-based) is over: count it and save the checkpoint."""
        self.mark = (epoch + 1, self.step)
        self._epoch.assign(epoch + 1)
        self._batches.assign(0)
        self.save()

    def save_interrupted(self) -> int:
        """Checkpoint the state an interrupt left, unless the newest checkpoint is it; return the completed epochs."""
        done, epoch_start = self.mark
        self._epoch.assign(done)
        self._batches.assign(self.step - epoch_start)
        if self.saved_step != self.step:
            self.save()
        return done

    def partial_epoch(self) -> dict[str, Any] | None:
        """After ``save_interrupted``: what partial_epoch.json keeps of an epoch stopped part-way
        (its running sums and seconds), or None if none was."""
        if self.batches == 0 or self.sums_epoch != self.epoch:
            return None
        return {"epoch": self.epoch + 1, "step": self.step, "seconds": self.seconds_so_far(),
                "meter": self.sums.read().state()}
