"""Loss functions."""

from __future__ import annotations

from convnets import import_tensorflow

tf = import_tensorflow()  # once, quietly (convnets/train/__init__.py)


def cross_entropy(labels: tf.Tensor, logits: tf.Tensor, label_smoothing: float = 0.0) -> tf.Tensor:
    """Mean softmax cross-entropy of integer ``labels`` against ``logits`` (computed in float32)."""
    logits = tf.cast(logits, tf.float32)
    if label_smoothing:
        n = tf.shape(logits)[-1]
        target = tf.one_hot(labels, n) * (1.0 - label_smoothing) + label_smoothing / tf.cast(n, tf.float32)
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(target, logits))
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
