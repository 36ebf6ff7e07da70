"""ShuffleNet v2: the channel shuffle moves channel g * (c/groups) + k to k * groups + g (as torchvision's
view-transpose-view does on NCHW); a stride-1 unit passes its first half through untouched; Table 5's
stage layout; the mini's shapes. (Logits against torchvision: tests/test_torch_port.py; counts: the
registry-wide test.)"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets.errors import ConfigError
from convnets.layers import init
from convnets.models.shufflenet import ShuffleUnit, channel_shuffle


def test_channel_shuffle_interleaves_the_two_halves():
    x = tf.reshape(tf.range(8, dtype=tf.float32), (1, 1, 1, 8))
    np.testing.assert_array_equal(channel_shuffle(x, 2).numpy().ravel(), [0, 4, 1, 5, 2, 6, 3, 7])
    y = np.random.default_rng(0).normal(size=(2, 3, 3, 12)).astype(np.float32)
    expected = y.reshape(2, 3, 3, 3, 4).transpose(0, 1, 2, 4, 3).reshape(2, 3, 3, 12)
    np.testing.assert_array_equal(channel_shuffle(tf.constant(y), 3).numpy(), expected)


def test_a_stride_one_unit_passes_half_its_channels_through():
    unit = ShuffleUnit(16, 16, 1, name="unit")
    x = tf.random.stateless_normal((2, 5, 5, 16), seed=(1, 2))
    y = channel_shuffle(unit(x), 8).numpy()  # undone: the inverse of a 2-group shuffle is a c/2-group one
    np.testing.assert_array_equal(y[..., :8], x.numpy()[..., :8])
    assert not np.allclose(y[..., 8:], x.numpy()[..., 8:])
    assert unit.left == [] and len(unit.right) == 3


def test_table_5_layout_and_the_mini():
    with init.zeros_only():
        m = convnets.create_model("shufflenet_v2_x1_0")
        mini = convnets.create_model("shufflenet_v2_mini", include_top=False)
    strided = [b.name for b in m.blocks if b.stride == 2]
    assert strided == ["stage2_unit1", "stage3_unit1", "stage4_unit1"] and len(m.blocks) == 16
    assert m.feature_shape((224, 224, 3)) == (7, 7, 1024)
    shapes = [b.output_shape(s) for b, s in [(m.blocks[0], (56, 56, 24))]]
    assert shapes == [(28, 28, 116)]
    assert mini(tf.zeros((1, 32, 32, 3))).shape == (1, 2, 2, 512)
    assert convnets.create_model("shufflenet_v2_mini", input_shape=(28, 28, 1)).output_shape() == (10,)


def test_megvii_layout_gives_the_papers_flops():
    """The paper's FLOPs (146M, 299M, 591M) are megvii's layout: stage 2's first unit keeps its 24 input
    channels on the left branch. Counted conv+fc, as megvii counts, it rounds to the paper's figures."""
    from convnets.layers import init, record_layers

    for width, paper in (("x1_0", 146), ("x2_0", 591)):
        with init.zeros_only():
            model = convnets.create_model(f"shufflenet_v2_{width}", variant="megvii")
        macs = sum(r["macs"] for r in record_layers(model, (224, 224, 3)))
        assert round(macs / 1e6) == paper
    with pytest.raises(ConfigError, match="variant must be"):
        convnets.create_model("shufflenet_v2_mini", variant="keras")
