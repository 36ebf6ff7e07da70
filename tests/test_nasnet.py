"""NASNet-A: the searched cells run from their tables, Keras's NASNetMobile ported with ``from_keras`` (the
same outputs with every weight and BatchNorm statistic randomised), Large's ``skip_reduction`` wiring checked on
a small Keras ``NASNet``. The Model surface (include_top/pooling) of Mobile and the mini is in
tests/test_model_surface_e.py.

NASNetLarge (88.9M parameters, 23.8 G MACs at 331) is built once, by the registry-wide test
(tests/test_registry.py), which checks its counts and MACs; nothing here builds it again.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets import keras_port
from convnets.errors import ConfigError
from convnets.layers import init
from convnets.models.nasnet import NASNET_MINI, NORMAL_A, REDUCTION_A, CellSpec, NASNet, NASNetConfig, Op

keras = pytest.importorskip("keras")


def randomise(model, seed: int) -> None:
    """Every weight of a Keras model random (BatchNorm statistics included), as tests/test_keras_equivalence.py."""
    from test_keras_equivalence import randomise as _randomise

    _randomise(model, seed)


def _relative_difference(ours, ref, seed: int) -> float:
    x = np.random.default_rng(seed).normal(size=(2, *ref.input_shape[1:])).astype(np.float32)
    expected = np.asarray(ref(x, training=False))
    got = ours(x, training=False).numpy()
    assert got.shape == expected.shape == (2, *ours.output_shape())
    scale = np.abs(expected).max()
    assert scale > 1e-2  # the comparison is not between zeros
    return float(np.abs(got - expected).max() / scale)


def test_nasnet_mobile_matches_keras():
    """Keras's NASNetMobile at 64x64 (the smallest side Keras takes is 32), 10 classes, every weight random:
    every layer ports by name and the logits agree to 1e-4 of their magnitude."""
    ref = keras.applications.NASNetMobile(weights=None, input_shape=(64, 64, 3), classes=10,
                                          classifier_activation=None)
    randomise(ref, 3)
    ours = convnets.from_keras(ref)
    assert ours.config["name"] == "nasnet_mobile" and ours.total_params == ref.count_params()
    assert _relative_difference(ours, ref, 1) < 1e-4
    ours.cells[-1].ops[0][0].sep2.pointwise_kernel.assign_add(tf.fill((1, 1, 176, 176), 0.05))  # the test can fail
    assert _relative_difference(ours, ref, 1) > 1e-3


# Large's wiring (skip_reduction=True: the normal cell after a reduction reads the cell before the reduction)
# at a few thousand parameters: Keras's own NASNet(), which NASNetLarge calls, with N = 2 and small widths.
TINY_SKIP = NASNetConfig(num_blocks=2, penultimate_filters=192, stem_filters=8, skip_reduction=True)


def test_skip_reduction_matches_keras(monkeypatch):
    """Keras's NASNet(skip_reduction=True), headless with max pooling, ported into ours with the same config:
    the same features; with skip_reduction=False (Mobile's wiring) the same weights give others."""
    from keras.src.applications.nasnet import NASNet as KerasNASNet

    ref = KerasNASNet(input_shape=(64, 64, 3), penultimate_filters=192, num_blocks=2, stem_block_filters=8,
                      skip_reduction=True, include_top=False, pooling="max", weights=None, name="nasnet_large")
    randomise(ref, 4)
    monkeypatch.setattr(keras_port, "create_model", lambda name, num_classes, input_shape, **options: NASNet(
        TINY_SKIP, num_classes=num_classes, input_shape=input_shape, **options))
    ours = convnets.from_keras(ref)
    # cells: stem_1, stem_2, normal_0, normal_1, reduce_2, normal_3, normal_4, reduce_4, normal_5, normal_6;
    # normal_3 and normal_5 read as p the reduction cell's own p (states[3], states[6]), not its input
    assert (ours.include_top, ours.pooling, ours.prev) == (False, "max", (0, 0, 1, 2, 3, 3, 5, 6, 6, 8))
    assert ours.total_params == ref.count_params()
    assert _relative_difference(ours, ref, 5) < 1e-4
    other = NASNet(replace(TINY_SKIP, skip_reduction=False), num_classes=1000, input_shape=(64, 64, 3),
                   include_top=False, pooling="max")
    assert other.prev == (0, 0, 1, 2, 3, 4, 5, 6, 7, 8) and len(other.variables) == len(ours.variables)
    for theirs, mine in zip(ours.variables, other.variables):  # the same layers, created in the same order
        mine.assign(theirs)
    assert _relative_difference(other, ref, 5) > 1e-3


def test_cells_are_tables():
    """The Cell class only interprets its table: an edited table builds another cell, a wrong one is refused."""
    assert [len(b) for b in NORMAL_A.blocks] == [2] * 5 and NORMAL_A.concat == ("p", 1, 2, 3, 4, 5)
    assert REDUCTION_A.concat == (2, 3, 4, 5) and REDUCTION_A.reduction and not NORMAL_A.reduction
    with init.zeros_only():
        base = NASNet(NASNET_MINI, num_classes=10, input_shape=(32, 32, 3))
        # the normal cell's block 2 with a 7x7 instead of a 5x5 separable convolution: 2 x 2 x 24 more per cell
        normal = CellSpec("normal", ((NORMAL_A.blocks[0]), (Op("sep7x7", "p"), Op("sep3x3", "p")),
                                     *NORMAL_A.blocks[2:]), NORMAL_A.concat, False)
        edited = NASNet(replace(NASNET_MINI, normal=normal), num_classes=10,
                        input_shape=(32, 32, 3))
    widths = [cell.filters for cell in base.cells if cell.spec.kind == "normal"]  # 12, 24, 48
    assert edited.trainable_params - base.trainable_params == sum(2 * (49 - 25) * w for w in widths)

    def bad(block, message):
        spec = CellSpec("normal", (block, *NORMAL_A.blocks[1:]), NORMAL_A.concat, False)
        with pytest.raises(ConfigError, match=message), init.zeros_only():
            NASNet(replace(NASNET_MINI, normal=spec), num_classes=10, input_shape=(32, 32, 3))

    bad((Op("sep9x9", "h"), Op("sep3x3", "p")), "unknown operation 'sep9x9'")
    bad((Op("sep5x5", 2), Op("sep3x3", "p")), "block 1 reads 2, which is not 'h', 'p' or an earlier block")
    with pytest.raises(ConfigError, match="cannot reduce the map"), init.zeros_only():
        reduction = CellSpec("reduction", ((Op("identity", "h"), Op("sep3x3", "p")), *REDUCTION_A.blocks[1:]),
                             REDUCTION_A.concat, True)
        NASNet(replace(NASNET_MINI, reduction=reduction), num_classes=10,
               input_shape=(32, 32, 3))
    with pytest.raises(ConfigError, match="multiple of 24 \\* filter_multiplier\\*\\*2 = 96, got 100"):
        NASNet(NASNetConfig(penultimate_filters=100), num_classes=10, input_shape=(64, 64, 3))


def test_mini_takes_fashion_mnist():
    """28x28x1 ends at 2x2 (28 -> 13 -> 7 -> 4 -> 2)."""
    with init.zeros_only():
        m = convnets.create_model("nasnet_mini", input_shape=(28, 28, 1), include_top=False)
    assert m.feature_shape((28, 28, 1)) == (2, 2, 288)
