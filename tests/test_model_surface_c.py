"""The Model surface of SqueezeNet, the pre-activation ResNets, Wide ResNet, ResNeXt and SENet:
``include_top`` and ``pooling``.

Every model is built once without its top (zeros only, at a small input) and gives its
last feature map; its trainable count is then the registered one less the classifier
(conv10 in SqueezeNet, the fc elsewhere). The minis go through every include_top/pooling
combination and their pooled features are checked against the map.
"""

from __future__ import annotations

import pytest
from surface_checks import assert_covered, every_top_and_pooling, headless_map

import convnets

FAMILIES = ("squeezenet", "preact_resnet", "wide_resnet", "resnext", "senet")
IMAGENET_64 = ((64, 64, 3), (2, 2, 2048))  # 64 -> 32 (conv1) -> 16 (pool1) -> 8 -> 4 -> 2
# name: (input shape, the last feature map at that input)
CASES = {
    "squeezenet1_0": ((64, 64, 3), (3, 3, 512)),  # conv1 29, Caffe pools 14, 7, 3
    "squeezenet1_1": ((64, 64, 3), (3, 3, 512)),  # conv1 31, pools 15, 7, 3
    "squeezenet_mini": ((32, 32, 3), (8, 8, 256)),
    "resnet50v2": IMAGENET_64, "resnet101v2": IMAGENET_64, "resnet152v2": IMAGENET_64,
    "preact_resnet164": ((32, 32, 3), (8, 8, 256)),
    "preact_resnet20": ((32, 32, 3), (8, 8, 64)),
    "wrn28_10": ((32, 32, 3), (8, 8, 640)), "wrn16_8": ((32, 32, 3), (8, 8, 512)),
    "wrn40_4": ((32, 32, 3), (8, 8, 256)), "wrn10_2": ((32, 32, 3), (8, 8, 128)),
    "wide_resnet50_2": IMAGENET_64, "wide_resnet101_2": IMAGENET_64,
    "resnext50_32x4d": IMAGENET_64, "resnext101_32x8d": IMAGENET_64,
    "resnext29_8x64d": ((32, 32, 3), (8, 8, 1024)), "resnext29_16x64d": ((32, 32, 3), (8, 8, 1024)),
    "resnext_mini": ((32, 32, 3), (8, 8, 256)),
    "seresnet50": IMAGENET_64, "seresnext50_32x4d": IMAGENET_64,
    "se_resnet20": ((32, 32, 3), (8, 8, 64)),
}
# Built by the registry-wide test only (1001 layers): the class and the units of preact_resnet164.
SKIPPED = {"preact_resnet1001"}
MINIS = [n for n in CASES if convnets.model_info(n).mini]


def test_every_model_of_these_families_is_covered():
    assert_covered(FAMILIES, CASES, SKIPPED)


@pytest.mark.parametrize("name", list(CASES))
def test_features_without_the_top(name):
    shape, features = CASES[name]
    info = convnets.model_info(name)
    m = headless_map(name, shape, features)
    # The classifier, a Dense (or SqueezeNet's 1x1 conv10) on num_features, is all that is gone.
    assert info.params[0] - m.trainable_params == (features[-1] + 1) * info.num_classes


@pytest.mark.parametrize("name", MINIS)
def test_minis_every_top_and_pooling(name):
    every_top_and_pooling(name, *CASES[name], training=True)
