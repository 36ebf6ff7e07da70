"""The Model surface of GoogLeNet, DenseNet and MobileNet v1/v2: ``include_top`` and ``pooling``.

Every model, minis included, gives logits with its top; without it, the last feature map before the global pool
(``pooling=None``, Keras's semantics) or that map averaged or maximised over the grid. Full-size models are built
with zeros only and at small inputs (DenseNet takes 32x32, MobileNet 64x64; GoogLeNet's auxiliary heads need
96x96).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from surface_checks import assert_covered

import convnets
from convnets.layers import init

# name: (input shape, the last feature map at that input)
CASES = {
    "googlenet": ((96, 96, 3), (3, 3, 1024)),
    "googlenet_mini": ((32, 32, 3), (4, 4, 128)),
    "densenet121": ((32, 32, 3), (1, 1, 1024)),
    "densenet169": ((32, 32, 3), (1, 1, 1664)),
    "densenet201": ((32, 32, 3), (1, 1, 1920)),
    "densenet_bc100": ((16, 16, 3), (4, 4, 342)),
    "densenet_mini": ((32, 32, 3), (4, 4, 88)),  # its stride-2 stem: blocks at 16, 8 and 4
    "mobilenet_v1": ((64, 64, 3), (2, 2, 1024)),
    "mobilenet_v1_mini": ((32, 32, 3), (4, 4, 512)),
    "mobilenet_v2": ((64, 64, 3), (2, 2, 1280)),
    "mobilenet_v2_mini": ((32, 32, 3), (2, 2, 640)),
}


def test_every_model_of_these_families_is_covered():
    assert_covered(("googlenet", "densenet", "mobilenet"), CASES, set())


@pytest.mark.parametrize("name", list(CASES))
def test_include_top_and_pooling_shapes(name):
    shape, features = CASES[name]
    num_classes = convnets.model_info(name).num_classes
    x = tf.zeros((1, *shape))
    trainable = {}
    # Pooling is the Model base's, the same code for all: the minis go through every combination, the full
    # models (the costly builds) through the top, the feature map and one pooling.
    combinations = [(t, p) for t in (True, False) for p in (None, "avg", "max")]
    if not convnets.model_info(name).mini:
        combinations = [(True, None), (False, None), (False, "max")]
    for include_top, pooling in combinations:
        with init.zeros_only():
            m = convnets.create_model(name, input_shape=shape, include_top=include_top, pooling=pooling)
        assert m.num_features == features[-1]
        assert m.feature_shape(shape) == features
        if include_top:
            expected = (num_classes,)
        else:
            expected = features if pooling is None else (features[-1],)
        assert m.output_shape() == expected, (include_top, pooling)
        assert tuple(m(x).shape) == (1, *expected), (include_top, pooling)
        trainable[include_top] = getattr(m, "main_params", m.trainable_params)  # GoogLeNet: without aux heads
    # Without the top, only the classifier (a Dense on num_features) and GoogLeNet's aux heads are gone.
    assert trainable[True] - trainable[False] == (features[-1] + 1) * num_classes


def test_googlenet_without_top_builds_no_aux_heads():
    with init.zeros_only():
        full = convnets.create_model("googlenet_mini")
        headless = convnets.create_model("googlenet_mini", include_top=False, pooling="avg")
    assert len(full.aux) == 2 and headless.aux == [] and headless.fc is None
    assert headless.trainable_params == full.main_params - full.fc.trainable_params
    x = tf.zeros((2, 32, 32, 3))
    logits, aux = full(x, training=True)
    assert logits.shape == (2, 10) and [a.shape for a in aux] == [(2, 10), (2, 10)]
    assert headless(x, training=True).shape == (2, 128)  # a tensor, no aux logits, in training too
    with init.zeros_only():
        assert convnets.create_model("googlenet").main_params - 1_025_000 == 5_973_552  # the module docstring's count


@pytest.mark.parametrize("name", ["googlenet_mini", "densenet_mini", "mobilenet_v1_mini", "mobilenet_v2_mini"])
def test_pooled_features_are_the_feature_maps_mean_and_max(name):
    """Same weights: pooling "avg"/"max" give the mean/maximum over the grid of pooling=None's map (batch
    statistics, so the untrained maps are not near zero)."""
    init.set_seed(0)
    maps = convnets.create_model(name, include_top=False)
    x = tf.random.stateless_normal((2, *maps.input_shape), seed=(0, 1))
    fmap = maps(x, training=True).numpy()
    assert fmap.ndim == 4 and np.abs(fmap).max() > 0.1
    for pooling, reduce in (("avg", np.mean), ("max", np.max)):
        pooled = convnets.create_model(name, include_top=False, pooling=pooling)
        for ours, theirs in zip(pooled.variables, maps.variables, strict=True):
            ours.assign(theirs)
        np.testing.assert_allclose(pooled(x, training=True).numpy(), reduce(fmap, axis=(1, 2)), rtol=1e-5,
                                   atol=1e-5)
