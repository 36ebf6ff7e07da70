"""LeNet-5: the paper's per-layer counts, and equivalence of the modern form with Keras."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets.models.lenet import C3_TABLE

# Sec. II-B of LeCun et al. 1998.
PAPER_PARAMS = {"C1": 156, "S2": 12, "C3": 1516, "S4": 32, "C5": 48120, "F6": 10164}


def test_lenet5_per_layer_counts_match_the_paper():
    s = convnets.summarize(convnets.create_model("lenet5"))
    by_name = {r["name"]: r for r in s["layers"]}
    for name, params in PAPER_PARAMS.items():
        assert by_name[name]["params"] == params, name
    assert sum(PAPER_PARAMS.values()) == 60_000
    assert by_name["output"]["params"] == 850
    assert s["trainable_params"] == s["total_params"] == 60_850
    # Output sizes of Fig. 2.
    assert by_name["C1"]["output_shape"] == [28, 28, 6]
    assert by_name["S2"]["output_shape"] == [14, 14, 6]
    assert by_name["C3"]["output_shape"] == [10, 10, 16]
    assert by_name["S4"]["output_shape"] == [5, 5, 16]
    assert by_name["C5"]["output_shape"] == [1, 1, 120]
    # C3 connections (Sec. II-B): 151,600 = 10*10*(1,500 weights + 16 biases); MACs leave out the biases.
    assert by_name["C3"]["macs"] == 150_000


def test_c3_table_is_table_one():
    sizes = [len(t) for t in C3_TABLE]
    assert sizes == [3] * 6 + [4] * 9 + [6]
    # Every S2 map feeds exactly 10 C3 maps (read off Table I's rows).
    counts = np.bincount([i for t in C3_TABLE for i in t], minlength=6)
    assert counts.tolist() == [10] * 6


def test_lenet5_modern_counts():
    s = convnets.summarize(convnets.create_model("lenet5_modern"))
    assert s["trainable_params"] == 61_706
    assert s["macs"] == 416_520  # the common Keras replica (C1 "same" on 28x28), counted conv+dense
    assert s["input_shape"] == [28, 28, 1]


def test_lenet5_accepts_other_shapes_and_classes():
    m = convnets.create_model("lenet5", num_classes=3, input_shape=(36, 36, 3))
    assert m(tf.zeros((2, 36, 36, 3))).shape == (2, 3)
    assert m.F6.in_features == 2 * 2 * 120  # 36 -> C1 32 -> S2 16 -> C3 12 -> S4 6 -> C5 2


def keras_lenet5_modern():
    keras = pytest.importorskip("keras")
    L = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Conv2D(6, 5, padding="same", activation="relu"),
        L.MaxPooling2D(2),
        L.Conv2D(16, 5, activation="relu"),
        L.MaxPooling2D(2),
        L.Flatten(),
        L.Dense(120, activation="relu"),
        L.Dense(84, activation="relu"),
        L.Dense(10),
    ])


def test_lenet5_modern_equals_keras_with_copied_weights():
    ref = keras_lenet5_modern()
    assert ref.count_params() == 61_706
    ours = convnets.create_model("lenet5_modern")
    ours_layers = [ours.C1, ours.C3, ours.C5, ours.F6, ours.output]
    keras_layers = [l for l in ref.layers if l.weights]
    for mine, theirs in zip(ours_layers, keras_layers):
        w, b = theirs.get_weights()
        assert tuple(mine.w.shape) == w.shape
        mine.w.assign(w)
        mine.b.assign(b)
    x = np.random.default_rng(0).normal(size=(8, 28, 28, 1)).astype(np.float32)
    diff = np.max(np.abs(ours(tf.constant(x)).numpy() - ref(x).numpy()))
    assert diff < 1e-5


@pytest.mark.parametrize("name", convnets.list_models("lenet*"))
def test_forward_gradients_and_tf_function(name):
    m = convnets.create_model(name)
    x = tf.random.normal((2, *m.input_shape))
    with tf.GradientTape() as tape:
        y = m(x, training=True)
        loss = tf.reduce_sum(y**2)
    grads = tape.gradient(loss, m.trainable_variables)
    assert y.shape == (2, m.num_classes)
    assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in grads)
    np.testing.assert_allclose(tf.function(lambda t: m(t))(x).numpy(), m(x).numpy(), atol=1e-5)
