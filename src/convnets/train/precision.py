"""Mixed precision (Micikevicius et al. 2018): compute in float16 or bfloat16,
keep variables (and BatchNorm statistics, and the loss) in float32.

Every layer casts its float32 variables to the input's dtype, so casting the
images is all it takes. float16's narrow range needs loss scaling: the loss is
multiplied by S before back-propagation and the gradients divided by S; a step
whose gradients overflow is skipped and S halved; after ``growth_interval``
good steps S doubles. bfloat16 has float32's range and needs none.
"""

from __future__ import annotations

from collections.abc import Sequence

from convnets import import_tensorflow
from convnets.train.config import AUTO_OUTCOMES

tf = import_tensorflow()  # once, quietly (convnets/train/__init__.py)

COMPUTE_DTYPES = {"float32": tf.float32, "mixed_float16": tf.float16, "mixed_bfloat16": tf.bfloat16}


def resolve(precision: str) -> str:
    """``"auto"`` as this machine runs it: ``mixed_bfloat16`` where the CPU multiplies bfloat16 in hardware
    (``convnets.machine.native_bfloat16``: oneDNN then runs convolutions in bfloat16, 1.5-2x faster for the
    convolution-heavy minis, docs/benchmarks.md) and no GPU is visible; float32 elsewhere, where bfloat16
    would be emulated and slower. Any other precision is returned as it is."""
    if precision != "auto":
        return precision
    from convnets.machine import native_bfloat16

    bf16, f32 = AUTO_OUTCOMES
    return bf16 if native_bfloat16() and not tf.config.list_physical_devices("GPU") else f32


def compute_dtype(precision: str) -> tf.DType:
    return COMPUTE_DTYPES[resolve(precision)]


class DynamicLossScale(tf.Module):
    """The loss-scaling state, as variables so checkpoints keep it."""

    def __init__(self, initial: float = 2.0**15, growth_interval: int = 2000, name: str = "loss_scale"):
        super().__init__(name=name)
        self.scale = tf.Variable(initial, dtype=tf.float32, trainable=False, name="scale")
        self.good_steps = tf.Variable(0, dtype=tf.int64, trainable=False, name="good_steps")
        self.growth_interval = growth_interval

    def scaled(self, loss: tf.Tensor) -> tf.Tensor:
        return loss * self.scale

    def unscale(self, grads: Sequence[tf.Tensor | None]) -> tuple[list[tf.Tensor | None], tf.Tensor]:
        """Gradients divided by the scale, and whether all are finite; updates the scale."""
        inv = 1.0 / self.scale
        grads = [None if g is None else tf.cast(g, tf.float32) * inv for g in grads]
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads if g is not None])
        grow = tf.logical_and(finite, self.good_steps + 1 >= self.growth_interval)
        self.scale.assign(tf.where(finite, tf.where(grow, self.scale * 2.0, self.scale),
                                   tf.maximum(self.scale / 2.0, 1.0)))
        self.good_steps.assign(tf.where(tf.logical_and(finite, tf.logical_not(grow)), self.good_steps + 1,
                                        tf.zeros_like(self.good_steps)))
        return grads, finite
