"""Single layers against NumPy / hand-computed references."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    GlobalAvgPool,
    LocalResponseNorm,
    MaxPool2D,
    PartialConv2D,
    Subsampling2D,
    init,
    record_layers,
)
from convnets.layers import padding as pad
from convnets.layers.base import Sequential


def conv_ref(x, w, stride=1, pads=(0, 0, 0, 0), groups=1):
    """Direct NumPy convolution, NHWC x HWIO, cross-correlation as in TF."""
    t, b, l, r = pads
    x = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
    n, h, wd, c = x.shape
    kh, kw, cin, cout = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, oh, ow, cout))
    per = cout // groups
    for o in range(cout):
        g = o // per
        xs = x[..., g * cin:(g + 1) * cin]
        for i in range(oh):
            for j in range(ow):
                patch = xs[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[:, i, j, o] = np.sum(patch * w[..., o], axis=(1, 2, 3))
    return out


@pytest.mark.parametrize("stride,padding,pads", [(1, "valid", (0, 0, 0, 0)), (1, 1, (1, 1, 1, 1)), (2, 1, (1, 1, 1, 1)),
                                                (2, ((0, 1), (2, 0)), (0, 1, 2, 0))])
def test_conv2d_matches_numpy(stride, padding, pads):
    x = np.random.default_rng(0).normal(size=(2, 7, 8, 3)).astype(np.float32)
    conv = Conv2D(3, 4, 3, stride=stride, padding=padding, name="c")
    y = conv(tf.constant(x)).numpy()
    ref = conv_ref(x, conv.w.numpy(), stride, pads) + conv.b.numpy()
    np.testing.assert_allclose(y, ref, atol=1e-5)
    assert y.shape[1:] == conv.output_shape((7, 8, 3))


def test_explicit_padding_never_reaches_tensorflow_as_explicit():
    """oneDNN leaves backward convolutions with padding="EXPLICIT" on Eigen (2x slower)."""
    x = tf.constant(np.random.default_rng(3).normal(size=(2, 9, 9, 4)).astype(np.float32))
    layers = [Conv2D(4, 4, 3, padding=1), Conv2D(4, 4, 3, stride=2, padding=1), Conv2D(4, 4, 7, padding=((3, 2), (3, 3))),
              Conv2D(4, 4, 3, padding=2, dilation=2), DepthwiseConv2D(4, 3, padding=1)]
    for layer in layers:
        graph = tf.function(layer).get_concrete_function(x).graph.as_graph_def()
        paddings = {n.attr["padding"].s for n in graph.node if "Conv" in n.op}
        assert paddings and b"EXPLICIT" not in paddings, (layer.name, paddings)
    # Stride 1, (k - 1) / 2 a side is "SAME"; anything else is tf.pad + "VALID".
    assert pad.conv_padding(((1, 1), (1, 1)), (3, 3), (1, 1), (1, 1)) == (None, "SAME")
    assert pad.conv_padding(((2, 2), (2, 2)), (3, 3), (1, 1), (2, 2)) == (None, "SAME")
    assert pad.conv_padding(((1, 1), (1, 1)), (3, 3), (2, 2), (1, 1))[1] == "VALID"
    assert pad.conv_padding(((0, 0), (0, 0)), (3, 3), (2, 2), (1, 1)) == (None, "VALID")


def test_conv2d_same_padding_shape_and_dilation():
    conv = Conv2D(3, 5, 3, stride=2, padding="same", dilation=1)
    assert conv.output_shape((7, 7, 3)) == (4, 4, 5)
    assert conv(tf.zeros((1, 7, 7, 3))).shape == (1, 4, 4, 5)
    dil = Conv2D(3, 5, 3, dilation=2)
    assert dil.output_shape((9, 9, 3)) == (5, 5, 5)
    assert dil(tf.zeros((1, 9, 9, 3))).shape == (1, 5, 5, 5)


def test_grouped_conv_is_independent_convs_and_counts():
    x = np.random.default_rng(1).normal(size=(1, 6, 6, 4)).astype(np.float32)
    conv = Conv2D(4, 6, 3, groups=2, use_bias=False)
    assert conv.trainable_params == 3 * 3 * 2 * 6  # in/groups per output
    np.testing.assert_allclose(conv(tf.constant(x)).numpy(), conv_ref(x, conv.w.numpy(), groups=2), atol=1e-5)
    assert conv.macs((6, 6, 4)) == 4 * 4 * 6 * 9 * 2
    with pytest.raises(ConfigError, match="divisible"):
        Conv2D(3, 6, 3, groups=2)


def test_native_grouped_conv_matches_the_sliced_one_with_gradients(monkeypatch):
    """oneDNN runs a grouped convolution as one kernel; without it (Eigen) the layer slices the
    channels: the same outputs and gradients, in a compiled step as the trainer runs it."""
    from convnets.layers import conv as conv_module

    x = tf.constant(np.random.default_rng(3).normal(size=(2, 7, 7, 8)).astype(np.float32))
    conv = Conv2D(8, 12, 3, stride=2, padding=1, groups=4)

    def outputs_and_grads():
        @tf.function
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = conv(x)
                loss = tf.reduce_sum(y * y)
            return y, *tape.gradient(loss, [x, conv.w, conv.b])
        return [t.numpy() for t in step(x)]

    if not conv_module.native_grouped_conv():
        pytest.skip("no oneDNN or GPU here: only the sliced form runs")
    results = {}
    for native in (True, False):
        monkeypatch.setattr(conv_module, "native_grouped_conv", lambda native=native: native)
        results[native] = outputs_and_grads()
    for a, b in zip(results[True], results[False]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    assert results[True][0].shape == (2, 4, 4, 12)


def test_depthwise_matches_per_channel_conv():
    x = np.random.default_rng(2).normal(size=(1, 5, 5, 3)).astype(np.float32)
    dw = DepthwiseConv2D(3, 3, padding="valid")
    y = dw(tf.constant(x)).numpy()
    for c in range(3):
        ref = conv_ref(x[..., c:c + 1], dw.w.numpy()[:, :, c:c + 1, :])
        np.testing.assert_allclose(y[..., c:c + 1], ref, atol=1e-5)
    assert dw.trainable_params == 27
    assert dw.macs((5, 5, 3)) == 3 * 3 * 3 * 9


@pytest.mark.parametrize("kernel,hw,reached", [(7, (3, 3), (5, 5)), (7, (1, 1), (1, 1)), (7, (2, 5), (3, 7)),
                                                 ((7, 3), (2, 3), (3, 3)), (7, (7, 7), (7, 7))])
def test_depthwise_same_kernel_larger_than_the_map_uses_only_the_taps_it_reaches(kernel, hw, reached):
    """A 7x7 "same" kernel on a 3x3 map (ConvNeXt's mini at 28x28) runs as its central 5x5: the taps
    out of reach only ever meet padding, so outputs and gradients equal the full kernel's."""
    rng = np.random.default_rng(5)
    dw = DepthwiseConv2D(4, kernel, 1, "same", use_bias=True)
    dw.b.assign(rng.normal(size=4).astype(np.float32))
    x = tf.constant(rng.normal(size=(2, *hw, 4)).astype(np.float32))
    assert tuple(dw._reachable(dw.w, *hw).shape[:2]) == reached

    def loss_and_grads(forward):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = forward(x)
            loss = tf.reduce_sum(y * y)
        return [y, *tape.gradient(loss, [x, dw.w, dw.b])]

    ours = loss_and_grads(dw)
    full = loss_and_grads(lambda x: tf.nn.bias_add(tf.nn.depthwise_conv2d(x, dw.w, (1, 1, 1, 1), "SAME"), dw.b))
    for a, b in zip(ours, full):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)
    assert dw.macs((*hw, 4)) == hw[0] * hw[1] * 4 * dw.kernel_size[0] * dw.kernel_size[1]  # the paper's count


def test_depthwise_convbn_keeps_its_channels():
    """A depthwise ConvBN has one filter per channel: out_channels other than in_channels is an error
    naming the layer, not a BatchNorm of the wrong width that fails at the first call."""
    from convnets.layers import ConvBN

    ok = ConvBN(8, 8, 3, depthwise=True, name="dw")
    assert ok.output_shape((6, 6, 8)) == (6, 6, 8) and ok.trainable_params == 3 * 3 * 8 + 2 * 8
    with pytest.raises(ConfigError, match=r"block_3_depthwise: .*out_channels must equal in_channels \(8\), got 16"):
        ConvBN(8, 16, 3, depthwise=True, name="block_3_depthwise")


def test_dense_and_flatten():
    d = Dense(12, 5)
    x = np.random.default_rng(3).normal(size=(4, 12)).astype(np.float32)
    np.testing.assert_allclose(d(tf.constant(x)).numpy(), x @ d.w.numpy() + d.b.numpy(), atol=1e-5)
    assert d.trainable_params == 65 and d.macs((12,)) == 60
    assert Flatten()(tf.zeros((2, 3, 4, 5))).shape == (2, 60)


def test_batchnorm_training_and_inference():
    bn = BatchNorm(3, momentum=0.9, epsilon=1e-5)
    x = tf.constant(np.random.default_rng(4).normal(2.0, 3.0, size=(64, 4, 4, 3)).astype(np.float32))
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=(0, 1, 2)), 1.0, atol=1e-3)
    mean = x.numpy().mean(axis=(0, 1, 2))
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-5)
    # Inference uses the moving statistics, not the batch's.
    y_inf = bn(x, training=False).numpy()
    ref = (x.numpy() - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-5)
    np.testing.assert_allclose(y_inf, ref, atol=1e-4)
    assert bn.trainable_params == 6 and bn.total_params == 12


@pytest.mark.parametrize("dtype", [tf.float32, tf.float16, tf.bfloat16])
def test_fused_batchnorm_equals_the_step_by_step_form(dtype):
    """Same outputs, gradients and moving statistics, training and inference (and under mixed precision)."""
    x = tf.constant(np.random.default_rng(6).normal(1.0, 2.0, size=(8, 5, 5, 4)).astype(np.float32))
    x = tf.cast(x, dtype)
    fused, plain = BatchNorm(4, epsilon=1e-3), BatchNorm(4, epsilon=1e-3, fused=False)
    for bn in (fused, plain):
        bn.gamma.assign([0.5, 1.0, 1.5, 2.0])
        bn.beta.assign([0.1, -0.2, 0.3, 0.0])
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == tf.float32 else dict(rtol=3e-2, atol=5e-2)
    weights = tf.constant(np.random.default_rng(7).normal(size=(8, 5, 5, 4)).astype(np.float32))
    outs, grads = [], []
    for bn in (fused, plain):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = bn(x, training=True)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) * weights)
        assert y.dtype == dtype
        outs.append(tf.cast(y, tf.float32).numpy())
        grads.append([tf.cast(g, tf.float32).numpy() for g in tape.gradient(loss, [x, bn.gamma, bn.beta])])
    np.testing.assert_allclose(outs[0], outs[1], **tol)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, **tol)
    np.testing.assert_allclose(fused.moving_mean.numpy(), plain.moving_mean.numpy(), **tol)
    np.testing.assert_allclose(fused.moving_variance.numpy(), plain.moving_variance.numpy(), **tol)
    np.testing.assert_allclose(tf.cast(fused(x), tf.float32).numpy(), tf.cast(plain(x), tf.float32).numpy(), **tol)


def test_local_response_norm_formula():
    x = np.random.default_rng(5).normal(size=(1, 2, 2, 7)).astype(np.float32)
    lrn = LocalResponseNorm(size=5, k=2.0, alpha=1e-2, beta=0.75)
    y = lrn(tf.constant(x)).numpy()
    ref = np.empty_like(x)
    for c in range(7):
        lo, hi = max(0, c - 2), min(7, c + 3)
        ref[..., c] = x[..., c] / (2.0 + 1e-2 * np.sum(x[..., lo:hi] ** 2, axis=-1)) ** 0.75
    np.testing.assert_allclose(y, ref, rtol=1e-5)
    # Under mixed_bfloat16 (TensorFlow's CPU LRN kernel has no bfloat16): the same, in bfloat16, with a gradient.
    xb = tf.cast(tf.constant(x), tf.bfloat16)
    with tf.GradientTape() as tape:
        tape.watch(xb)
        yb = lrn(xb)
    assert yb.dtype == tf.bfloat16 and tape.gradient(yb, xb).dtype == tf.bfloat16
    np.testing.assert_allclose(tf.cast(yb, tf.float32).numpy(), ref, rtol=2e-2, atol=1e-2)


def test_pools():
    x = tf.reshape(tf.range(16, dtype=tf.float32), (1, 4, 4, 1))
    assert MaxPool2D(2)(x).numpy().ravel().tolist() == [5, 7, 13, 15]
    assert AvgPool2D(2)(x).numpy().ravel().tolist() == [2.5, 4.5, 10.5, 12.5]
    assert MaxPool2D(3, 2).output_shape((55, 55, 96)) == (27, 27, 96)  # AlexNet's overlapping pool
    assert MaxPool2D(3, 2, padding=1)(x).shape == (1, 2, 2, 1)
    assert GlobalAvgPool()(x).numpy().tolist() == [[7.5]]
    # Padding never wins the max, on either path (stride 1 runs as "SAME", stride 2 pads -inf).
    neg = -1.0 - tf.random.stateless_uniform((2, 5, 5, 3), (1, 2))
    for stride in (1, 2):
        y = MaxPool2D(3, stride, padding=1)(neg).numpy()
        p = np.pad(neg.numpy(), ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
        ref = np.stack([np.stack([p[:, i:i + 3, j:j + 3].max(axis=(1, 2)) for j in range(0, 5, stride)], 1)
                        for i in range(0, 5, stride)], 1)
        np.testing.assert_array_equal(y, ref)


def test_subsampling_sums_times_coefficient_plus_bias():
    s = Subsampling2D(1)
    s.coefficient.assign([0.5])
    s.b.assign([1.0])
    x = tf.reshape(tf.range(16, dtype=tf.float32), (1, 4, 4, 1))
    # top-left window 0+1+4+5 = 10 -> 0.5*10 + 1
    assert s(x).numpy()[0, 0, 0, 0] == pytest.approx(6.0)
    assert s.trainable_params == 2


def test_partial_conv_connects_only_the_table():
    table = [(0,), (0, 1), (1, 2)]
    pc = PartialConv2D(3, table, kernel_size=3)
    assert pc.trainable_params == 9 * (1 + 2 + 2) + 3
    k = pc.dense_kernel().numpy()
    for j, inputs in enumerate(table):
        for c in range(3):
            assert np.any(k[:, :, c, j] != 0) == (c in inputs)
    x = np.random.default_rng(6).normal(size=(1, 5, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(pc(tf.constant(x)).numpy(), conv_ref(x, k) + pc.b.numpy(), atol=1e-5)


def test_dropout_only_in_training():
    d = Dropout(0.5)
    x = tf.ones((1000,))
    assert np.array_equal(d(x, training=False).numpy(), x.numpy())
    y = d(x, training=True).numpy()
    assert 0.4 < (y == 0).mean() < 0.6
    assert set(np.unique(y)) <= {0.0, 2.0}
    with pytest.raises(ConfigError):
        Dropout(1.0)


@pytest.mark.parametrize("name,expected_std", [("he_normal", np.sqrt(2 / 100)), ("glorot_uniform", np.sqrt(2 / 200)),
                                               ("lecun_normal", np.sqrt(1 / 100))])
def test_initialisers_have_the_papers_variance(name, expected_std):
    w = init.get(name)((100, 100), 100, 100).numpy()
    assert w.std() == pytest.approx(expected_std, rel=0.05)
    assert abs(w.mean()) < 0.01


def test_seeded_initialisation_is_reproducible():
    init.set_seed(7)
    a = Conv2D(3, 4, 3).w.numpy()
    init.set_seed(7)
    b = Conv2D(3, 4, 3).w.numpy()
    np.testing.assert_array_equal(a, b)


def test_tf_function_equals_eager_and_recorder():
    net = Sequential([Conv2D(1, 2, 3, name="c"), MaxPool2D(2, name="p"), Flatten(name="f"), Dense(8, 3, name="d")], name="net")
    x = tf.random.normal((2, 6, 6, 1))
    np.testing.assert_allclose(tf.function(net)(x).numpy(), net(x).numpy(), atol=1e-6)
    rows = record_layers(net, (6, 6, 1))
    assert [r["name"] for r in rows] == ["c", "p", "f", "d"]
    assert rows[0]["macs"] == 4 * 4 * 2 * 9 and rows[3]["params"] == 27


# --- SeparableConv2D (Xception): depthwise then pointwise, one layer -------------------------------------

@pytest.mark.parametrize("stride,padding,multiplier,bias", [(1, "same", 1, False), (2, "valid", 2, True), (2, "same", 1, True)])
def test_separable_conv_is_depthwise_then_pointwise(stride, padding, multiplier, bias):
    """NumPy: a k x k filter per input channel (times the multiplier), then a 1x1 convolution, no bias in between."""
    from convnets.layers import SeparableConv2D

    x = np.random.default_rng(5).normal(size=(2, 7, 8, 3)).astype(np.float32)
    sep = SeparableConv2D(3, 5, 3, stride=stride, padding=padding, depth_multiplier=multiplier, use_bias=bias)
    y = sep(tf.constant(x)).numpy()
    dw, pw = sep.depthwise_kernel.numpy(), sep.pointwise_kernel.numpy()
    assert dw.shape == (3, 3, 3, multiplier) and pw.shape == (1, 1, 3 * multiplier, 5)
    oh, ow, _ = sep.output_shape((7, 8, 3))
    pads = (0, 0, 0, 0)
    if padding == "same":  # TensorFlow's rule: total (out - 1) * s + k - in, the extra pixel at the bottom/right
        th, tw = max((oh - 1) * stride + 3 - 7, 0), max((ow - 1) * stride + 3 - 8, 0)
        pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    # Keras's depthwise output channel c * multiplier + m is input channel c's m-th filter.
    mid = np.concatenate([conv_ref(x[..., c:c + 1], dw[:, :, c:c + 1, :], stride, pads) for c in range(3)], axis=-1)
    ref = mid @ pw[0, 0] + (sep.b.numpy() if bias else 0)
    np.testing.assert_allclose(y, ref, atol=1e-4)
    assert y.shape[1:] == (oh, ow, 5)
    assert sep.trainable_params == 9 * 3 * multiplier + 3 * multiplier * 5 + (5 if bias else 0)
    assert sep.macs((7, 8, 3)) == oh * ow * (3 * multiplier * 9 + 3 * multiplier * 5)  # depthwise + pointwise


def test_separable_conv_equals_kerass():
    """The same weights in Keras's SeparableConv2D give the same output (stride 2, 'same', a bias)."""
    keras = pytest.importorskip("keras")
    from convnets.layers import SeparableConv2D

    x = np.random.default_rng(6).normal(size=(2, 9, 9, 4)).astype(np.float32)
    ours = SeparableConv2D(4, 6, 3, stride=2, padding="same", depth_multiplier=2)
    ours.b.assign(np.random.default_rng(7).normal(size=6).astype(np.float32))
    ref = keras.layers.SeparableConv2D(6, 3, strides=2, padding="same", depth_multiplier=2)
    ref.build(x.shape)
    ref.set_weights([ours.depthwise_kernel.numpy(), ours.pointwise_kernel.numpy(), ours.b.numpy()])
    np.testing.assert_allclose(ours(tf.constant(x)).numpy(), np.asarray(ref(x)), atol=1e-5)
    assert ours.trainable_params == ref.count_params()
    with pytest.raises(ConfigError, match="expected 4 input channels, got 3"):
        ours.output_shape((9, 9, 3))


def test_the_2017_2022_activations_against_their_definitions():
    """hard_sigmoid/hard_swish (MobileNet v3, Sec. 5.2) as Keras computes them; swish; the exact (erf) GELU."""
    import math

    import keras

    from convnets.layers.activations import gelu, hard_sigmoid, hard_swish, swish

    x = np.linspace(-6, 6, 49).astype(np.float32)
    np.testing.assert_allclose(hard_sigmoid(x).numpy(), np.clip(x + 3, 0, 6) / 6, atol=1e-7)
    np.testing.assert_allclose(hard_swish(x).numpy(), np.asarray(keras.activations.hard_swish(x)), atol=1e-6)
    np.testing.assert_allclose(swish(x).numpy(), x / (1 + np.exp(-x)), rtol=1e-5, atol=1e-7)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(gelu(x).numpy(), 0.5 * x * (1 + erf(x / math.sqrt(2))), rtol=1e-5, atol=1e-6)


def test_gelu_gradient_written_out_equals_autodiffs():
    """``gelu`` writes its backward out (for speed); it must equal autodiff through ``tf.nn.gelu``, in eager
    and compiled code, and in float16 as mixed precision runs it."""
    from convnets.layers.activations import gelu

    x = tf.constant(np.linspace(-6, 6, 97), tf.float32)
    dy = tf.constant(np.random.default_rng(0).normal(size=97), tf.float32)

    def grads(f):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return y, tape.gradient(y, x, output_gradients=dy)

    ref_y, ref_dx = grads(lambda t: tf.nn.gelu(t, approximate=False))
    for y, dx in (grads(gelu), tf.function(lambda: grads(gelu))()):
        np.testing.assert_allclose(y.numpy(), ref_y.numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(dx.numpy(), ref_dx.numpy(), rtol=1e-5, atol=1e-6)
    x16 = tf.cast(x, tf.float16)
    with tf.GradientTape() as tape:
        tape.watch(x16)
        y16 = gelu(x16)
    dx16 = tape.gradient(y16, x16, output_gradients=tf.cast(dy, tf.float16))
    assert dx16.dtype == tf.float16
    np.testing.assert_allclose(dx16.numpy(), ref_dx.numpy(), rtol=1e-2, atol=1e-2)


def test_drop_path_drops_whole_examples_in_training_only():
    from convnets.layers import DropPath, init

    init.set_seed(0)
    layer = DropPath(0.25)
    x = tf.ones((512, 3, 3, 4))
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())  # inference: the branch always counts
    y = layer(x, training=True).numpy()
    per_example = y.reshape(512, -1)
    assert set(np.unique(per_example).tolist()) <= {0.0, np.float32(1 / 0.75).item()}
    assert (per_example.min(axis=1) == per_example.max(axis=1)).all()  # all or nothing, per example
    assert 0.15 < (per_example[:, 0] == 0).mean() < 0.35 and abs(y.mean() - 1.0) < 0.1


def test_rescaling_and_normalization_fronts():
    from convnets.layers import Normalization, Rescaling

    x = np.array([[[[0.0, 127.5, 255.0]]]], np.float32)
    np.testing.assert_allclose(Rescaling(1 / 127.5, -1.0)(tf.constant(x)).numpy(), [[[[-1.0, 0.0, 1.0]]]], atol=1e-6)
    norm = Normalization(3, mean=[0.5, 0.4, 0.3], variance=[0.04, 0.09, 0.16])
    np.testing.assert_allclose(norm(tf.constant(x / 255)).numpy().ravel(), [(0 - 0.5) / 0.2, (0.5 - 0.4) / 0.3, (1 - 0.3) / 0.4],
                               rtol=1e-5)
    assert norm.trainable_params == 0 and norm.total_params == 7  # mean, variance, count: Keras's seven values
