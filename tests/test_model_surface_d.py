"""The Model surface of ShuffleNet v2, MobileNet v3 and EfficientNet: ``include_top`` and ``pooling``.

Every model is built once without its top (zeros only, at a small input) and gives its last feature
map; its trainable count is the registered one less the head (one fc; MobileNet v3's two head layers).
The minis go through every include_top/pooling combination, and their options (Keras's input front,
the torchvision variant) keep the counts.
"""

from __future__ import annotations

import pytest
from surface_checks import assert_covered, every_top_and_pooling, head_params, headless_map

import convnets
from convnets.layers import init

FAMILIES = ("shufflenet", "mobilenet_v3", "efficientnet")
# name: (input shape, the last feature map at that input)
CASES = {
    **{f"shufflenet_v2_x{w}": ((64, 64, 3), (2, 2, c)) for w, c in (("0_5", 1024), ("1_0", 1024), ("1_5", 1024),
                                                                     ("2_0", 2048))},
    "shufflenet_v2_mini": ((32, 32, 3), (2, 2, 512)),
    "mobilenet_v3_small": ((64, 64, 3), (2, 2, 576)), "mobilenet_v3_large": ((64, 64, 3), (2, 2, 960)),
    "mobilenet_v3_mini": ((32, 32, 3), (2, 2, 432)),
    **{f"efficientnet_b{i}": ((64, 64, 3), (2, 2, c)) for i, c in enumerate((1280, 1280, 1408, 1536, 1792, 2048,
                                                                            2304, 2560))},
    "efficientnet_mini": ((32, 32, 3), (2, 2, 320)),
}
MINIS = [n for n in CASES if convnets.model_info(n).mini]
# Built by the registry-wide test only (the same classes at other widths and depths; building each twice
# here would cost a minute): the middle widths and scaling points.
SKIPPED = {"shufflenet_v2_x1_0", "shufflenet_v2_x1_5", *(f"efficientnet_b{i}" for i in range(2, 8))}
for _name in SKIPPED:
    del CASES[_name]


def test_every_model_of_these_families_is_covered():
    assert_covered(FAMILIES, CASES, SKIPPED)


@pytest.mark.parametrize("name", list(CASES))
def test_features_without_the_top(name):
    shape, features = CASES[name]
    info = convnets.model_info(name)
    m = headless_map(name, shape, features)
    with init.zeros_only():
        top = convnets.create_model(name, input_shape=shape)
    assert info.params[0] - m.trainable_params == head_params(top)  # only the head is gone
    if name.startswith("mobilenet_v3"):  # conv_2 (the last-stage 1x1 moved after the pool) and the logits
        width = top.head.out_features  # 1024 (Small), 1280 (Large), 512 (the mini)
        assert head_params(top) == (features[-1] + 1) * width + (width + 1) * info.num_classes
    else:
        assert head_params(top) == (features[-1] + 1) * info.num_classes


@pytest.mark.parametrize("name", MINIS)
def test_minis_every_top_and_pooling(name):
    every_top_and_pooling(name, *CASES[name], training=False)


@pytest.mark.parametrize("name, options, extra", [
    ("mobilenet_v3_mini", {"include_preprocessing": True}, 0),  # Rescaling has no variables
    ("efficientnet_mini", {"include_preprocessing": True}, 7),  # Normalization: mean, variance, count
    ("mobilenet_v3_small", {"variant": "torchvision"}, 0),
    ("efficientnet_mini", {"variant": "torchvision"}, 0),
])
def test_options_keep_the_trainable_count(name, options, extra):
    with init.zeros_only():
        base = convnets.create_model(name)
        other = convnets.create_model(name, **options)
    assert other.trainable_params == base.trainable_params
    assert other.total_params == base.total_params + extra


def test_bad_options_are_our_errors():
    with pytest.raises(convnets.ConfigError, match="variant must be 'keras' or 'torchvision'"):
        convnets.create_model("efficientnet_b0", variant="timm")
    with pytest.raises(convnets.ConfigError, match="neither alpha nor minimalistic"):
        convnets.create_model("mobilenet_v3_small", variant="torchvision", minimalistic=True)
    with pytest.raises(convnets.ConfigError, match="alpha must be > 0"):
        convnets.create_model("mobilenet_v3_large", alpha=0.0)
