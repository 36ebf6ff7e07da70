"""SqueezeNet against torchvision: torchvision's randomly initialised squeezenet1_0/1_1
copied into ours give the same logits (1e-4 relative); Caffe's ceil-mode pools give
54/27/13 maps at 224x224; the mini's options and the simple bypass."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from torch_reference import torchvision_or_skip

import convnets
from convnets.layers import init
from convnets.models.squeezenet import SQUEEZENET1_0


@pytest.mark.parametrize("name", ["squeezenet1_0", "squeezenet1_1"])
def test_logits_match_torchvision(name):
    tv = torchvision_or_skip()
    import torch
    ref = getattr(tv.models, name)(weights=None).eval()
    # torchvision's init gives tiny conv10 outputs (N(0, 0.01)); a larger conv10 keeps the comparison meaningful.
    with torch.no_grad():
        ref.classifier[1].weight.normal_(0, 0.1)
        ref.classifier[1].bias.normal_(0, 0.1)
    ours = convnets.from_torch(ref, input_shape=(96, 96, 3))
    assert ours.trainable_params == sum(p.numel() for p in ref.parameters())
    x = np.random.default_rng(1).normal(size=(2, 96, 96, 3)).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy()
    got = ours(x).numpy()
    assert np.abs(expected).max() > 1e-2  # not a comparison of zeros
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    # An odd map at every pool (96 -> 45 -> 22 -> 10 in 1.0): the ceil-mode rounding is exercised.
    with torch.no_grad():
        tv_shape = ref.features(torch.from_numpy(x.transpose(0, 3, 1, 2))).shape
    assert ours.feature_shape((96, 96, 3)) == (tv_shape[2], tv_shape[3], tv_shape[1])


def test_caffe_pooling_maps_at_224():
    with init.zeros_only():
        m = convnets.create_model("squeezenet1_0")
    sizes = {}
    shape = m.input_shape
    for layer in m.layers:
        shape = layer.output_shape(shape)
        sizes[layer.name] = shape[0]
    assert (sizes["conv1"], sizes["pool1"], sizes["pool4"], sizes["pool8"]) == (109, 54, 27, 13)
    assert m.feature_shape((227, 227, 3)) == (13, 13, 512)  # Table 1's 227x227: 111, 55, 27, 13


def test_include_top_and_pooling():
    with init.zeros_only():
        feats = convnets.create_model("squeezenet1_1", include_top=False, input_shape=(64, 64, 3))
        pooled = convnets.create_model("squeezenet1_1", include_top=False, pooling="avg", input_shape=(64, 64, 3))
    x = tf.zeros((1, 64, 64, 3))
    assert feats(x).shape == (1, *feats.feature_shape((64, 64, 3))) and feats.num_features == 512
    assert pooled(x).shape == (1, 512)
    assert pooled.trainable_params == 1_235_496 - (512 * 1000 + 1000)  # no conv10


def test_bypass_and_batch_norm_options():
    with init.zeros_only():
        plain = convnets.create_model("squeezenet1_0")
        bypass = convnets.create_model("squeezenet1_0", bypass=True)
        bn = convnets.create_model("squeezenet1_0", batch_norm=True)
    assert bypass.trainable_params == plain.trainable_params  # Sec. 6: the simple bypass has no parameters
    assert [f.name for f in bypass.layers if getattr(f, "bypass", False)] == ["fire3", "fire5", "fire7", "fire9"]
    # BatchNorm after conv1 and the 24 Fire convolutions (gamma, beta; and the two statistics), their biases gone.
    bn_channels = 96 + sum(f.s1x1 + f.e1x1 + f.e3x3 for f in SQUEEZENET1_0.fires)
    assert bn.trainable_params == plain.trainable_params + bn_channels
    assert bn.total_params == bn.trainable_params + 2 * bn_channels


def test_mini_has_no_classifier_relu_and_takes_fashion_mnist():
    m = convnets.create_model("squeezenet_mini", input_shape=(28, 28, 1))
    assert m.feature_shape((28, 28, 1)) == (7, 7, 256)
    logits = m(tf.random.stateless_normal((4, 28, 28, 1), seed=(0, 1))).numpy()
    assert (logits < 0).any()  # no ReLU on the class maps
