"""The Model surface of the later families (EfficientNetV2, ...): ``include_top`` and ``pooling``.

Every model is built once without its top (zeros only, at a small input) and gives its last feature
map; its trainable count is the registered one less the head (one fc). The minis go through every
include_top/pooling combination, and their options (Keras's input front, the torchvision variant) keep
the counts.
"""

from __future__ import annotations

import pytest
from surface_checks import assert_covered, every_top_and_pooling, head_params, headless_map

import convnets
from convnets.layers import init

FAMILIES = ("efficientnet_v2", "regnet", "mnasnet", "nasnet")
# name: (input shape, the last feature map at that input)
CASES = {
    **{f"efficientnet_v2_{s}": ((64, 64, 3), (2, 2, c)) for s, c in (("b0", 1280), ("b1", 1280), ("b2", 1408),
                                                                    ("b3", 1536), ("s", 1280), ("m", 1280),
                                                                    ("l", 1280))},
    "efficientnet_v2_mini": ((32, 32, 3), (2, 2, 320)),
    # RegNet: the last stage's width (pycls's rounding), 2x2 at 64x64
    **{f"regnet_{p}": ((64, 64, 3), (2, 2, c)) for p, c in (
        ("x_200mf", 368), ("x_400mf", 384), ("x_600mf", 528), ("x_800mf", 672), ("x_1_6gf", 912),
        ("x_3_2gf", 1008), ("x_4gf", 1360), ("x_6_4gf", 1624), ("x_8gf", 1920), ("x_12gf", 2240),
        ("x_16gf", 2048), ("x_32gf", 2520), ("y_200mf", 368), ("y_400mf", 440), ("y_600mf", 608),
        ("y_800mf", 768), ("y_1_6gf", 888), ("y_3_2gf", 1512), ("y_4gf", 1088), ("y_6_4gf", 1296),
        ("y_8gf", 2016), ("y_12gf", 2240), ("y_16gf", 3024), ("y_32gf", 3712))},
    "regnet_mini": ((32, 32, 3), (2, 2, 128)),
    **{f"mnasnet{w}": ((64, 64, 3), (2, 2, 1280)) for w in ("0_5", "0_75", "1_0", "1_3", "_a1")},
    "mnasnet_mini": ((32, 32, 3), (4, 4, 384)),
    "nasnet_mobile": ((64, 64, 3), (2, 2, 1056)), "nasnet_large": ((64, 64, 3), (2, 2, 4032)),
    "nasnet_mini": ((32, 32, 3), (2, 2, 288)),
}
MINIS = [n for n in CASES if convnets.model_info(n).mini]
# Built by the registry-wide test only (the same classes at other widths and depths). Kept: EfficientNetV2's B0
# (S to L take 10-20 s each to build; S is compared with Keras and torchvision in tests/test_efficientnet_v2.py),
SKIPPED = {"efficientnet_v2_b1", "efficientnet_v2_b2", "efficientnet_v2_b3", "efficientnet_v2_s",
           "efficientnet_v2_m", "efficientnet_v2_l",
           # RegNet: one X and one Y (the same classes at other points of the design space), MnasNet: B1 1.0, A1
           *(n for n in CASES if n.startswith("regnet_") and n not in ("regnet_x_400mf", "regnet_y_400mf",
                                                                      "regnet_mini")),
           "mnasnet0_5", "mnasnet0_75", "mnasnet1_3",
           # NASNet: Mobile and the mini (Large has the same cells and 88.9M parameters to build)
           "nasnet_large"}
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
    assert head_params(top) == (features[-1] + 1) * info.num_classes


@pytest.mark.parametrize("name", MINIS)
def test_minis_every_top_and_pooling(name):
    every_top_and_pooling(name, *CASES[name], training=False)


@pytest.mark.parametrize("name, options, extra", [
    ("efficientnet_v2_mini", {"include_preprocessing": True}, 0),  # Rescaling, Normalization of constants
    ("efficientnet_v2_mini", {"variant": "torchvision"}, 0),
    ("regnet_mini", {"variant": "torchvision"}, 0),  # the same widths
    ("mnasnet_mini", {"dropout": 0.0}, 0),
    ("nasnet_mini", {"dropout": 0.5}, 0),
])
def test_options_keep_the_counts(name, options, extra):
    with init.zeros_only():
        base = convnets.create_model(name)
        other = convnets.create_model(name, **options)
    assert other.trainable_params == base.trainable_params
    assert other.total_params == base.total_params + extra
