"""Training recipes: per-model defaults for ``convnets train``, kept as data.

A recipe is what we measured to work on a 2-core CPU; flags on the command line
override any field. Results obtained with each are in the README.
"""

from __future__ import annotations

from typing import Any

from convnets.train.config import TrainConfig

RECIPES: dict[str, dict[str, Any]] = {
    # LeNet-5 (1998): the paper trains 20 passes; Adam + cosine reaches 99% on MNIST in fewer.
    "lenet5": dict(epochs=20, batch_size=64, optimizer="adam", lr=1e-3, schedule="cosine"),
    "lenet5_modern": dict(epochs=15, batch_size=64, optimizer="adam", lr=2e-3, schedule="cosine"),
}


def recipe_for(model_name: str) -> TrainConfig:
    """The model's recipe, or the generic defaults of ``TrainConfig``."""
    return TrainConfig(**RECIPES.get(model_name, {}))
