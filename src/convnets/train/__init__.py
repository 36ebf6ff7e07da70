"""Training: config, loop, checkpoints, losses and metrics."""

from convnets import import_tensorflow

import_tensorflow()  # once, quietly, before any module below imports it

from convnets.train.checkpoint import load_run, read_config
from convnets.train.config import TrainConfig
from convnets.train.loop import TrainingDiverged, evaluate_dataset, train

__all__ = ["TrainConfig", "TrainingDiverged", "evaluate_dataset", "load_run", "read_config", "train"]
