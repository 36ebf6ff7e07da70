"""Keras Applications with randomised weights, copied into our models with
``convnets.from_keras``: logits must agree to 1e-4 (the issue's bar).

All weights (BatchNorm statistics included) are randomised first, so a swapped
gamma/beta or mean/variance, a transposed kernel or a wrong padding shows up.
"""

from __future__ import annotations

import numpy as np
import pytest

import convnets
from convnets.errors import ConfigError

keras = pytest.importorskip("keras")


def randomise(model, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        new = []
        for w in layer.weights:
            shape = tuple(w.shape)
            name = w.path.split("/")[-1]
            if name == "moving_variance":
                new.append(rng.uniform(0.5, 1.5, shape))
            elif name in ("gamma",):
                new.append(rng.uniform(0.5, 1.5, shape))
            elif name in ("beta", "moving_mean", "bias"):
                new.append(rng.normal(0, 0.1, shape))
            else:
                fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
                if "depthwise" in name:
                    fan_in = int(np.prod(shape[:2]))
                new.append(rng.normal(0, np.sqrt(2.0 / fan_in), shape))
        if new:
            layer.set_weights([a.astype(np.float32) for a in new])


CASES = {
    "VGG16": lambda: keras.applications.VGG16(weights=None, classifier_activation=None),
    "ResNet50": lambda: keras.applications.ResNet50(weights=None, classifier_activation=None),
    "DenseNet121": lambda: keras.applications.DenseNet121(weights=None, classifier_activation=None),
    "MobileNet": lambda: keras.applications.MobileNet(weights=None, classifier_activation=None),
    "MobileNetV2": lambda: keras.applications.MobileNetV2(weights=None, classifier_activation=None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_logits_match_keras(name):
    ref = CASES[name]()
    randomise(ref)
    ours = convnets.from_keras(ref)
    assert ours.total_params == ref.count_params()
    x = np.random.default_rng(1).normal(size=(2, 224, 224, 3)).astype(np.float32)
    expected = np.asarray(ref(x, training=False))
    got = ours(x, training=False).numpy()
    assert np.abs(expected).max() > 1e-2  # the comparison is not between zeros
    assert np.abs(got - expected).max() < 1e-4


def test_mobilenet_alpha_and_headless():
    ref = keras.applications.MobileNet(weights=None, alpha=0.5, input_shape=(128, 128, 3), include_top=False,
                                       pooling="avg")
    randomise(ref, 2)
    ours = convnets.from_keras(ref)
    assert (ours.include_top, ours.pooling) == (False, "avg")
    x = np.random.default_rng(3).normal(size=(1, 128, 128, 3)).astype(np.float32)
    assert np.abs(ours(x).numpy() - np.asarray(ref(x))).max() < 1e-4


def assert_converted_matches(ref, include_top: bool, pooling: str | None):
    """``convnets.from_keras(ref)`` keeps Keras's top and pooling, its count, and its outputs on the same
    64x64 input (to 1e-4 of their magnitude, which must not be near zero). Returns our model."""
    ours = convnets.from_keras(ref)
    assert (ours.include_top, ours.pooling) == (include_top, pooling)
    assert ours.total_params == ref.count_params()
    x = np.random.default_rng(5).normal(size=(2, 64, 64, 3)).astype(np.float32)
    expected = np.asarray(ref(x, training=False))
    got = ours(x, training=False).numpy()
    assert got.shape == expected.shape == (2, *ours.output_shape())
    scale = np.abs(expected).max()
    assert scale > 1e-2  # the comparison is not between zeros
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * max(1.0, scale))
    return ours


HEADLESS = {
    "ResNet50": keras.applications.ResNet50,
    "MobileNetV2": keras.applications.MobileNetV2,
}


@pytest.mark.parametrize("name,pooling", [("ResNet50", None), ("ResNet50", "avg"), ("MobileNetV2", None),
                                          ("MobileNetV2", "avg"), ("MobileNetV2", "max")])
def test_headless_models_keep_kerass_pooling(name, pooling):
    """A Keras model built with include_top=False becomes ours with include_top=False and the same pooling:
    the last feature map (None) or its global average or maximum, equal to Keras's (64x64: 2x2 maps)."""
    ref = HEADLESS[name](weights=None, include_top=False, pooling=pooling, input_shape=(64, 64, 3))
    randomise(ref, 4)
    ours = assert_converted_matches(ref, False, pooling)
    assert ours.num_features == ours.output_shape()[-1]


def test_unsupported_model_is_a_clear_error():
    ref = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)], name="tiny")
    with pytest.raises(ConfigError, match="cannot convert Keras model 'tiny'"):
        convnets.from_keras(ref)


# Inception-v3, Xception and Inception-ResNet-v2 at the smallest inputs Keras builds them at (75, 71, 75; their
# default is 299), with 10 classes: cheap, and every layer still runs on a map larger than 1x1 up to the last stage.
SMALL = {
    "InceptionV3": lambda **kw: keras.applications.InceptionV3(weights=None, input_shape=(75, 75, 3), **kw),
    "Xception": lambda **kw: keras.applications.Xception(weights=None, input_shape=(71, 71, 3), **kw),
    "InceptionResNetV2": lambda **kw: keras.applications.InceptionResNetV2(weights=None, input_shape=(75, 75, 3),
                                                                           **kw),
}


def _agree(ours, ref, seed):
    """Our outputs and Keras's on the same batch, in inference mode: the largest difference relative to the
    largest output."""
    x = np.random.default_rng(seed).normal(size=(2, *ref.input_shape[1:])).astype(np.float32)
    expected = np.asarray(ref(x, training=False))
    got = ours(x, training=False).numpy()
    assert got.shape == expected.shape == (2, *ours.output_shape())
    scale = np.abs(expected).max()
    assert scale > 1e-2  # the comparison is not between zeros
    return float(np.abs(got - expected).max() / scale)


@pytest.mark.parametrize("name", list(SMALL))
def test_inception_family_logits_match_keras(name):
    """Keras's weights (BatchNorm statistics randomised) in ours: the same logits to 1e-4 of their magnitude. Most
    of InceptionV3's and InceptionResNetV2's layers are unnamed in Keras: they are matched in creation order."""
    ref = SMALL[name](classes=10, classifier_activation=None)
    randomise(ref, 6)
    ours = convnets.from_keras(ref)
    assert ours.total_params == ref.count_params() and ours.num_classes == 10
    assert _agree(ours, ref, 7) < 1e-4


@pytest.mark.parametrize("name,pooling", [("InceptionV3", "avg"), ("Xception", None)])
def test_inception_family_headless(name, pooling):
    """Without the top: the last feature map (Xception's block14, 3x3x2048 at 71x71) or its average (InceptionV3's
    mixed10, 2048). A second Keras InceptionV3 in the session has its automatic names numbered on from the first."""
    ref = SMALL[name](include_top=False, pooling=pooling)
    randomise(ref, 8)
    ours = convnets.from_keras(ref)
    assert (ours.include_top, ours.pooling) == (False, pooling)
    assert ours.total_params == ref.count_params()
    assert _agree(ours, ref, 9) < 1e-4


@pytest.mark.parametrize("ctor, options", [("MobileNetV3Small", {}),
                                           ("MobileNetV3Small", {"minimalistic": True, "alpha": 0.75}),
                                           ("MobileNetV3Large", {"include_top": False, "pooling": "avg"})])
def test_mobilenet_v3_matches_keras_with_its_built_in_rescaling(ctor, options):
    """MobileNetV3 takes pixels 0..255 and rescales them inside (Keras's include_preprocessing); alpha,
    minimalistic and the top are read from the Keras model. Counts equal Keras's; outputs agree at 96x96."""
    ref = getattr(keras.applications, ctor)(weights=None, input_shape=(96, 96, 3), classifier_activation=None,
                                            **options)
    randomise(ref, 4)
    ours = convnets.from_keras(ref)
    assert ours.config["options"]["include_preprocessing"] is True
    assert ours.total_params == ref.count_params()
    x = np.random.default_rng(6).uniform(0, 255, size=(2, 96, 96, 3)).astype(np.float32)
    expected = np.asarray(ref(x, training=False))
    got = ours(x, training=False).numpy()
    scale = np.abs(expected).max()
    assert scale > 1e-2
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)


def test_keras_correct_pad_is_tensorflow_same():
    """Keras pads stride-2 depthwise layers with imagenet_utils.correct_pad, then "valid": on every map size
    and kernel that is TensorFlow's "same" padding, which our layers use (convnets.layers.padding)."""
    from keras.src.applications.imagenet_utils import correct_pad

    from convnets.layers.padding import normalize, output_size

    for size in range(7, 20):
        for k in (3, 5):
            (top, bottom), _ = correct_pad(keras.Input((size, size, 8)), k)
            out = output_size(size, k, 2, 1, normalize("same"))
            total = max((out - 1) * 2 + k - size, 0)
            assert (top, bottom) == (total // 2, total - total // 2), (size, k)


def test_convert_keras_mobilenet_v3_feeds_raw_pixels(tmp_path, monkeypatch):
    """convert-keras's MobileNetV3 run: the pipeline passes pixels 0..255 as they are ("raw"), the model
    rescales them, so a run's predictions on uint8 images are Keras's on the same pixels."""
    from convnets.evaluate import predict_images
    from convnets.keras_port import convert_keras

    monkeypatch.setenv("CONVNETS_NO_DOWNLOAD", "1")
    convert_keras("mobilenet_v3_small", str(tmp_path / "run"), size=96, log=lambda s: None)
    model, spec, _ = convnets.load_run(tmp_path / "run")
    assert spec.mean == (0.0, 0.0, 0.0) and model.config["options"]["include_preprocessing"] is True
    images = np.random.default_rng(7).integers(0, 256, size=(2, 96, 96, 3), dtype=np.uint8)
    logits = model(images.astype(np.float32)).numpy()
    probs = predict_images(model, spec, images)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probs, e / e.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("ctor", ["EfficientNetB0"])  # B1-B7: the same blocks, other widths and depths
def test_efficientnet_matches_keras_with_its_normalisation_front(ctor):
    """EfficientNet takes pixels 0..255 and normalises them inside (Rescaling 1/255, then Keras's
    Normalization, whose mean and variance are randomised here and copied). Counts equal Keras's."""
    ref = getattr(keras.applications, ctor)(weights=None, input_shape=(96, 96, 3), classifier_activation=None)
    randomise(ref, 5)
    norm = next(layer for layer in ref.layers if type(layer).__name__ == "Normalization")
    rng = np.random.default_rng(8)
    norm.set_weights([rng.uniform(0.3, 0.6, (3,)).astype(np.float32),
                      rng.uniform(0.04, 0.08, (3,)).astype(np.float32), np.int64(100)])
    ours = convnets.from_keras(ref)
    assert ours.total_params == ref.count_params()
    x = rng.uniform(0, 255, size=(2, 96, 96, 3)).astype(np.float32)
    expected = np.asarray(ref(x, training=False))
    got = ours(x, training=False).numpy()
    scale = np.abs(expected).max()
    assert scale > 1e-2
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)
