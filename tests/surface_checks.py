"""Checks the model-surface tests (test_model_surface_*.py) share."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

import convnets
from convnets.layers import init


def every_top_and_pooling(name: str, shape: tuple[int, ...], features: tuple[int, ...], training: bool) -> None:
    """A mini built with each include_top/pooling gives the output shape it says; the pooled features are the
    average and maximum of the map over the grid (the same weights, seed 1; ``training`` picks the BatchNorm mode:
    False where a layer draws random numbers in training, as DropPath does)."""
    x = tf.random.stateless_normal((2, *shape), seed=(5, 6))
    for include_top in (True, False):
        for pooling in (None, "avg", "max"):
            m = convnets.create_model(name, include_top=include_top, pooling=pooling)
            expected = (10,) if include_top else features if pooling is None else (features[-1],)
            assert m.output_shape() == expected and tuple(m(x).shape) == (2, *expected), (include_top, pooling)
    init.set_seed(1)
    fmap = convnets.create_model(name, include_top=False)(x, training=training).numpy()
    for pooling, reduce in (("avg", np.mean), ("max", np.max)):
        init.set_seed(1)
        pooled = convnets.create_model(name, include_top=False, pooling=pooling)(x, training=training).numpy()
        np.testing.assert_allclose(pooled, reduce(fmap, axis=(1, 2)), rtol=1e-5, atol=1e-6)


def assert_covered(families: tuple[str, ...], cases: dict, skipped: set[str]) -> None:
    """Every registered model of ``families`` is a case of the file or one it skips on purpose."""
    names = {n for n in convnets.list_models() if convnets.model_info(n).family.name in families}
    assert names == set(cases) | skipped


def headless_map(name: str, shape: tuple[int, ...], features: tuple[int, ...]) -> convnets.Model:
    """``name`` built without its top (zeros only) at ``shape``: its feature map is ``features`` by
    ``num_features``, ``feature_shape``, ``output_shape`` and a forward pass alike. Returns the model."""
    with init.zeros_only():
        m = convnets.create_model(name, input_shape=shape, include_top=False)
    assert m.num_features == features[-1] and m.feature_shape(shape) == features
    assert m.output_shape() == features
    assert tuple(m(tf.zeros((1, *shape))).shape) == (1, *features)
    return m


def head_params(model: convnets.Model) -> int:
    """The classifier's trainable scalars."""
    return sum(int(np.prod(v.shape)) for v in model.head_variables())
