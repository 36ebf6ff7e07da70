"""Deployment formats and weights from the ecosystem: TFLite (float and int8) and ONNX agree
with the original model; convert-keras gives a run whose predictions are Keras's."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import extra_or_skip

from convnets.cli import main
from convnets.data.pipeline import raw_batches
from convnets.export import TFLiteClassifier, compare_exported, compare_tflite, export_onnx, export_tflite


def test_tflite_float_and_int8_agree_with_the_original(trained_run, tmp_path, capsys):
    path = export_tflite(trained_run, tmp_path / "lenet5.tflite")
    r = compare_tflite(trained_run, path)
    assert r["images"] == 360
    assert r["top1_agreement"] == 1.0 and r["tflite_accuracy"] == r["original_accuracy"]
    q = export_tflite(trained_run, tmp_path / "lenet5-int8.tflite", quantize="int8")
    rq = compare_tflite(trained_run, q)
    assert q.stat().st_size < 0.5 * path.stat().st_size  # int8 weights: about a quarter of float32
    assert rq["top1_agreement"] > 0.95 and rq["tflite_accuracy"] > r["original_accuracy"] - 0.03
    # the CLI prints the same comparison
    assert main(["export", str(trained_run), "--format", "tflite", "--out", str(tmp_path / "cli.tflite")]) == 0
    out = capsys.readouterr().out
    assert "tflite top-1" in out and "same prediction on 100.00%" in out
    assert main(["export", str(trained_run), "--quantize", "int8", "--out", str(tmp_path / "sm")]) == 2
    assert "--quantize applies to --format tflite" in capsys.readouterr().err


def test_tflite_of_a_mini_with_batchnorm(tmp_path):
    run = tmp_path / "mini"
    assert main(["train", "mobilenet_v1_mini", "--epochs", "1", "--input-shape", "16,16,1", "--out", str(run),
                 "--quiet"]) == 0
    r = compare_tflite(run, export_tflite(run, tmp_path / "m.tflite"))
    assert r["top1_agreement"] >= 0.99 and abs(r["tflite_accuracy"] - r["original_accuracy"]) <= 0.01
    extra_or_skip("tf2onnx", "onnxruntime")  # ONNX from the [onnx] extra: float32, the same prediction on all 360
    o = compare_exported(run, export_onnx(run, tmp_path / "m.onnx"))
    assert o["top1_agreement"] >= 0.999 and o["onnx_accuracy"] == r["original_accuracy"]


@pytest.mark.parametrize("fmt,what", [("tflite", "a TFLite model"), ("onnx", "an ONNX model")])
def test_exported_file_readers_refuse_bad_files(tmp_path, fmt, what):
    from convnets.errors import ConvnetsError
    from convnets.export import OnnxClassifier

    if fmt == "onnx":
        extra_or_skip("tf2onnx", "onnxruntime")
    reader = OnnxClassifier if fmt == "onnx" else TFLiteClassifier
    bad = tmp_path / f"bad.{fmt}"
    bad.write_bytes(b"not a flatbuffer or a protobuf")
    with pytest.raises(ConvnetsError, match=f"not {what}"):
        reader(bad)
    with pytest.raises(ConvnetsError, match="does not exist"):
        reader(tmp_path / f"missing.{fmt}")


def test_onnx_export_options_are_checked(tmp_path, trained_run, capsys):
    assert main(["export", str(trained_run), "--format", "onnx", "--out", str(tmp_path / "m.tflite")]) == 2
    assert "an ONNX file's name ends in .onnx" in capsys.readouterr().err
    assert main(["export", str(trained_run), "--format", "onnx", "--quantize", "int8", "--out", str(tmp_path / "m.onnx")]) == 2
    assert "--quantize applies to --format tflite" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


def test_convert_keras_gives_kerass_predictions(tmp_path, capsys, monkeypatch):
    """Random weights (no internet in tests), but the same ones Keras holds: our run's
    predictions through our preprocessing equal Keras's through ``preprocess_input``."""
    import keras

    monkeypatch.setenv("CONVNETS_NO_DOWNLOAD", "1")
    run = tmp_path / "mnv2"
    keras.utils.set_random_seed(7)
    assert main(["convert-keras", "mobilenet_v2", "--alpha", "0.35", "--size", "96", "--out", str(run)]) == 0
    assert "with random weights" in capsys.readouterr().out
    keras.utils.set_random_seed(7)
    reference = keras.applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(96, 96, 3))
    config = json.loads((run / "config.json").read_text())
    assert config["weights"] == "random" and len(config["class_names"]) == 1000
    assert config["class_names"][:2] == ["tench", "goldfish"]

    from convnets.evaluate import predict_images
    from convnets.train.checkpoint import load_run

    model, spec, _ = load_run(run)
    pixels = np.random.default_rng(0).integers(0, 256, size=(4, 96, 96, 3)).astype(np.uint8)
    ours = predict_images(model, spec, pixels)
    theirs = reference(keras.applications.mobilenet_v2.preprocess_input(pixels.astype(np.float32))).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    # The caffe mode (BGR, mean subtraction) through the same path, on VGG-style preprocessing
    from convnets.data.pipeline import PreprocessSpec, preprocess
    from convnets.keras_port import _MODES

    caffe = PreprocessSpec((8, 8, 3), (8, 8, 3), **_MODES["caffe"])
    img = pixels[:1, :8, :8].astype(np.float32)
    np.testing.assert_allclose(preprocess(img, caffe).numpy(),
                               keras.applications.vgg16.preprocess_input(img.copy()), atol=1e-3)


def test_convert_keras_errors(tmp_path, capsys):
    assert main(["convert-keras", "lenet5", "--out", str(tmp_path / "x")]) == 2
    assert "convert-keras supports" in capsys.readouterr().err


def test_raw_batches_are_native_pixels():
    from convnets.data import load_dataset
    ds = load_dataset("digits")
    images, labels = next(raw_batches(ds, "test", 7))
    assert images.shape == (7, *ds.image_shape) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, ds.test.images[:7])
    np.testing.assert_array_equal(labels, ds.test.labels[:7])


def test_convert_keras_xception_is_tf_mode(tmp_path, capsys, monkeypatch):
    """convert-keras takes the Inception family (here Xception, at Keras's smallest input, 71): the run's
    preprocessing is Keras's "tf" mode (pixels to [-1, 1]) and its predictions are Keras's."""
    import keras

    from convnets.evaluate import predict_images
    from convnets.keras_port import _MODES, KERAS_APPLICATIONS
    from convnets.train.checkpoint import load_run

    assert {KERAS_APPLICATIONS[n][1] for n in ("inception_v3", "xception", "inception_resnet_v2")} == {"tf"}
    monkeypatch.setenv("CONVNETS_NO_DOWNLOAD", "1")
    run = tmp_path / "xception"
    keras.utils.set_random_seed(11)
    assert main(["convert-keras", "xception", "--size", "71", "--out", str(run)]) == 0
    assert "from keras.applications.Xception with random weights" in capsys.readouterr().out
    keras.utils.set_random_seed(11)
    reference = keras.applications.Xception(weights=None, input_shape=(71, 71, 3))
    model, spec, _ = load_run(run)
    assert (spec.mean, spec.std) == (_MODES["tf"]["mean"], _MODES["tf"]["std"])
    pixels = np.random.default_rng(1).integers(0, 256, size=(2, 71, 71, 3)).astype(np.uint8)
    theirs = reference(keras.applications.xception.preprocess_input(pixels.astype(np.float32))).numpy()
    np.testing.assert_allclose(predict_images(model, spec, pixels), theirs, atol=1e-5)


@pytest.mark.parametrize("name,side", [("inception_v3", 299), ("inception_resnet_v2", 299), ("mobilenet_v2", 224)])
def test_convert_keras_default_size_is_the_models(name, side, tmp_path, monkeypatch):
    """Without --size, Keras is asked for the model's own input (299 for the Inception family, whose ImageNet
    weights with the top need it), not 224 for all. A stand-in constructor stops before anything is built."""
    import keras

    from convnets.errors import ConfigError
    from convnets.keras_port import KERAS_APPLICATIONS, convert_keras

    seen = []

    def stand_in(*, weights=None, input_shape=None, **kw):
        seen.append(input_shape)
        raise ValueError("stopped")

    monkeypatch.setattr(keras.applications, KERAS_APPLICATIONS[name][0], stand_in)
    monkeypatch.setenv("CONVNETS_NO_DOWNLOAD", "1")
    with pytest.raises(ConfigError, match="rejects these options: stopped"):
        convert_keras(name, str(tmp_path / "run"))
    assert seen == [(side, side, 3)]
