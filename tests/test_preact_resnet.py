"""Pre-activation ResNet: Keras's ResNet50V2 with randomised weights (BatchNorm statistics
included) copied into ours by ``convnets.from_keras`` gives the same logits and features;
the layouts the options select; the CIFAR units and the mini beside resnet20."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets.layers import init


def _keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize("include_top,pooling", [(True, None), (False, None), (False, "avg")])
def test_resnet50v2_matches_keras(include_top, pooling):
    keras = _keras()
    from test_keras_equivalence import assert_converted_matches, randomise

    ref = keras.applications.ResNet50V2(weights=None, input_shape=(64, 64, 3), include_top=include_top,
                                        pooling=pooling, classifier_activation=None)
    randomise(ref, 4)
    assert_converted_matches(ref, include_top, pooling)


@pytest.mark.parametrize("name", ["ResNet101V2", "ResNet152V2"])
def test_deeper_resnet_v2_match_keras(name):
    """ResNet101V2 and ResNet152V2 differ from ResNet50V2 only in stage depths (conv4: 23 and 36 units):
    the same port, checked on the whole network with its classifier."""
    keras = _keras()
    from test_keras_equivalence import assert_converted_matches, randomise

    ref = getattr(keras.applications, name)(weights=None, input_shape=(64, 64, 3), classifier_activation=None)
    randomise(ref, 5)
    assert_converted_matches(ref, True, None)


def test_keras_layout_subsamples_in_the_last_unit():
    with init.zeros_only():
        keras_layout = convnets.create_model("resnet50v2", input_shape=(64, 64, 3))
        paper = convnets.create_model("resnet50v2", input_shape=(64, 64, 3), downsample="first", conv_bias=False)
    strided = [b.name for b in keras_layout.blocks if b.conv2.conv.stride == (2, 2)]
    assert strided == ["conv2_block3", "conv3_block4", "conv4_block6"]
    strided = [b.name for b in paper.blocks if b.conv1.conv.stride == (2, 2)]
    assert strided == ["conv3_block1", "conv4_block1", "conv5_block1"]
    assert keras_layout.feature_shape((224, 224, 3)) == paper.feature_shape((224, 224, 3)) == (7, 7, 2048)
    assert paper.trainable_params == 25_549_352  # timm's resnetv2_50: Keras's count without the 19,008 biases


def test_units_add_the_bare_identity():
    """Nothing after the addition (Sec. 3): with the branch's last convolution zero, a unit is the identity."""
    from convnets.models.preact_resnet import PreActBasicBlock, PreActBottleneck

    x = tf.random.stateless_normal((2, 8, 8, 64), seed=(1, 2))
    for unit in (PreActBottleneck(64, 16, 1, projection=False), PreActBasicBlock(64, 64, 1)):
        last = unit.conv3 if isinstance(unit, PreActBottleneck) else unit.conv2
        last.w.assign(tf.zeros_like(last.w))
        np.testing.assert_array_equal(unit(x).numpy(), x.numpy())


def test_cifar_bottleneck_units_and_the_mini():
    with init.zeros_only():
        net = convnets.create_model("preact_resnet164")
        mini = convnets.create_model("preact_resnet20", include_top=False, pooling="avg")
    first = net.blocks[0]
    assert first.projection and first.shortcut.b is None and first.conv1.conv.stride == (1, 1)
    assert [b.conv1.conv.stride for b in net.blocks if b.projection] == [(1, 1), (2, 2), (2, 2)]  # stride in the 1x1
    assert len(net.blocks) == 54 and net.feature_shape((32, 32, 3)) == (8, 8, 256)
    assert mini(tf.zeros((1, 32, 32, 3))).shape == (1, 64)
    with init.zeros_only():
        pair = [convnets.create_model(n) for n in ("preact_resnet20", "resnet20")]
    assert pair[0].trainable_params == pair[1].trainable_params == 269_722
