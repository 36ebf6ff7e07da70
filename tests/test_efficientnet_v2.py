"""EfficientNetV2: the fused MBConv block, the Keras-built networks and their input fronts, and the
ports (Keras's EfficientNetV2B0 and S, torchvision's efficientnet_v2_s: identical logits to 1e-4 with
every weight and BatchNorm statistic randomised). Every size's counts and MACs are checked by the
registry-wide test; the comparisons here run at 64x64 (one B point, one S/M/L point: B1-B3, M and L
are the same blocks at other widths and depths)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets.errors import ConfigError
from convnets.layers import Normalization, Rescaling, init
from convnets.models.efficientnet import MBConv
from convnets.models.efficientnet_v2 import FusedMBConv

SIZES = ("b0", "b1", "b2", "b3", "s", "m", "l")


def _bn() -> dict:
    return dict(bn_epsilon=1e-3, w_init="he_normal")


@pytest.mark.parametrize("expand, stride, params, shape", [
    (1, 1, 3 * 3 * 24 * 24 + 4 * 24, (16, 16, 24)),  # one 3x3 conv (Table 4, stage 1), identity kept
    (4, 2, 3 * 3 * 24 * 96 + 4 * 96 + 96 * 48 + 4 * 48, (8, 8, 48)),  # 3x3 expand (strided), 1x1 project
])
def test_fused_mbconv(expand, stride, params, shape):
    cout = 24 if expand == 1 else 48
    block = FusedMBConv(24, cout, 3, expand, stride, 0.1, "same", _bn(), name="b")
    assert block.total_params == params and block.output_shape((16, 16, 24)) == shape
    assert block.residual == (stride == 1 and cout == 24)
    x = tf.random.stateless_normal((2, 16, 16, 24), seed=(1, 2))
    y = block(x, training=False)
    assert tuple(y.shape) == (2, *shape)
    if block.residual:  # the identity is added at inference, the drop-connect branch kept whole
        np.testing.assert_allclose(y - x, block.project(x, training=False), atol=1e-5)


def test_fused_then_mbconv_stages_and_keras_drop_schedule():
    with init.zeros_only():
        b3 = convnets.create_model("efficientnet_v2_b3", input_shape=(64, 64, 3))
    # the base's 1, 2, 2 fused and 3, 5, 8 MBConv blocks at depth 1.4: 2, 3, 3 and 5, 7, 12
    assert [type(b).__name__ for b in b3.blocks] == ["FusedMBConv"] * 8 + ["MBConv"] * 24
    assert all(b.se is not None for b in b3.blocks if isinstance(b, MBConv))
    assert [b.name for b in b3.blocks[:3]] == ["block1a", "block1b", "block2a"]  # Keras's names
    # Keras's V2 round_filters (nearest multiple of 8): 32 x 1.2 -> 40, 16 x 1.2 -> 16, 1280 x 1.2 -> 1536
    assert (b3.stem.conv.w.shape[-1], b3.blocks[0].out_channels, b3.num_features) == (40, 16, 1536)
    # Keras divides by the table's 21 blocks before depth scaling: the 32nd block drops with 0.2 * 31 / 21
    drops = [b.drop.rate for b in b3.blocks if b.drop is not None]
    assert drops[-1] == pytest.approx(0.2 * 31 / 21)


def test_input_fronts():
    """B models (and the mini, on their base): Rescaling(1/255) then ImageNet's mean/variance, constants, so the
    totals do not change; S/M/L, and any model without 3 channels: Rescaling(1/128, offset -1), as Keras builds
    them (S's front is compared with Keras's below)."""
    with init.zeros_only():
        rgb = convnets.create_model("efficientnet_v2_mini", include_preprocessing=True)
        plain = convnets.create_model("efficientnet_v2_mini")
        gray = convnets.create_model("efficientnet_v2_mini", input_shape=(28, 28, 1), include_preprocessing=True)
    assert [type(f) for f in rgb.front] == [Rescaling, Normalization] and plain.front == []
    assert (rgb.total_params, rgb.trainable_params) == (plain.total_params, plain.trainable_params)
    assert len(gray.front) == 1 and (gray.front[0].scale, gray.front[0].offset) == (1 / 128, -1.0)
    x = np.full((1, 32, 32, 3), 255.0, np.float32)
    np.testing.assert_allclose(rgb.front[1](rgb.front[0](x))[0, 0, 0], (1 - np.array([0.485, 0.456, 0.406]))
                               / np.array([0.229, 0.224, 0.225]), rtol=1e-5)


def test_mini_ends_at_2x2_and_bad_options():
    info = convnets.model_info("efficientnet_v2_mini")
    assert info.mini and info.input_shape == (32, 32, 3)
    for shape in ((32, 32, 3), (28, 28, 1)):
        with init.zeros_only():
            m = convnets.create_model("efficientnet_v2_mini", input_shape=shape)
        assert m.feature_shape(shape) == (2, 2, 320)
        assert [type(b).__name__ for b in m.blocks] == ["FusedMBConv"] * 3 + ["MBConv"] * 5
    with pytest.raises(ConfigError, match="variant must be 'keras' or 'torchvision'"):
        convnets.create_model("efficientnet_v2_mini", variant="timm")
    with pytest.raises(ConfigError, match="drop-path rate must be in"):
        convnets.create_model("efficientnet_v2_mini", drop_connect=3.0)


# --- Keras ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ctor", ["EfficientNetV2B0", "EfficientNetV2S"])
def test_matches_keras_with_its_input_front(ctor):
    """Keras's model takes pixels 0..255 and rescales them inside; ours with include_preprocessing=True too.
    Every weight and BatchNorm statistic randomised; the totals equal Keras's count_params."""
    keras = pytest.importorskip("keras")
    from test_keras_equivalence import randomise

    ref = getattr(keras.applications, ctor)(weights=None, input_shape=(64, 64, 3), classifier_activation=None)
    randomise(ref, 5)
    ours = convnets.from_keras(ref)
    assert ours.config["options"]["include_preprocessing"] is True and ours.total_params == ref.count_params()
    x = np.random.default_rng(8).uniform(0, 255, size=(2, 64, 64, 3)).astype(np.float32)
    expected = np.asarray(ref(x, training=False))
    got = ours(x, training=False).numpy()
    scale = np.abs(expected).max()
    assert scale > 1e-2
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)


def test_convert_keras_knows_every_size():
    """``convnets convert-keras`` takes the names of KERAS_APPLICATIONS: every size, Keras's constructor, and the
    "raw" preprocessing (pixels 0..255: the model's front rescales them)."""
    keras = pytest.importorskip("keras")
    from convnets.keras_port import KERAS_APPLICATIONS

    v2 = {name: entry for name, entry in KERAS_APPLICATIONS.items() if name.startswith("efficientnet_v2")}
    assert set(v2) == {f"efficientnet_v2_{s}" for s in SIZES}
    assert all(hasattr(keras.applications, ctor) and mode == "raw" for ctor, mode in v2.values())


# --- torchvision ----------------------------------------------------------------------------------------


def test_logits_match_torchvision_efficientnet_v2_s():
    from torch_reference import randomise_batchnorm, torchvision_or_skip

    from convnets.torch_port import TORCHVISION_MODELS, from_torch

    tv = torchvision_or_skip()
    import torch

    ref = tv.models.efficientnet_v2_s(weights=None)
    randomise_batchnorm(ref, 1)
    with torch.no_grad():  # a classifier large enough that the comparison is not one of near-zeros
        ref.classifier[-1].weight.normal_(0, 0.1)
        ref.classifier[-1].bias.normal_(0, 0.1)
    ref.eval()
    ours = from_torch(ref, input_shape=(64, 64, 3))
    assert ours.config["name"] == "efficientnet_v2_s" == TORCHVISION_MODELS["efficientnet_v2_s"][0]
    assert ours.trainable_params == sum(p.numel() for p in ref.parameters())
    x = np.random.default_rng(2).normal(size=(2, 64, 64, 3)).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy()
    scale = np.abs(expected).max()
    assert scale > 1e-2
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-4, atol=1e-4 * scale)
