"""ConvNeXt: its layers (LayerNorm, layer scale, pointwise Dense on a map), the counts, and identical
outputs with Keras Applications and torchvision for identical (randomised) weights."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets.errors import ConfigError
from convnets.layers import Dense, LayerNorm, LayerScale, init
from convnets.models.convnext import ConvNeXt, ConvNeXtBlock


def test_layer_norm_normalises_each_position_over_its_channels():
    x = np.random.default_rng(0).normal(3.0, 2.0, (2, 4, 4, 6)).astype(np.float32)
    ln = LayerNorm(6, epsilon=1e-6)
    ln.gamma.assign(np.arange(1, 7, dtype=np.float32))
    ln.beta.assign(np.full(6, 0.5, np.float32))
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-6) * np.arange(1, 7) + 0.5
    np.testing.assert_allclose(ln(tf.constant(x)).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert ln.trainable_params == 12
    with pytest.raises(ConfigError, match="expected 6 channels, got 5"):
        ln(tf.zeros((1, 2, 2, 5)))


def test_layer_norm_gradients_equal_autodiff_of_its_definition():
    """LayerNorm writes its backward out (for speed): d/dx, d/dgamma and d/dbeta equal autodiff through
    ``tf.nn.moments``, eagerly and compiled, and under mixed precision (float16 in and out)."""
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(1.0, 3.0, (2, 3, 3, 8)), tf.float32)
    dy = tf.constant(rng.normal(size=(2, 3, 3, 8)), tf.float32)
    ln = LayerNorm(8)
    ln.gamma.assign(rng.normal(size=8).astype(np.float32))
    ln.beta.assign(rng.normal(size=8).astype(np.float32))

    def grads(f, inp=x):
        with tf.GradientTape() as tape:
            tape.watch(inp)
            y = f(inp)
        return [y, *tape.gradient(y, [inp, ln.gamma, ln.beta], output_gradients=tf.cast(dy, inp.dtype))]

    def reference(t):
        mean, var = tf.nn.moments(t, axes=[-1], keepdims=True)
        return (t - mean) * tf.math.rsqrt(var + 1e-6) * ln.gamma + ln.beta

    expected = grads(reference)
    for got in (grads(ln), tf.function(lambda: grads(ln))()):
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-4, atol=1e-5)
    half = grads(ln, tf.cast(x, tf.float16))
    assert half[0].dtype == half[1].dtype == tf.float16
    np.testing.assert_allclose(half[1].numpy(), expected[1].numpy(), rtol=2e-2, atol=2e-2)


def test_layer_scale_starts_small_and_dense_acts_on_every_position():
    ls = LayerScale(3, 1e-6)
    np.testing.assert_allclose(ls(tf.ones((1, 2, 2, 3))).numpy(), 1e-6)
    d = Dense(3, 5)
    x = tf.random.stateless_normal((2, 4, 4, 3), (1, 2))
    np.testing.assert_allclose(d(x).numpy(), np.einsum("nhwc,cd->nhwd", x.numpy(), d.w.numpy()) + d.b.numpy(),
                               rtol=1e-5, atol=1e-5)
    assert d.macs((4, 4, 3)) == 16 * 3 * 5  # a 1x1 convolution's count


def test_block_drop_path_only_in_training():
    block = ConvNeXtBlock(8, drop_path=0.5, layer_scale=1.0)
    x = tf.random.stateless_normal((16, 4, 4, 8), (3, 4))
    np.testing.assert_array_equal(block(x).numpy(), block(x).numpy())  # inference: deterministic
    init.set_seed(0)
    dropped = np.all(block(x, training=True).numpy() == x.numpy(), axis=(1, 2, 3))
    assert 0 < dropped.sum() < 16  # some examples skip the branch, not all


def test_counts_and_options():
    with init.zeros_only():
        assert convnets.create_model("convnext_tiny").trainable_params == 28_589_128
        mini = convnets.create_model("convnext_mini", input_shape=(28, 28, 1))
        assert mini.feature_shape((28, 28, 1)) == (3, 3, 128)
        no_scale = convnets.create_model("convnext_mini", layer_scale=0)
        assert no_scale.feature_shape((32, 32, 3)) == (4, 4, 128)
    assert mini.trainable_params == 505_386 - 2 * (2 * 2 * 32)  # a 1-channel stem: two input channels fewer
    assert no_scale.trainable_params == 505_386 - 32 - 64 - 3 * 128
    with pytest.raises(ConfigError, match="drop_path must be in"):
        convnets.create_model("convnext_mini", drop_path=1.0)
    with pytest.raises(ConfigError, match="RGB"):
        convnets.create_model("convnext_mini", input_shape=(28, 28, 1), include_preprocessing=True)
    with pytest.raises(ConfigError, match="one width per stage"):
        ConvNeXt((8, 16), (1,), input_shape=(32, 32, 3))
    with init.zeros_only():  # kernel_size: every block's depthwise kernel, 7x7 by default (Sec. 2.5)
        five = ConvNeXt((8, 16), (1, 2), input_shape=(32, 32, 3), patch=2, kernel_size=5)
        seven = ConvNeXt((8, 16), (1, 2), input_shape=(32, 32, 3), patch=2)
    assert {b.dwconv.kernel_size for b in five.stages if isinstance(b, ConvNeXtBlock)} == {(5, 5)}
    assert seven.trainable_params - five.trainable_params == (49 - 25) * (8 + 2 * 16)


keras = pytest.importorskip("keras")


@pytest.mark.parametrize("kwargs", [{}, {"include_top": False, "pooling": None}])
def test_matches_keras_with_its_normalisation_front(kwargs):
    """Keras's ConvNeXtTiny (its ImageNet-normalising front included, pixels 0..255) with every weight
    randomised, layer scales and LayerNorms too: the same outputs, the same count."""
    from test_keras_equivalence import randomise

    ref = keras.applications.ConvNeXtTiny(weights=None, input_shape=(64, 64, 3), classifier_activation=None,
                                          **kwargs)
    randomise(ref, 3)
    ours = convnets.from_keras(ref)
    assert ours.config["name"] == "convnext_tiny"
    assert ours.total_params == ref.count_params()
    x = np.random.default_rng(1).uniform(0, 255, (2, 64, 64, 3)).astype(np.float32)
    expected = np.asarray(ref(x, training=False))
    got = ours(x).numpy()
    assert got.shape == expected.shape
    scale = np.abs(expected).max()
    assert scale > 1e-2
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)


def test_matches_torchvision():
    """torchvision's convnext_tiny with randomised weights (layer scales, LayerNorms): its layer scale
    comes first in the state dict and is paired after its block's layers."""
    pytest.importorskip("torch")
    import torch

    from convnets.torch_port import from_torch, identify, import_torchvision

    tv = import_torchvision()
    torch.manual_seed(0)
    ref = tv.models.convnext_tiny(weights=None).eval()
    with torch.no_grad():
        for name, p in ref.named_parameters():
            if name.endswith("layer_scale"):
                p.uniform_(0.2, 0.6)
            elif p.ndim == 1 and "block.2" in name or name.endswith(("0.1.weight", "classifier.0.weight")):
                p.uniform_(0.5, 1.5)
            elif p.ndim == 1:
                p.normal_(0, 0.1)
    assert identify(ref) == "convnext_tiny"
    ours = from_torch(ref, input_shape=(64, 64, 3))
    assert ours.trainable_params == sum(p.numel() for p in ref.parameters())
    x = np.random.default_rng(2).normal(size=(2, 64, 64, 3)).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy()
    got = ours(x).numpy()
    scale = np.abs(expected).max()
    assert scale > 1e-2
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)
