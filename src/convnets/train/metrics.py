"""Running sums of loss and top-k hits over an epoch."""

from __future__ import annotations

from typing import Any

from convnets import import_tensorflow

tf = import_tensorflow()  # once, quietly (convnets/train/__init__.py)


def topk_hits(labels: tf.Tensor, logits: tf.Tensor, k: int) -> tf.Tensor:
    """How many examples have their label among the ``k`` largest logits."""
    k = min(k, int(logits.shape[-1]))
    return tf.reduce_sum(tf.cast(tf.math.in_top_k(tf.cast(labels, tf.int32), tf.cast(logits, tf.float32), k), tf.int64))


class Mean:
    """Accumulates loss and top-1/top-5 hits batch by batch (on the host)."""

    def __init__(self) -> None:
        self.n = 0
        self.loss_sum = 0.0
        self.top1 = 0
        self.top5 = 0

    def update(self, loss: float, top1: int, top5: int, n: int) -> None:
        self.n += n
        self.loss_sum += loss * n
        self.top1 += top1
        self.top5 += top5

    def state(self) -> dict[str, Any]:
        """The sums as plain numbers, to carry an interrupted epoch across a resume."""
        return {"n": self.n, "loss_sum": self.loss_sum, "top1": self.top1, "top5": self.top5}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Mean":
        m = cls()
        m.n, m.loss_sum = int(state["n"]), float(state["loss_sum"])
        m.top1, m.top5 = int(state["top1"]), int(state["top5"])
        return m

    @property
    def loss(self) -> float:
        return self.loss_sum / max(1, self.n)

    @property
    def accuracy(self) -> float:
        return self.top1 / max(1, self.n)

    @property
    def top5_accuracy(self) -> float:
        return self.top5 / max(1, self.n)


class EpochSums:
    """An epoch's running sums as variables that the compiled training step adds to.

    They change in the same graph execution as the weights and the optimiser's step
    counter, so an interrupt, wherever it lands, never leaves them a batch behind
    the weights (a ``Mean`` updated after the step returns would miss the step that
    was running when Ctrl-C arrived). The arithmetic is ``Mean.update``'s, in float64.
    """

    def __init__(self) -> None:
        self.n = tf.Variable(0, dtype=tf.int64, trainable=False, name="sum_images")
        self.loss_sum = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="sum_loss")
        self.top1 = tf.Variable(0, dtype=tf.int64, trainable=False, name="sum_top1")
        self.top5 = tf.Variable(0, dtype=tf.int64, trainable=False, name="sum_top5")

    def add(self, loss: tf.Tensor, top1: tf.Tensor, top5: tf.Tensor, n: tf.Tensor) -> None:
        """Inside the step: add one batch's mean loss, hits and size."""
        n = tf.cast(n, tf.int64)
        self.loss_sum.assign_add(tf.cast(loss, tf.float64) * tf.cast(n, tf.float64))
        self.n.assign_add(n)
        self.top1.assign_add(tf.cast(top1, tf.int64))
        self.top5.assign_add(tf.cast(top5, tf.int64))

    def read(self) -> Mean:
        return Mean.from_state({"n": self.n.numpy(), "loss_sum": self.loss_sum.numpy(),
                                "top1": self.top1.numpy(), "top5": self.top5.numpy()})

    def load(self, mean: Mean) -> None:
        """Start an epoch from ``mean`` (empty, or an interrupted epoch's saved sums)."""
        self.n.assign(mean.n)
        self.loss_sum.assign(mean.loss_sum)
        self.top1.assign(mean.top1)
        self.top5.assign(mean.top5)
