"""Export a trained run as a SavedModel whose serving signature takes images
(pixel values 0..255, any size) and returns class probabilities."""

from __future__ import annotations

import os
from pathlib import Path

import tensorflow as tf

from convnets.data.pipeline import PreprocessSpec, preprocess
from convnets.models import Model
from convnets.train.checkpoint import load_run


class Serving(tf.Module):
    """Preprocessing + model + softmax, as one traced function."""

    def __init__(self, model: Model, spec: PreprocessSpec):
        super().__init__(name="serving")
        self.model, self.spec = model, spec
        c = spec.image_shape[2]
        self.serve = tf.function(
            self._serve, input_signature=[tf.TensorSpec((None, None, None, c), tf.float32, name="images")]
        )

    def _serve(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        h, w, _ = self.spec.image_shape
        x = tf.image.resize(images, (h, w))  # a no-op for images already at the native size
        probs = tf.nn.softmax(tf.cast(self.model(preprocess(x, self.spec), training=False), tf.float32))
        return {"probabilities": probs, "classes": tf.argmax(probs, axis=-1)}


def export_savedmodel(run_dir: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write the run's model as a SavedModel at ``out`` and return the path."""
    model, spec, _ = load_run(run_dir)
    module = Serving(model, spec)
    out = Path(out)
    tf.saved_model.save(module, os.fspath(out), signatures={"serving_default": module.serve})
    return out
