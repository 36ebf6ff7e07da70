"""Optimisers against their update formulas, and schedules."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from convnets.errors import ConfigError
from convnets.optim import SGD, Adam, AdamW, RMSProp, make_optimizer, make_schedule


def run(opt, grads, w0=1.0):
    v = tf.Variable([w0])
    out = []
    for g in grads:
        opt.apply([tf.constant([g])], [v])
        out.append(float(v.numpy()[0]))
    return out


def test_sgd_plain_momentum_nesterov_and_decay():
    assert run(SGD(0.1), [1.0, 1.0]) == pytest.approx([0.9, 0.8])
    # m1 = 1, w = 1 - .1; m2 = .9 + 1 = 1.9, w = .9 - .19
    assert run(SGD(0.1, momentum=0.9), [1.0, 1.0]) == pytest.approx([0.9, 0.71])
    # nesterov: step = g + mu*m: 1 + .9*1 = 1.9 -> .81; m2 = 1.9, step = 1 + 1.71 = 2.71 -> .539
    assert run(SGD(0.1, momentum=0.9, nesterov=True), [1.0, 1.0]) == pytest.approx([0.81, 0.539])
    assert run(SGD(0.1, weight_decay=0.5), [0.0]) == pytest.approx([0.95])


def test_adam_matches_formula_and_keras():
    keras = pytest.importorskip("keras")
    grads = [0.5, -1.0, 2.0, 0.1]
    ours = run(Adam(0.01), grads)
    v = tf.Variable([1.0])
    ref = keras.optimizers.Adam(0.01, epsilon=1e-7)
    theirs = []
    for g in grads:
        ref.apply_gradients([(tf.constant([g]), v)])
        theirs.append(float(v.numpy()[0]))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_adamw_decay_is_decoupled():
    # Zero gradient: Adam leaves w alone, AdamW shrinks it by lr*wd.
    assert run(Adam(0.1), [0.0]) == pytest.approx([1.0])
    assert run(AdamW(0.1, weight_decay=0.5), [0.0]) == pytest.approx([0.95])


def test_rmsprop_formula():
    # s = 0.1 * 4 = 0.4; w = 1 - 0.01 * 2 / sqrt(0.4 + eps)
    assert run(RMSProp(0.01), [2.0]) == pytest.approx([1 - 0.02 / np.sqrt(0.4)], rel=1e-6)


def test_optimizer_skips_none_gradients_and_counts_steps():
    opt = SGD(0.1, momentum=0.9)
    a, b = tf.Variable([1.0]), tf.Variable([1.0])
    opt.apply([tf.constant([1.0]), None], [a, b])
    assert b.numpy()[0] == 1.0 and int(opt.iterations.numpy()) == 1


def test_schedules():
    cos = make_schedule("cosine", 1.0, total_steps=100, steps_per_epoch=10)
    assert float(cos(0)) == pytest.approx(1.0) and float(cos(50)) == pytest.approx(0.5) and float(cos(100)) == pytest.approx(0.0, abs=1e-6)
    step = make_schedule("step", 1.0, 100, 10, step_epochs=[3, 6], factor=0.1)
    assert [round(float(step(s)), 6) for s in (0, 29, 30, 59, 60)] == [1.0, 1.0, 0.1, 0.1, 0.01]
    warm = make_schedule("constant", 1.0, 100, 10, warmup_epochs=1)
    assert float(warm(0)) == pytest.approx(0.1) and float(warm(9)) == pytest.approx(1.0)
    with pytest.raises(ConfigError):
        make_schedule("exp", 1.0, 10, 1)
    with pytest.raises(ConfigError):
        make_optimizer("lion", make_schedule("constant", 1.0, 1, 1))
