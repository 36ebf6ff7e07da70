"""The architecture zoo: exact parameter counts, MACs against the papers, every
model runs, every mini learns."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets.layers import init
from convnets.optim import Adam
from convnets.train.losses import cross_entropy

# (trainable, total) at the default input and 1000 classes; sources in REFERENCE.md:
# Keras Applications (total) and torchvision / the papers (trainable).
FULL_COUNTS = {
    "alexnet": (60_965_224, 60_965_224),
    "vgg11": (132_863_336, 132_863_336),
    "vgg13": (133_047_848, 133_047_848),
    "vgg16": (138_357_544, 138_357_544),
    "vgg19": (143_667_240, 143_667_240),
    "vgg11_bn": (132_868_840, 132_874_344),
    "vgg13_bn": (133_053_736, 133_059_624),
    "vgg16_bn": (138_365_992, 138_374_440),
    "vgg19_bn": (143_678_248, 143_689_256),
    "resnet18": (11_689_512, 11_699_112),
    "resnet34": (21_797_672, 21_814_696),
    "resnet50": (25_557_032, 25_610_152),
    "resnet101": (44_549_160, 44_654_504),
    "resnet152": (60_192_808, 60_344_232),
    "densenet121": (7_978_856, 8_062_504),
    "densenet169": (14_149_480, 14_307_880),
    "densenet201": (20_013_928, 20_242_984),
    "mobilenet_v1": (4_231_976, 4_253_864),
    "mobilenet_v2": (3_504_872, 3_538_984),
    "googlenet": (13_378_280, 13_378_280),  # 6,998,552 without the auxiliary heads
}
# The small-image networks of the papers themselves (10 classes, 32x32x3).
PAPER_SMALL_COUNTS = {
    "resnet20": (269_722, 271_098), "resnet32": (464_154, 466_426), "resnet44": (658_586, 661_754),
    "resnet56": (853_018, 857_082), "resnet110": (1_727_962, 1_736_058),
    "densenet_bc100": (769_162, 793_150), "nin": (966_986, 966_986),
}


def counted(name: str, **kw):
    with init.zeros_only():
        return convnets.create_model(name, **kw)


@pytest.mark.parametrize("name", sorted({**FULL_COUNTS, **PAPER_SMALL_COUNTS}))
def test_exact_parameter_counts(name):
    m = counted(name)
    assert (m.trainable_params, m.total_params) == {**FULL_COUNTS, **PAPER_SMALL_COUNTS}[name]


def test_variants_counts():
    assert counted("alexnet", groups=1).trainable_params == 62_378_344  # one tower
    assert counted("googlenet").main_params == 6_998_552  # Table 1 without aux heads
    assert counted("resnet50", conv_bias=True).trainable_params == 25_583_592  # Keras
    assert counted("resnet50", conv_bias=True).total_params == 25_636_712
    totals = {a: counted("mobilenet_v1", alpha=a).total_params for a in (0.75, 0.5, 0.25)}
    assert totals == {0.75: 2_601_976, 0.5: 1_342_536, 0.25: 475_544}


# Paper MACs (multiply-adds): ResNet Table 1, MobileNet Tables 6-7, MobileNetV2 Table 4,
# VGG via ResNet Sec. 4 ("15.3/19.6 billion FLOPs"), GoogLeNet Sec. 5 (1.5 billion).
PAPER_MACS = [
    ("resnet18", {}, 1.8e9, 0.03), ("resnet34", {}, 3.6e9, 0.03), ("resnet50", {}, 3.8e9, 0.03),
    ("resnet101", {}, 7.6e9, 0.03), ("resnet152", {}, 11.3e9, 0.03),
    ("vgg16", {}, 15.3e9, 0.03), ("vgg19", {}, 19.6e9, 0.03),
    ("mobilenet_v1", {}, 569e6, 0.03), ("mobilenet_v1", {"alpha": 0.75}, 325e6, 0.03),
    ("mobilenet_v1", {"alpha": 0.5}, 149e6, 0.03), ("mobilenet_v1", {"alpha": 0.25}, 41e6, 0.03),
    ("mobilenet_v1", {"input_shape": (192, 192, 3)}, 418e6, 0.03),
    ("mobilenet_v1", {"input_shape": (160, 160, 3)}, 290e6, 0.03),
    ("mobilenet_v1", {"input_shape": (128, 128, 3)}, 186e6, 0.03),
    ("mobilenet_v2", {}, 300e6, 0.03),
    # 1.583 G vs the paper's rounded "1.5 billion": explained in googlenet.py's docstring.
    ("googlenet", {}, 1.5e9, 0.06),
]


@pytest.mark.parametrize("name,kw,paper,tol", PAPER_MACS)
def test_macs_agree_with_papers(name, kw, paper, tol):
    macs = convnets.summarize(counted(name, **kw))["macs"]
    assert abs(macs - paper) / paper <= tol


def test_known_exact_macs():
    # torchvision's _ops (GMACs) and REFERENCE.md's computed replicas.
    exact = {"alexnet": 724.41e6, "vgg16": 15470.26e6, "densenet121": 2834.16e6, "resnet20": 40.55e6,
             "densenet_bc100": 287.93e6}
    for name, macs in exact.items():
        assert convnets.summarize(counted(name))["macs"] == pytest.approx(macs, rel=1e-4)  # 4 significant digits
    assert convnets.summarize(counted("resnet50", stride_in_1x1=False))["macs"] == pytest.approx(4.089e9, rel=1e-3)


FULL = [n for n in convnets.list_models() if convnets.model_info(n).input_shape[0] >= 224]
MINIS = [n for n in convnets.list_models() if n.endswith("_mini") or n == "resnet20"]


@pytest.mark.parametrize("name", FULL)
def test_full_models_forward_at_batch_1(name):
    m = counted(name)
    y = m(tf.zeros((1, *m.input_shape)), training=False)
    assert y.shape == (1, 1000)


SMALL = [n for n in convnets.list_models() if convnets.model_info(n).input_shape[0] <= 32 and not n.startswith("lenet")]


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
