"""A new user's first hour (issue 17): every message is ours, one line, and says what to do;
no option is silently changed; the library's own chatter stays out of the output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from convnets.cli import main
from convnets.errors import ConfigError


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def usage_error(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    _, err = capsys.readouterr()
    assert e.value.code == 2 and err.count("\n") == 1, err
    return err


def digit_png(path: Path, index: int = 0, invert: bool = False, scale: int = 1) -> Path:
    """A test image of the bundled digits as a PNG (light digit on dark, as trained; or inverted)."""
    from convnets.data import load_dataset

    img = load_dataset("digits").test.images[index]
    if invert:
        img = 255 - img
    if scale > 1:
        img = np.kron(img[..., 0], np.ones((scale, scale), np.uint8))[..., None]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(img).numpy())
    return path


@pytest.fixture
def converted_run(trained_run, tmp_path) -> Path:
    """A run as convert-keras writes it (weights from elsewhere: no data set, no training), on LeNet-5."""
    run = tmp_path / "converted"
    shutil.copytree(trained_run, run)
    (run / "history.csv").unlink()
    config = json.loads((run / "config.json").read_text())
    config.update(dataset="imagenet", data_source="keras.applications.Test", train=None)
    (run / "config.json").write_text(json.dumps(config))
    return run


# --- predict: options and input -------------------------------------------------

@pytest.mark.parametrize("k", ["0", "-3", "two"])
def test_predict_rejects_top_k_below_one(capsys, trained_run, tmp_path, k):
    err = usage_error(capsys, "predict", str(trained_run), str(digit_png(tmp_path / "d.png")), "--top-k", k)
    assert "--top-k" in err and ("at least 1" in err or "whole number" in err)
    from convnets.evaluate import predict_files

    with pytest.raises(ConfigError, match="top_k must be"):
        predict_files(str(trained_run), [str(tmp_path / "d.png")], 0)


def test_predict_top_k_above_the_classes_shows_all_with_a_note(capsys, trained_run, tmp_path):
    image = digit_png(tmp_path / "d.png")
    code, out, err = run_cli(capsys, "predict", str(trained_run), str(image), "--top-k", "50")
    assert code == 0 and out.count(",") == 9  # all 10 classes
    assert err == "note: --top-k 50 is more than the run's 10 classes; showing all 10\n"
    code, out, err = run_cli(capsys, "predict", str(trained_run), str(image))
    assert code == 0 and out.count(",") == 2 and err == ""  # the default, 3, says nothing


@pytest.mark.parametrize("command", ["predict", "features", "gradcam"])
def test_a_file_that_is_not_an_image_is_one_clean_line(capsys, trained_run, tmp_path, command):
    text = tmp_path / "notes.txt"
    text.write_text("just some text")
    code, _, err = run_cli(capsys, command, str(trained_run), str(text))
    assert code == 2
    assert err == (f"convnets: error: cannot decode {text} as an image (PNG, JPEG, GIF, BMP): "
                   "its first bytes are none of these formats\n")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(digit_png(tmp_path / "whole.png", scale=8).read_bytes()[:60])
    code, _, err = run_cli(capsys, command, str(trained_run), str(truncated))
    assert code == 2 and err.endswith("as an image (PNG, JPEG, GIF, BMP): the file is damaged or truncated\n")
    assert "function_node" not in err and "Op:" not in err
    code, _, err = run_cli(capsys, command, str(trained_run), str(tmp_path))
    assert code == 2 and err == f"convnets: error: {tmp_path} is a folder, not an image file\n"


def test_predict_notes_an_image_inverted_relative_to_the_training_images(capsys, trained_run, tmp_path):
    right = digit_png(tmp_path / "right.png", 3)
    inverted = digit_png(tmp_path / "inverted.png", 3, invert=True)
    code, out, err = run_cli(capsys, "predict", str(trained_run), str(right), str(inverted), "--json")
    assert code == 0
    assert [r["looks_inverted"] for r in json.loads(out)] == [False, True]
    assert err == (f"note: {inverted} looks inverted relative to the training images (dark on light); "
                   "MNIST-style runs expect a light digit on a dark background\n")


def test_predict_help_says_what_input_the_model_expects(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "expects a light (white) digit, centred, on a dark (black) background" in out
    assert "28x28 greyscale for MNIST" in out and "predicted wrong" in out


# --- --debug anywhere -------------------------------------------------------------

@pytest.mark.parametrize("argv", [["--debug", "summary", "nosuchmodel"], ["summary", "nosuchmodel", "--debug"]])
def test_debug_works_before_and_after_the_command(capsys, argv):
    from convnets.errors import ConvnetsError

    with pytest.raises(ConvnetsError, match="nosuchmodel"):  # the traceback, not the one line
        main(argv)
    code, _, err = run_cli(capsys, "summary", "nosuchmodel")
    assert code == 2 and err.count("\n") == 1


# --- runs converted from Keras: no data set of their own ----------------------------

def test_evaluate_a_converted_run_asks_for_a_dataset(capsys, converted_run):
    code, _, err = run_cli(capsys, "evaluate", str(converted_run))
    assert code == 2 and "unknown data set" not in err and err.count("\n") == 1
    assert "was converted from keras.applications.Test and has no data set of its own: give one with --dataset" in err


def test_evaluate_on_another_dataset_with_some_of_the_runs_classes(capsys, converted_run, trained_run, tmp_path):
    """Class folders named as some of the run's classes, at another size and in colour: labels are
    mapped to the run's indices and the images brought to the run's shape."""
    from convnets.data import load_dataset

    test = load_dataset("digits").test
    for i in np.flatnonzero(np.isin(test.labels, [3, 7]))[:20]:
        img = np.repeat(np.kron(test.images[i][..., 0], np.ones((2, 2), np.uint8))[..., None], 3, axis=-1)
        path = tmp_path / "imgs" / str(test.labels[i]) / f"{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tf.io.encode_png(img).numpy())
    for run in (converted_run, trained_run):
        code, out, err = run_cli(capsys, "evaluate", str(run), "--dataset", f"folder:{tmp_path / 'imgs'}", "--json")
        assert code == 0, err
        r = json.loads(out)
        assert [c["class"] for c in r["per_class"]] == ["3", "7"] and r["test_images"] == 4
        assert r["test_accuracy"] >= 0.5  # the run knows 3s and 7s (a label mix-up would give about 0)
    (tmp_path / "imgs" / "cat").mkdir()
    (tmp_path / "imgs" / "cat" / "a.png").write_bytes((tmp_path / "imgs" / "3").iterdir().__next__().read_bytes())
    code, _, err = run_cli(capsys, "evaluate", str(trained_run), "--dataset", f"folder:{tmp_path / 'imgs'}")
    assert code == 2 and "has classes the run does not know (cat)" in err


def test_plot_and_export_a_converted_run(capsys, converted_run, tmp_path):
    code, _, err = run_cli(capsys, "plot", str(converted_run))
    assert code == 2 and "was converted from keras.applications.Test: it has no training history" in err
    code, out, err = run_cli(capsys, "export", str(converted_run), "--format", "tflite",
                             "--out", str(tmp_path / "m.tflite"))
    assert code == 0 and "unknown data set" not in err
    assert "converted run with no test set of its own; not compared" in err
    code, _, err = run_cli(capsys, "export", str(converted_run), "--format", "tflite", "--quantize", "int8",
                           "--out", str(tmp_path / "q.tflite"))
    assert code == 2 and "give one with --dataset" in err


# --- library chatter ----------------------------------------------------------------

def test_tflite_export_prints_only_our_lines(capfd, trained_run, tmp_path):
    """The converter's "fully_quantize: 0, inference_type: 6 ..." and the interpreter's XNNPACK
    banner are written by C++ to file descriptor 2: they must not reach the user."""
    assert main(["export", str(trained_run), "--format", "tflite", "--quantize", "int8",
                 "--out", str(tmp_path / "q.tflite")]) == 0
    out, err = capfd.readouterr()
    assert "fully_quantize" not in err and "XNNPACK" not in err and err == "", err
    assert out.startswith("wrote ") and "test set (360 images)" in out


def test_convert_keras_offline_warning_is_one_clean_line(monkeypatch, tmp_path):
    import keras

    from convnets.keras_port import convert_keras

    real = keras.applications.MobileNetV2

    def offline(*args, weights=None, **kw):
        if weights == "imagenet":  # what Keras raises without a network
            raise Exception("URL fetch failure on https://storage.googleapis.com/tensorflow/keras-applications/"
                            "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5: None -- "
                            "[Errno -2] Name or service not known")
        return real(*args, weights=weights, **kw)

    monkeypatch.setattr(keras.applications, "MobileNetV2", offline)
    monkeypatch.delenv("CONVNETS_NO_DOWNLOAD", raising=False)
    lines: list[str] = []
    r = convert_keras("mobilenet_v2", str(tmp_path / "run"), "auto", alpha=0.35, size=96, log=lines.append)
    assert r["weights"] == "random"
    assert lines == ["warning: ImageNet weights for MobileNetV2 unavailable (download of "
                     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5 failed: [Errno -2] Name or service "
                     "not known); using random weights, so its predictions mean nothing"]


# --- more of the same class: silently changed options, raw library errors -----------

def test_num_classes_zero_is_an_error_not_the_default(capsys):
    code, _, err = run_cli(capsys, "summary", "lenet5", "--num-classes", "0")
    assert code == 2 and "num_classes must be >= 1, got 0" in err


def test_convert_keras_options_keras_rejects_are_one_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "convert-keras", "mobilenet_v2", "--weights", "none", "--size", "8",
                           "--out", str(tmp_path / "run"))
    assert code == 2 and err.count("\n") == 1
    assert "keras.applications.MobileNetV2 rejects these options: Input size must be at least 32x32" in err


def test_predict_files_and_images_check_what_they_are_given(trained_run, tmp_path, caplog):
    from convnets.evaluate import predict_files, predict_images
    from convnets.train.checkpoint import load_run

    one = digit_png(tmp_path / "d.png")
    assert len(predict_files(str(trained_run), str(one))) == 1  # one path, not its characters
    with pytest.raises(ConfigError, match="no image files given"):
        predict_files(str(trained_run), [])
    model, spec, _ = load_run(trained_run)
    with pytest.raises(ConfigError, match=r"takes a batch of pixels \(N, 8, 8, 1\).*one image\? add the batch axis"):
        predict_images(model, spec, np.zeros((8, 8, 1), np.uint8))
    with pytest.raises(ConfigError, match=r"got shape \(2, 28, 28, 1\)"):
        predict_images(model, spec, np.zeros((2, 28, 28, 1), np.uint8))
    with caplog.at_level("WARNING", logger="convnets"):
        predict_images(model, spec, np.full((1, 8, 8, 1), 0.5, np.float32))
    assert "look scaled to 0..1; it expects pixels 0..255" in caplog.text


def test_cli_prints_library_warnings_as_our_own_lines(capsys, trained_run, tmp_path):
    """However TensorFlow or others configure the root logger, a skipped-files warning is one 'convnets:' line."""
    import logging

    for c in "37":
        for i in range(3):  # 3 a class: one of each in the test set
            digit_png(tmp_path / "imgs" / c / f"{i}.png", index=int(c) + 10 * i)
    (tmp_path / "imgs" / "3" / "notes.txt").write_text("not an image")
    root = logging.getLogger()
    handler = logging.StreamHandler()  # as logging.basicConfig would add
    root.addHandler(handler)
    try:
        code, out, err = run_cli(capsys, "evaluate", str(trained_run), "--dataset", f"folder:{tmp_path / 'imgs'}")
    finally:
        root.removeHandler(handler)
    assert code == 0, err
    # Our warning is one line, printed once (not again by the root logger's handler). Other lines may come from
    # TensorFlow's own logger, depending on what ran before in this process (a retracing warning), so the
    # test looks for ours rather than asserting stderr is nothing else.
    lines = err.splitlines()
    assert (f"convnets: skipped 1 file that is not a PNG, JPEG, GIF or BMP image in {tmp_path / 'imgs'} "
            "(first: 3/notes.txt)") in lines, err
    assert sum("notes.txt" in line for line in lines) == 1, err
    for c in "37":  # one image a class: none in the test set
        for extra in list((tmp_path / "imgs" / c).glob("[12].png")):
            extra.unlink()
    code, _, err = run_cli(capsys, "evaluate", str(trained_run), "--dataset", f"folder:{tmp_path / 'imgs'}")
    assert code == 2 and "no test images" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "train", "lenet5", "--dataset", f"folder:{tmp_path / 'imgs'}", "--epochs", "1",
                           "--out", str(tmp_path / "run"), "--quiet")  # was a numpy ValueError after the first epoch
    assert code == 2 and "no test images" in err and "Traceback" not in err


def test_out_paths_that_cannot_be_what_was_asked_are_refused(capsys, trained_run, tmp_path):
    """filters --out FOLDER used to 'write FOLDER' (matplotlib quietly wrote FOLDER.png); a
    SavedModel over a file was a TensorFlow FailedPreconditionError traceback."""
    code, out, err = run_cli(capsys, "filters", str(trained_run), "--out", str(tmp_path))
    assert code == 2 and f"{tmp_path} is a folder; give --out a file name" in err and out == ""
    code, _, err = run_cli(capsys, "filters", str(trained_run), "--out", str(tmp_path / "kernels"))
    assert code == 2 and "give a file name ending in .png" in err and not (tmp_path / "kernels.png").exists()
    code, out, _ = run_cli(capsys, "filters", str(trained_run), "--out", str(tmp_path / "k.png"))
    assert code == 0 and (tmp_path / "k.png").is_file()
    code, _, err = run_cli(capsys, "export", str(trained_run), "--out", str(tmp_path / "k.png"))
    assert code == 2 and "is a file; a SavedModel is a folder" in err and "Traceback" not in err
