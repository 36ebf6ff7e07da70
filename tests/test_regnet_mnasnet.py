"""RegNet and MnasNet: the design-space rule gives the released widths, the counts equal pycls/timm/tf_keras and
torchvision, torchvision's weights give its logits (one RegNetX, one RegNetY, one MnasNet width, at 64x64 with
BatchNorm statistics randomised, to 1e-4 relative), the minis take 28x28x1 and 32x32x3, and bad options are
ConfigErrors. Every size is built and counted by the registry-wide test (tests/test_registry.py)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from torch_reference import meta_device, randomise_batchnorm, torchvision_or_skip

import convnets
from convnets.errors import ConfigError
from convnets.layers import init
from convnets.models.mnasnet import A1, B1, MnasNetConfig
from convnets.models.regnet import POINTS, RegNetConfig, block_widths, compatible_widths
from convnets.torch_port import TORCHVISION_MODELS, from_torch, identify

# tf_keras 2.21 regnet.py MODEL_CONFIGS (pycls's released models): stage depths and widths.
KERAS_STAGES = {
    "x_200mf": ((1, 1, 4, 7), (24, 56, 152, 368)), "x_400mf": ((1, 2, 7, 12), (32, 64, 160, 384)),
    "x_600mf": ((1, 3, 5, 7), (48, 96, 240, 528)), "x_800mf": ((1, 3, 7, 5), (64, 128, 288, 672)),
    "x_1_6gf": ((2, 4, 10, 2), (72, 168, 408, 912)), "x_3_2gf": ((2, 6, 15, 2), (96, 192, 432, 1008)),
    "x_4gf": ((2, 5, 14, 2), (80, 240, 560, 1360)), "x_6_4gf": ((2, 4, 10, 1), (168, 392, 784, 1624)),
    "x_8gf": ((2, 5, 15, 1), (80, 240, 720, 1920)), "x_12gf": ((2, 5, 11, 1), (224, 448, 896, 2240)),
    "x_16gf": ((2, 6, 13, 1), (256, 512, 896, 2048)), "x_32gf": ((2, 7, 13, 1), (336, 672, 1344, 2520)),
    "y_200mf": ((1, 1, 4, 7), (24, 56, 152, 368)), "y_400mf": ((1, 3, 6, 6), (48, 104, 208, 440)),
    "y_600mf": ((1, 3, 7, 4), (48, 112, 256, 608)), "y_800mf": ((1, 3, 8, 2), (64, 128, 320, 768)),
    "y_1_6gf": ((2, 6, 17, 2), (48, 120, 336, 888)), "y_3_2gf": ((2, 5, 13, 1), (72, 216, 576, 1512)),
    "y_4gf": ((2, 6, 12, 2), (128, 192, 512, 1088)), "y_6_4gf": ((2, 7, 14, 2), (144, 288, 576, 1296)),
    "y_8gf": ((2, 4, 10, 1), (168, 448, 896, 2016)), "y_12gf": ((2, 5, 11, 1), (224, 448, 896, 2240)),
    "y_16gf": ((2, 4, 11, 1), (224, 448, 1232, 3024)), "y_32gf": ((2, 5, 12, 1), (232, 696, 1392, 3712)),
}


@pytest.mark.parametrize("point", list(POINTS))
def test_the_design_space_rule_gives_the_released_stages(point):
    """Sec. 3.3's quantized linear widths (w0, wa, wm, d), made compatible with g, are pycls's stages."""
    stages = RegNetConfig(POINTS[point]).stages()
    assert (tuple(d for _, d, _ in stages), tuple(w for w, _, _ in stages)) == KERAS_STAGES[point]


def test_torchvision_rounds_three_sizes_differently():
    differ = {p for p in POINTS if RegNetConfig(POINTS[p]).stages() != RegNetConfig(POINTS[p]).stages("torchvision")}
    assert differ == {"x_400mf", "x_4gf", "y_800mf", "y_4gf", "y_8gf"}  # torchvision ships neither 4GF
    assert [w for w, _, _ in RegNetConfig(POINTS["x_400mf"]).stages("torchvision")] == [32, 64, 160, 400]
    assert [w for w, _, _ in RegNetConfig(POINTS["y_8gf"]).stages("torchvision")] == [224, 448, 896, 2016]
    # eq. 2-4 alone (before the group widths): X-400MF's blocks
    assert block_widths(24, 24.48, 2.54, 22) == [24] + [64] * 2 + [152] * 7 + [392] * 12
    assert compatible_widths([24, 64, 152, 392], 16) == ([32, 64, 160, 384], [16, 16, 16, 16])


@pytest.mark.parametrize("name, options, params", [
    ("regnet_x_400mf", {}, 5_157_512), ("regnet_y_800mf", {"variant": "torchvision"}, 6_432_512),
    ("mnasnet_a1", {}, 3_887_038),
])
def test_counts(name, options, params):
    """pycls/timm/tf_keras, torchvision and timm's semnasnet_100 (the registry test checks every size)."""
    with init.zeros_only():
        m = convnets.create_model(name, **options)
    assert m.trainable_params == params


@pytest.mark.parametrize("name, features", [("regnet_mini", (2, 2, 128)), ("mnasnet_mini", (4, 4, 384))])
def test_minis_take_fashion_mnist_and_cifar(name, features):
    for shape in ((28, 28, 1), (32, 32, 3)):
        m = convnets.create_model(name, input_shape=shape)
        assert m.feature_shape(shape) == features
        assert tuple(m(tf.zeros((2, *shape)), training=True).shape) == (2, 10)


def test_mnasnet_a1_is_fig7():
    assert [(s.op, s.k, s.repeats, s.expand, s.out, s.se) for s in A1] == [
        ("sep", 3, 1, 1, 16, False), ("mb", 3, 2, 6, 24, False), ("mb", 5, 3, 3, 40, True),
        ("mb", 3, 4, 6, 80, False), ("mb", 3, 2, 6, 112, True), ("mb", 5, 3, 6, 160, True),
        ("mb", 3, 1, 6, 320, False)]
    assert not any(s.se for s in B1)
    # torchvision's _get_depths at 0.5 and 1.3: 16, 8, 16, 24, 40, 48, 96, 160 and 40, 24, 32, 56, 104, 128, 248, 416
    assert [MnasNetConfig(B1, 0.5).width(c) for c in (32, 16, 24, 40, 80, 96, 192, 320)] == [16, 8, 16, 24, 40,
                                                                                            48, 96, 160]
    assert [MnasNetConfig(B1, 1.3).width(c) for c in (32, 16, 24, 40, 80, 96, 192, 320)] == [40, 24, 32, 56, 104,
                                                                                            128, 248, 416]


def _reference(tv, name: str):
    import torch

    torch.manual_seed(0)
    ref = getattr(tv.models, name)(weights=None)
    randomise_batchnorm(ref, 1)
    with torch.no_grad():  # a classifier large enough that the comparison is not one of near-zeros
        last = [m for m in ref.modules() if isinstance(m, torch.nn.Linear)][-1]
        last.weight.normal_(0, 0.1)
        last.bias.normal_(0, 0.1)
    return ref.eval()


@pytest.mark.parametrize("name", ["regnet_x_400mf", "regnet_y_400mf", "mnasnet0_75"])
def test_logits_match_torchvision(name):
    """X-400MF is one of the sizes torchvision rounds differently; Y-400MF has SE; MnasNet-B1 at 0.75."""
    import torch

    tv = torchvision_or_skip()
    ref = _reference(tv, name)
    ours = from_torch(ref, input_shape=(64, 64, 3))
    assert ours.config["name"] == name and ours.trainable_params == sum(p.numel() for p in ref.parameters())
    x = np.random.default_rng(2).normal(size=(2, 64, 64, 3)).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy()
    scale = np.abs(expected).max()
    assert scale > 1e-2
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-4, atol=1e-4 * scale)


def test_torchvision_names_are_identified_from_their_structure():
    tv = torchvision_or_skip()
    names = [n for n in TORCHVISION_MODELS if n.startswith(("regnet", "mnasnet"))]
    assert len(names) == 18
    with meta_device(tv):
        for name in names:
            assert identify(getattr(tv.models, name)(weights=None)) == name
        with pytest.raises(ConfigError, match="a RegNetY with stages"):
            identify(tv.models.regnet_y_128gf(weights=None))
        with pytest.raises(ConfigError, match="an MNASNet of width 1.4"):
            identify(tv.models.MNASNet(1.4))


def test_bad_options_are_our_errors():
    with pytest.raises(ConfigError, match="variant must be 'pycls' or 'torchvision'"):
        convnets.create_model("regnet_mini", variant="timm")
    with pytest.raises(ConfigError, match="dropout must be in"):
        convnets.create_model("mnasnet_mini", dropout=1.5)
    with pytest.raises(ConfigError, match="w0 > 0 a multiple of 8"):
        block_widths(20, 10.0, 2.0, 4)
    with pytest.raises(ConfigError, match="alpha must be > 0"):
        from convnets.models.mnasnet import MnasNet

        MnasNet(MnasNetConfig(B1, alpha=0.0), input_shape=(32, 32, 3))
