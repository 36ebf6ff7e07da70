"""``Model``: the top-level network every builder returns."""

from __future__ import annotations

from typing import Any

from convnets.layers.base import Block, Shape


class Model(Block):
    """A network: ``model(images, training=False)`` returns logits.

    ``input_shape`` is (H, W, C) without the batch axis. ``config`` holds what
    ``create_model`` was called with, so a run directory can rebuild the model.
    """

    def __init__(self, num_classes: int, input_shape: Shape, name: str | None = None):
        super().__init__(name=name)
        self.num_classes = int(num_classes)
        self.input_shape = tuple(int(d) for d in input_shape)
        self.config: dict[str, Any] = {}

    def output_shape(self, input_shape: Shape) -> Shape:
        return (self.num_classes,)
