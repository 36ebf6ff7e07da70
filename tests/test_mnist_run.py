"""A LeNet-5 trained on real MNIST (one epoch): every picture command and both
export formats work on it and agree with it. Needs ../shared/data (skips without
it, fails in CI)."""

from __future__ import annotations

import gzip

import matplotlib.image as mpimg
import numpy as np
import pytest
import tensorflow as tf
from conftest import extra_or_skip

from convnets.cli import main
from convnets.export import compare_exported, compare_tflite, export_tflite

pytestmark = pytest.mark.xdist_group("mnist_run")  # the 1-epoch MNIST run is trained once, on one worker


@pytest.fixture(scope="module")
def mnist_run(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("mnist") / "lenet5"
    assert main(["train", "lenet5", "--dataset", "mnist", "--data-dir", str(data_dir), "--epochs", "1",
                 "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def seven(data_dir, tmp_path_factory):
    raw = gzip.open(data_dir / "mnist" / "t10k-images-idx3-ubyte.gz").read()
    image = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)[0]  # the first test digit is a 7
    path = tmp_path_factory.mktemp("img") / "seven.png"
    path.write_bytes(tf.io.encode_png(image[..., None]).numpy())
    return path


def picture(path) -> np.ndarray:
    img = mpimg.imread(path)
    assert img[..., :3].std() > 0.05, f"{path} is blank"
    return img


def test_every_picture_on_mnist(mnist_run, seven, capsys):
    assert main(["plot", str(mnist_run)]) == 0
    for name in ("curves.png", "confusion.png", "mistakes.png"):
        picture(mnist_run / name)
    assert main(["filters", str(mnist_run)]) == 0
    assert picture(mnist_run / "filters-C1.png").shape[1] >= 300
    assert main(["features", str(mnist_run), str(seven)]) == 0
    picture(mnist_run / "features-seven-C1.png")
    capsys.readouterr()
    assert main(["gradcam", str(mnist_run), str(seven)]) == 0
    assert "class 7" in capsys.readouterr().out  # one epoch is enough for this 7
    picture(mnist_run / "gradcam-seven.png")


def test_exports_agree_on_the_mnist_test_set(mnist_run, tmp_path):
    import json

    accuracy = json.loads((mnist_run / "metrics.json").read_text())["test_accuracy"]
    assert accuracy > 0.95  # one epoch with random shifts: ~96.8%
    r = compare_tflite(mnist_run, export_tflite(mnist_run, tmp_path / "f.tflite"))
    assert r["images"] == 10_000 and r["top1_agreement"] >= 0.9999
    assert r["original_accuracy"] == pytest.approx(accuracy, abs=1e-4)
    q = compare_tflite(mnist_run, export_tflite(mnist_run, tmp_path / "q.tflite", "int8"))
    assert q["tflite_accuracy"] > accuracy - 0.01 and q["tflite_bytes"] < 0.5 * r["tflite_bytes"]
    assert main(["export", str(mnist_run), "--out", str(tmp_path / "sm")]) == 0
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    from convnets.data import load_dataset
    from convnets.data.pipeline import raw_batches

    ds = load_dataset("mnist", json.loads((mnist_run / "config.json").read_text())["data_dir"])
    images, labels = next(raw_batches(ds, "test", 1000))
    classes = loaded.signatures["serving_default"](images=tf.constant(images, tf.float32))["classes"].numpy()
    assert (classes == labels).mean() > 0.94


def test_onnx_export_agrees_on_the_mnist_test_set(mnist_run, tmp_path, capsys):
    """``convnets export --format onnx``: ONNX Runtime's top-1 is the original's on >= 99.9% of MNIST's test set."""
    extra_or_skip("tf2onnx", "onnxruntime")
    out = tmp_path / "lenet5.onnx"
    assert main(["export", str(mnist_run), "--format", "onnx", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "test set (10,000 images)" in printed and "onnx top-1" in printed
    r = compare_exported(mnist_run, out)
    assert r["format"] == "onnx" and r["images"] == 10_000 and r["top1_agreement"] >= 0.999
    assert r["onnx_accuracy"] == pytest.approx(r["original_accuracy"], abs=1e-3)
