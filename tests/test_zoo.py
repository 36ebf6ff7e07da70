"""The architecture zoo beyond the registry's facts: variants' counts, gradients, every mini learns."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets.layers import init
from convnets.optim import Adam
from convnets.train.losses import cross_entropy


def counted(name: str, **kw):
    with init.zeros_only():
        return convnets.create_model(name, **kw)


def test_variants_counts():
    assert counted("alexnet", groups=1).trainable_params == 62_378_344  # one tower
    assert counted("googlenet").main_params == 6_998_552  # Table 1 without aux heads
    assert counted("resnet50", conv_bias=True).trainable_params == 25_583_592  # Keras
    assert counted("resnet50", conv_bias=True).total_params == 25_636_712
    totals = {a: counted("mobilenet_v1", alpha=a).total_params for a in (0.75, 0.5, 0.25)}
    assert totals == {0.75: 2_601_976, 0.5: 1_342_536, 0.25: 475_544}


def test_variant_macs():
    """MACs of builder options the registry does not record (torchvision's ResNet v1.5, 4.089 G; MobileNet's
    Tables 6-7 at other widths and resolutions)."""
    assert convnets.summarize(counted("resnet50", stride_in_1x1=False))["macs"] == pytest.approx(4.089e9, rel=1e-3)
    for kw, paper in (({"alpha": 0.75}, 325e6), ({"alpha": 0.5}, 149e6), ({"alpha": 0.25}, 41e6),
                      ({"input_shape": (192, 192, 3)}, 418e6), ({"input_shape": (160, 160, 3)}, 290e6),
                      ({"input_shape": (128, 128, 3)}, 186e6)):
        macs = convnets.summarize(counted("mobilenet_v1", **kw))["macs"]
        assert abs(macs - paper) / paper <= 0.03, kw


# The registry-wide test (tests/test_registry.py) builds every model once: counts, MACs, a forward pass.
MINIS = [n for n in convnets.list_models() if convnets.model_info(n).mini and not n.startswith("lenet")]


# Every mini, and the CIFAR-sized full models built from other blocks than their family's mini (NiN's
# full widths, pre-activation bottlenecks, DenseNet-BC). ResNet-32 to -110 are ResNet-20's blocks, deeper;
# the wide and ResNeXt-29 nets take minutes here. The registry-wide test builds and runs every model once.
SMALL = [*MINIS, "nin", "preact_resnet164", "densenet_bc100"]


@pytest.mark.parametrize("name", SMALL)
def test_small_models_gradients_and_tf_function(name):
    """Every trainable variable gets a finite gradient; tf.function computes what eager does."""
    m = convnets.create_model(name)
    x = tf.random.normal((2, *m.input_shape))
    with tf.GradientTape() as tape:
        loss = _loss(m, x, tf.constant([0, 1], tf.int64))
    grads = tape.gradient(loss, m.trainable_variables)
    missing = [v.name for v, g in zip(m.trainable_variables, grads) if g is None]
    assert not missing
    assert all(np.all(np.isfinite(g.numpy())) for g in grads)
    eager = m(x).numpy()
    # Untrained deep nets in inference mode give logits in the thousands: float32
    # rounding is relative to that scale.
    np.testing.assert_allclose(tf.function(lambda t: m(t))(x).numpy(), eager, rtol=1e-5,
                               atol=1e-5 * np.abs(eager).max() + 1e-5)


def _batch(shape, n=16, seed=0):
    rng = np.random.default_rng(seed)
    return tf.constant(rng.normal(size=(n, *shape)).astype(np.float32)), tf.constant(np.arange(n) % 10, tf.int64)


def _loss(model, x, y, training=True):
    out = model(x, training=training)
    if isinstance(out, tuple):  # GoogLeNet's aux heads, weighted 0.3
        logits, aux = out
        return cross_entropy(y, logits) + sum(0.3 * cross_entropy(y, a) for a in aux)
    return cross_entropy(y, out)


@pytest.fixture(scope="module")
def digit_batch():
    """16 real digits (scikit-learn's, bundled) at 28x28x1: a batch a mini can memorise."""
    from convnets.data import PreprocessSpec, load_dataset, preprocess

    ds = load_dataset("digits")
    spec = PreprocessSpec.for_dataset(ds, (28, 28, 1))
    return preprocess(ds.train.images[:16], spec), tf.constant(ds.train.labels[:16])


@pytest.mark.parametrize("name", MINIS)
def test_mini_learns_and_overfits_one_batch(name, digit_batch):
    """A mini takes 28x28 grey input, starts near ln(10), and its loss falls at
    once and keeps falling until it has memorised the batch."""
    init.set_seed(0)
    m = convnets.create_model(name, input_shape=(28, 28, 1))
    x, y = digit_batch
    out = m(x, training=True)  # batch statistics: the moving averages are untrained
    first = float(cross_entropy(y, out[0] if isinstance(out, tuple) else out))
    # Near ln(10) = 2.30 at initialisation; training-mode dropout (x2 on kept units) may inflate it.
    assert 0.5 * math.log(10) < first < 2 * math.log(10)
    opt = Adam(3e-3)
    opt.build(m.trainable_variables)  # slots made eagerly, as the trainer does: tf.function then traces once
    step = tf.function(lambda: _apply(m, opt, x, y))
    losses = [float(step()) for _ in range(80)]
    assert min(losses[1:6]) < losses[0]  # the loss falls within a few steps
    assert np.mean(losses[-5:]) < 0.3 * losses[0]
    out = m(x, training=True)
    logits = out[0] if isinstance(out, tuple) else out
    assert np.mean(np.argmax(logits.numpy(), 1) == y.numpy()) >= 0.9


def _apply(m, opt, x, y):
    with tf.GradientTape() as tape:
        loss = _loss(m, x, y)
    grads = tape.gradient(loss, m.trainable_variables)
    opt.apply(grads, m.trainable_variables)
    return loss


@pytest.mark.parametrize("name", ["vgg_mini", "resnet20", "alexnet_mini", "googlenet_mini", "densenet_mini", "mobilenet_v2_mini"])
def test_training_and_inference_modes_differ(name):
    """BatchNorm uses batch statistics and dropout is active only in training."""
    m = convnets.create_model(name)
    x, _ = _batch(m.input_shape, n=8)
    train_out = m(x, training=True)
    train_out = train_out[0] if isinstance(train_out, tuple) else train_out
    infer_a, infer_b = m(x, training=False).numpy(), m(x, training=False).numpy()
    np.testing.assert_array_equal(infer_a, infer_b)  # inference is deterministic
    assert np.abs(train_out.numpy() - infer_a).max() > 1e-4


def test_googlenet_aux_heads_only_in_training():
    m = convnets.create_model("googlenet_mini")
    x, _ = _batch(m.input_shape, n=2)
    logits, aux = m(x, training=True)
    assert logits.shape == (2, 10) and len(aux) == 2 and aux[0].shape == (2, 10)
    assert m(x, training=False).shape == (2, 10)


def test_option_a_shortcut_subsamples_and_zero_pads():
    """Sec. 3.3 option A: x[:, ::2, ::2] with the new channels zero, half on each side (odd sizes too)."""
    from convnets.models.resnet import ZeroPadShortcut

    x = np.random.default_rng(0).normal(size=(2, 7, 7, 4)).astype(np.float32)
    y = ZeroPadShortcut(4, 8, 2)(tf.constant(x)).numpy()
    ref = np.pad(x[:, ::2, ::2, :], ((0, 0), (0, 0), (0, 0), (2, 2)))
    np.testing.assert_array_equal(y, ref)
    assert ZeroPadShortcut(4, 8, 2).output_shape((7, 7, 4)) == y.shape[1:]


def test_plain_cifar_net_has_the_same_layers_without_shortcuts():
    """Fig. 6's plain-20: same parameters as ResNet-20 (option A shortcuts are free),
    but the output does not depend on the shortcut path."""
    from convnets.errors import ConfigError

    plain = convnets.create_model("resnet20", shortcut="none")
    res = convnets.create_model("resnet20")
    assert plain.trainable_params == res.trainable_params == 269_722
    for a, b in zip(plain.trainable_variables, res.trainable_variables):
        a.assign(b)
    x = tf.random.stateless_normal((2, 32, 32, 3), seed=(0, 1))
    assert float(tf.reduce_max(tf.abs(plain(x) - res(x)))) > 1e-3
    with pytest.raises(ConfigError, match="shortcut must be"):
        convnets.create_model("resnet20", shortcut="C")


def test_inception_v3_auxiliary_head_only_in_training():
    """aux_logits=True adds Fig. 8's head on the 17x17 stage (the mini's 6x6): (logits, [aux]) in training, logits
    otherwise, listed by training_only for summarize; without the top it is not built."""
    m = convnets.create_model("inception_v3_mini", input_shape=(28, 28, 1), aux_logits=True)
    x, _ = _batch(m.input_shape, n=2)
    logits, aux = m(x, training=True)
    assert logits.shape == (2, 10) and len(aux) == 1 and aux[0].shape == (2, 10)
    assert m(x, training=False).shape == (2, 10)
    s = convnets.summarize(m)
    assert s["training_only_params"] == m.aux.trainable_params == m.trainable_params - m.main_params > 0
    assert m.main_params == convnets.create_model("inception_v3_mini", input_shape=(28, 28, 1)).trainable_params
    assert convnets.create_model("inception_v3_mini", aux_logits=True, include_top=False).aux is None


def test_inception_resnet_v2_paper_layout():
    """layout="paper": Fig. 15 (the Inception-v4 stem to 35x35x384, 5/10/5 blocks, no conv_7b) ends in 2144 maps;
    32,417,496 parameters at any input (built at 75x75 here, zeros only); Keras's layout is the default."""
    paper, keras_layout = counted("inception_resnet_v2", layout="paper", input_shape=(75, 75, 3)), \
        counted("inception_resnet_v2", input_shape=(75, 75, 3))
    assert paper.num_features == 2144 and keras_layout.num_features == 1536
    assert paper.trainable_params == 32_417_496 and keras_layout.trainable_params == 55_813_192
    assert [b.name for b in paper.blocks].count("block8_5") == 1 and paper.conv_7b is None
    from convnets.errors import ConfigError

    with pytest.raises(ConfigError, match="layout must be one of keras, paper"):
        convnets.create_model("inception_resnet_v2", layout="Fig. 15")
