"""The Model surface (include_top, pooling, feature_shape, num_features) for LeNet-5, AlexNet, VGG and NiN.

The full AlexNet and VGG are built at small inputs (and with zeros only) to keep the
forward passes cheap; their default-input feature maps are checked by shape arithmetic.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from surface_checks import assert_covered

import convnets
from convnets.errors import ConfigError
from convnets.layers import init

# model -> (input for the forward passes, feature map (h, w, num_features) at that input)
SMALL = {
    "lenet5": ((32, 32, 1), (1, 1, 120)),  # C5
    "lenet5_modern": ((28, 28, 1), (5, 5, 16)),  # S4
    "alexnet": ((67, 67, 3), (1, 1, 256)),  # pool5
    "alexnet_mini": ((32, 32, 3), (3, 3, 64)),
    "vgg_mini": ((32, 32, 3), (4, 4, 64)),  # the last pool
    "nin": ((32, 32, 3), (8, 8, 192)),  # pool2: what the last mlpconv takes
    "nin_mini": ((32, 32, 3), (8, 8, 64)),
    **{f"vgg{d}{bn}": ((32, 32, 3), (1, 1, 512)) for d in (11, 13, 16, 19) for bn in ("", "_bn")},
}

# The feature maps at each model's default input (the docstrings' figures).
AT_DEFAULT = {
    "lenet5": (1, 1, 120), "lenet5_modern": (5, 5, 16), "alexnet": (6, 6, 256), "alexnet_mini": (3, 3, 64),
    "vgg_mini": (4, 4, 64), "nin": (8, 8, 192), "nin_mini": (8, 8, 64),
    **{f"vgg{d}{bn}": (7, 7, 512) for d in (11, 13, 16, 19) for bn in ("", "_bn")},
}


def test_every_model_of_these_families_is_covered():
    assert_covered(("lenet", "alexnet", "vgg", "nin"), SMALL, set())
    assert set(SMALL) == set(AT_DEFAULT)


@pytest.mark.parametrize("name", list(SMALL))
def test_include_top_and_pooling_shapes(name):
    shape, features = SMALL[name]
    x = tf.zeros((2, *shape))
    with init.zeros_only():
        for include_top in (True, False):
            for pooling in (None, "avg", "max"):
                m = convnets.create_model(name, input_shape=shape, include_top=include_top, pooling=pooling)
                if include_top:
                    expected = (m.num_classes,)  # pooling applies only without the top, as in Keras
                elif pooling is None:
                    expected = features
                else:
                    expected = (features[-1],)
                assert m.num_features == features[-1]
                assert m.feature_shape(shape) == features
                assert m.output_shape() == expected, (include_top, pooling)
                assert tuple(m(x).shape) == (2, *expected), (include_top, pooling)


@pytest.mark.parametrize("name", list(AT_DEFAULT))
def test_feature_map_at_the_default_input(name):
    with init.zeros_only():
        m = convnets.create_model(name, include_top=False)
    assert m.output_shape() == AT_DEFAULT[name]
    assert m.num_features == AT_DEFAULT[name][-1]


@pytest.mark.parametrize("name,headless", [
    ("lenet5", 60_850 - 10_164 - 850),  # without F6 and the output layer (Sec. II-B counts)
    ("lenet5_modern", 156 + 2_416),  # C1 and a full C3
    ("vgg16", 14_714_688),  # Keras VGG16(include_top=False)
    ("vgg19", 20_024_384),  # Keras VGG19(include_top=False)
])
def test_no_head_parameters_without_the_top(name, headless):
    with init.zeros_only():
        m = convnets.create_model(name, include_top=False)
    assert m.trainable_params == headless


@pytest.mark.parametrize("name", ["lenet5", "lenet5_modern", "alexnet_mini", "vgg_mini", "nin_mini"])
def test_features_then_head_is_the_model(name):
    """The logits are forward_head(forward_features(x)); pooled features are the map's mean or max."""
    m = convnets.create_model(name)
    x = tf.random.stateless_normal((2, *m.input_shape), seed=(1, 2))
    features = m.forward_features(x)
    np.testing.assert_allclose(m.forward_head(features).numpy(), m(x).numpy(), rtol=1e-5, atol=1e-5)
    assert tuple(features.shape[1:]) == m.feature_shape(m.input_shape)
    headless = {p: convnets.create_model(name, include_top=False, pooling=p) for p in ("avg", "max")}
    for p, reduce in (("avg", tf.reduce_mean), ("max", tf.reduce_max)):
        h = headless[p]
        f = h.forward_features(x)
        np.testing.assert_allclose(h(x).numpy(), reduce(f, axis=(1, 2)).numpy(), rtol=1e-6, atol=1e-6)


def test_bad_pooling_is_refused():
    with pytest.raises(ConfigError, match="pooling must be None, 'avg' or 'max'"):
        convnets.create_model("lenet5", include_top=False, pooling="mean")


def test_headless_vgg16_equals_kerass_feature_map():
    """Keras's VGG16(include_top=False) ends at block5_pool; ours (include_top=False, pooling=None) too."""
    keras = pytest.importorskip("keras")
    ref = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    rng = np.random.default_rng(0)
    for layer in ref.layers:
        if layer.weights:
            kernel, bias = layer.get_weights()
            layer.set_weights([rng.normal(0, np.sqrt(2 / np.prod(kernel.shape[:-1])), kernel.shape).astype(np.float32),
                               rng.normal(0, 0.1, bias.shape).astype(np.float32)])
    ours = convnets.from_keras(ref)
    assert (ours.include_top, ours.pooling, ours.num_features) == (False, None, 512)
    assert ours.total_params == ref.count_params() == 14_714_688
    x = rng.normal(size=(2, 64, 64, 3)).astype(np.float32)
    expected = np.asarray(ref(x, training=False))
    got = ours(x).numpy()
    assert got.shape == expected.shape == (2, *ours.output_shape()) == (2, 2, 2, 512)
    scale = np.abs(expected).max()
    assert scale > 1e-2 and np.abs(got - expected).max() < 1e-4 * max(1.0, scale)
