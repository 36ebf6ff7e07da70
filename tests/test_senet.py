"""The squeeze-and-excitation block (parameters, MACs, what it computes, where it sits) and the SE networks."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets.errors import ConfigError
from convnets.layers import SqueezeExcite, init


def test_se_block_counts_and_gate():
    se = SqueezeExcite(256, 16)
    assert se.hidden == 16 and se.trainable_params == 256 * 16 + 16 + 16 * 256 + 256
    assert se.macs((56, 56, 256)) == 2 * 256 * 16  # the two layers once per image; pool and multiply uncounted
    x = tf.random.stateless_uniform((2, 5, 5, 256), seed=(0, 1), minval=0.5, maxval=1.5)
    y = se(x).numpy()
    gate = y / x.numpy()
    assert gate.shape == (2, 5, 5, 256) and ((gate > 0) & (gate < 1)).all()
    np.testing.assert_allclose(gate, gate[:, :1, :1, :] * np.ones_like(gate), rtol=1e-5)  # one gate per map
    assert SqueezeExcite(16, 16).hidden == 1
    with pytest.raises(ConfigError, match="reduction must be a positive int"):
        SqueezeExcite(64, 0)


def test_se_resnet50_adds_the_papers_parameters_and_timms_macs():
    with init.zeros_only():
        se = convnets.create_model("seresnet50")
        plain = convnets.create_model("resnet50", stride_in_1x1=False)
    assert se.trainable_params - plain.trainable_params == 2_530_992
    s, p = convnets.summarize(se), convnets.summarize(plain)
    assert s["macs"] - p["macs"] == 2_514_944  # the SE layers' 2*C*C/16 per block
    rows = [r["name"] for r in s["layers"] if "/se/" in r["name"]]
    assert rows[:3] == ["conv2_block1/se/squeeze", "conv2_block1/se/fc1", "conv2_block1/se/fc2"]


def test_se_sits_on_the_residual_before_the_addition():
    """Zero fc2's bias and weights: every gate is sigmoid(0) = 1/2, so the block is relu(y / 2 + identity)."""
    from convnets.models.senet import SEBasicBlock

    block = SEBasicBlock(16, 16, 1)
    block.se.fc2.w.assign(tf.zeros_like(block.se.fc2.w))
    x = tf.random.stateless_normal((2, 8, 8, 16), seed=(2, 3))
    y = block.conv2(block.conv1(x))
    np.testing.assert_allclose(block(x).numpy(), tf.nn.relu(y / 2 + x).numpy(), rtol=1e-5, atol=1e-6)


def test_mini_beside_resnet20():
    with init.zeros_only():
        se, plain = convnets.create_model("se_resnet20"), convnets.create_model("resnet20")
    assert se.trainable_params - plain.trainable_params == 8_484
    assert [b.se.hidden for b in se.blocks[::3]] == [4, 8, 16]  # r = 4 on 16, 32, 64 channels
    with pytest.raises(ConfigError, match="has no option"):
        convnets.create_model("se_resnet20", stride_in_1x1=True)
