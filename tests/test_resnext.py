"""ResNeXt's grouped width rule; the CIFAR networks' layout; and the wide CIFAR units. (ResNeXt-50 and
Wide ResNet-50-2 against torchvision: tests/test_torch_port.py.)"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

import convnets
from convnets.layers import init
from convnets.models.resnext import RESNEXT29_8X64D, RESNEXT50_32X4D


def test_grouped_widths():
    """C x d x (stage width / 64): Table 1's 128 .. 1024 for 32x4d; 512 .. 2048 for the CIFAR 8x64d."""
    assert [RESNEXT50_32X4D.group_width(w) for w in RESNEXT50_32X4D.widths] == [128, 256, 512, 1024]
    assert [RESNEXT29_8X64D.group_width(w) for w in RESNEXT29_8X64D.widths] == [512, 1024, 2048]
    with init.zeros_only():
        m = convnets.create_model("resnext50_32x4d", input_shape=(64, 64, 3))
    assert m.blocks[0].conv2.groups == 32 and m.blocks[0].conv2.w.shape == (3, 3, 4, 128)
    assert [b.name for b in m.blocks if b.conv2.stride == (2, 2)] == ["conv3_block1", "conv4_block1", "conv5_block1"]


def test_cifar_resnext_and_headless():
    with init.zeros_only():
        m = convnets.create_model("resnext_mini", include_top=False)
        pooled = convnets.create_model("resnext_mini", include_top=False, pooling="max")
    assert m(tf.zeros((1, 32, 32, 3))).shape == (1, 8, 8, 256) and pooled(tf.zeros((1, 32, 32, 3))).shape == (1, 256)
    assert len(m.stem) == 1 and m.stem[0].conv.stride == (1, 1)  # no max pool on CIFAR


def test_wide_units_project_where_the_width_changes_and_drop_out_between_convs():
    with init.zeros_only():
        m = convnets.create_model("wrn16_8", dropout=0.3)
    projected = [b.name for b in m.blocks if b.projection]
    assert projected == ["conv2_block1", "conv3_block1", "conv4_block1"]  # 16 -> 128 too
    assert all(b.dropout.rate == 0.3 for b in m.blocks)
    assert m.trainable_params == 10_961_370  # dropout adds no parameters
    x = tf.random.stateless_normal((2, 32, 32, 3), seed=(3, 4))
    np.testing.assert_array_equal(m(x).numpy(), m(x).numpy())  # inference: no dropout
