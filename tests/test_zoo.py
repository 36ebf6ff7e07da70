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


# The CIFAR-sized full models built from other blocks than their family's mini (NiN's full widths,
# pre-activation bottlenecks, DenseNet-BC); the minis' gradients are checked as they learn, below.
# ResNet-32 to -110 are ResNet-20's blocks, deeper; the wide and ResNeXt-29 nets take minutes here.
# The registry-wide test builds and runs every model once.
SMALL = ["nin", "preact_resnet164", "densenet_bc100"]


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
    """A mini takes 28x28 grey input, starts near ln(10), every trainable variable gets a finite
    gradient, tf.function computes what eager does, and its loss falls at once and keeps falling
    until it has memorised the batch."""
    init.set_seed(0)
    m = convnets.create_model(name, input_shape=(28, 28, 1))
    x, y = digit_batch
    out = m(x, training=True)  # batch statistics: the moving averages are untrained
    first = float(cross_entropy(y, out[0] if isinstance(out, tuple) else out))
    # Near ln(10) = 2.30 at initialisation; training-mode dropout (x2 on kept units) may inflate it.
    assert 0.5 * math.log(10) < first < 2 * math.log(10)
    eager = m(x).numpy()
    # Untrained deep nets in inference mode can give logits in the thousands: float32 rounding is
    # relative to that scale.
    np.testing.assert_allclose(tf.function(lambda t: m(t))(x).numpy(), eager, rtol=1e-5,
                               atol=1e-5 * np.abs(eager).max() + 1e-5)
    opt = Adam(3e-3)
    opt.build(m.trainable_variables)  # slots made eagerly, as the trainer does: tf.function then traces once
    missing: list[str] = []  # filled while tracing: variables the loss does not reach
    step = tf.function(lambda: _apply(m, opt, x, y, missing))
    losses, finite = zip(*[(float(loss), bool(ok)) for loss, ok in (step() for _ in range(80))])
    assert not missing and all(finite)
    assert min(losses[1:6]) < losses[0]  # the loss falls within a few steps
    assert np.mean(losses[-5:]) < 0.3 * losses[0]
    out = m(x, training=True)
    logits = out[0] if isinstance(out, tuple) else out
    assert np.mean(np.argmax(logits.numpy(), 1) == y.numpy()) >= 0.9


def _apply(m, opt, x, y, missing=None):
    """One Adam step; returns the loss and whether every gradient was finite (``missing`` gets the names of
    variables without a gradient)."""
    with tf.GradientTape() as tape:
        loss = _loss(m, x, y)
    grads = tape.gradient(loss, m.trainable_variables)
    if missing is not None:
        missing.extend(v.name for v, g in zip(m.trainable_variables, grads) if g is None)
    finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads if g is not None])
    opt.apply(grads, m.trainable_variables)
    return loss, finite
