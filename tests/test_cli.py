"""The command line, end to end: every command, and every user mistake as one line + exit 2."""

from __future__ import annotations

import gzip
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from test_data import write_mnist, write_png  # tiny IDX files in the canonical layout; image files

from convnets.cli import main, parse_model_args, parse_value


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_values():
    assert [parse_value(v) for v in ("3", "0.5", "true", "False", "none", "abc")] == [3, 0.5, True, False, None, "abc"]
    assert parse_model_args(["alpha=0.5", "include-top=false"]) == {"alpha": 0.5, "include_top": False}


def test_list_json(capsys):
    code, out, _ = run_cli(capsys, "list", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0
    assert rows["lenet5"]["trainable_params"] == 60_850 and rows["lenet5"]["input_shape"] == [32, 32, 1]
    assert rows["lenet5_modern"]["trainable_params"] == 61_706


def test_summary_json(capsys):
    code, out, _ = run_cli(capsys, "summary", "lenet5", "--json")
    s = json.loads(out)
    assert code == 0
    assert set(s) >= {"model", "input_shape", "total_params", "trainable_params", "macs", "layers"}
    assert s["trainable_params"] == 60_850
    assert {l["name"]: l["params"] for l in s["layers"]}["C3"] == 1516
    assert set(s["layers"][0]) >= {"name", "output_shape", "params", "macs"}
    code, out, _ = run_cli(capsys, "summary", "lenet5_modern", "--input-shape", "32,32,3", "--num-classes", "5")
    assert code == 0 and "32x32x3" in out


def test_train_evaluate_predict_export(trained_run, capsys, tmp_path):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert metrics["dataset"] == "digits" and metrics["epochs"] == 3 and metrics["test_accuracy"] > 0.8
    code, out, _ = run_cli(capsys, "evaluate", str(trained_run), "--json")
    r = json.loads(out)
    assert code == 0 and r["test_accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert np.array(r["confusion_matrix"]).sum() == 360 and len(r["per_class"]) == 10

    from convnets.data import load_dataset

    ds = load_dataset("digits")
    paths = []
    for i in range(5):
        p = tmp_path / f"digit{i}.png"
        p.write_bytes(tf.io.encode_png(ds.test.images[i]).numpy())
        paths.append(str(p))
    code, out, _ = run_cli(capsys, "predict", str(trained_run), *paths, "--top-k", "2", "--json")
    preds = json.loads(out)
    assert code == 0 and len(preds) == 5 and len(preds[0]["top"]) == 2
    predicted = [int(p["top"][0]["class"]) for p in preds]

    export = tmp_path / "exported"
    code, out, _ = run_cli(capsys, "export", str(trained_run), "--out", str(export))
    assert code == 0
    loaded = tf.saved_model.load(str(export))
    probs = loaded.signatures["serving_default"](images=tf.constant(ds.test.images[:5], tf.float32))["probabilities"].numpy()
    assert probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    assert probs.argmax(1).tolist() == predicted


def test_plot_writes_pictures(trained_run, capsys):
    import matplotlib.image as mpimg

    code, out, _ = run_cli(capsys, "plot", str(trained_run))
    assert code == 0
    for name, min_size in (("curves.png", (300, 800)), ("confusion.png", (400, 400)), ("mistakes.png", (200, 500))):
        img = mpimg.imread(trained_run / name)
        assert img.shape[0] >= min_size[0] and img.shape[1] >= min_size[1], name
        assert img[..., :3].std() > 0.05, f"{name} is blank"


def write_corrupt_mnist(root: Path) -> None:
    d = root / "mnist"
    d.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (d / f"{name}.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01" + b"\x00\x00\x00\x05" + b"\x01" * 3))


def test_train_applies_the_recipes_model_options(capsys, tmp_path):
    """recipes.model_options_for is the CLI's default (minis: Fashion-MNIST at 28x28x1; vgg_mini:
    dropout 0.2 on the CIFAR folder); --input-shape and --model-arg override it."""
    write_mnist(tmp_path / "data", n_train=16, n_test=8, folder="fashion-mnist")
    rng = np.random.default_rng(0)
    for i in range(12):
        write_png(tmp_path / "data" / "cifar10-jpeg" / ("train" if i < 8 else "test") / f"c{i % 2}" / f"{i}.png",
                  rng.integers(0, 255, (32, 32, 3), dtype=np.uint8))
    cases = [
        ("fashion_mnist", (), [28, 28, 1], {}),
        ("fashion_mnist", ("--input-shape", "32,32,3"), [32, 32, 3], {}),
        ("folder:cifar10-jpeg", (), [32, 32, 3], {"dropout": 0.2}),
        ("folder:cifar10-jpeg", ("--model-arg", "dropout=0.5"), [32, 32, 3], {"dropout": 0.5}),
    ]
    for i, (dataset, extra, shape, options) in enumerate(cases):
        out = tmp_path / f"run{i}"
        code, _, err = run_cli(capsys, "train", "vgg_mini", "--dataset", dataset, "--data-dir", str(tmp_path / "data"),
                               "--epochs", "1", "--batch-size", "8", "--out", str(out), "--quiet", *extra)
        assert code == 0, err
        model = json.loads((out / "config.json").read_text())["model"]
        assert (model["input_shape"], model["options"]) == (shape, options), dataset + " " + " ".join(extra)


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["summary", "resnet9000"], "unknown model 'resnet9000'"),
        (["train", "lenet5", "--dataset", "imagenet"], "unknown data set 'imagenet'"),
        (["train", "lenet5", "--dataset", "mnist", "--data-dir", "/nonexistent/data"], "does not exist"),
        (["summary", "lenet5", "--model-arg", "alpha=2"], "has no option alpha"),
        (["summary", "lenet5", "--model-arg", "alpha"], "expects KEY=VALUE"),
        (["summary", "lenet5", "--input-shape", "32,32"], "input shape"),
        (["evaluate", "/nonexistent/run"], "does not exist"),
        (["train", "lenet5", "--dataset", "folder:/nonexistent/images"], "does not exist"),
        (["train", "lenet5", "--epochs", "0"], "epochs must be >= 1"),
        (["train", "lenet5", "--val-split", "1.5"], "the validation split must be a fraction in [0, 1), got 1.5"),
        (["train", "lenet5", "--lr-factor", "2"], "lr_factor must be in (0, 1], got 2.0"),
        (["train", "lenet5", "--aux-weight", "-1"], "aux_weight must be >= 0, got -1.0"),
        (["train", "mobilenet_v2", "--model-arg", "include_top=false", "--input-shape", "32,32,3", "--model-arg", "alpha=0.35"],
         "model was built with include_top=False: it has no classifier"),
    ],
)
def test_user_errors_are_one_line_exit_2(capsys, argv, expected):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv", [["train", "lenet5", "--optimizer", "lion"], ["train", "lenet5", "--epochs", "many"],
                                  ["train", "lenet5", "--step-epochs", "30,x"], ["frobnicate"], []])
def test_usage_mistakes_are_one_line_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as e:
        main(argv)
    _, err = capsys.readouterr()
    assert e.value.code == 2 and err.count("\n") == 1 and err.startswith("convnets")


def test_train_flags_are_generated_from_trainconfig():
    """One flag per TrainConfig field, named after it (or as TRAIN_FLAGS says), with its choices and
    help; unset, each is None so the recipe's value stands."""
    import argparse
    import dataclasses

    from convnets.cli import TRAIN_FLAGS, build_parser
    from convnets.train.config import TrainConfig

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    actions = {a.dest: a for a in sub.choices["train"]._actions}
    for f in dataclasses.fields(TrainConfig):
        action = actions[f.name]
        flag = TRAIN_FLAGS[f.name][0] if f.name in TRAIN_FLAGS else "--" + f.name.replace("_", "-")
        assert action.option_strings == [flag] and action.default is None, f.name
        if f.name not in TRAIN_FLAGS:
            assert action.help.startswith(f.metadata["help"]) and action.choices == f.metadata["choices"], f.name
    args = parser.parse_args(["train", "resnet20", "--lr-factor", "0.2", "--aux-weight", "0.5", "--step-epochs",
                              "30,60", "--xla", "--unfused-bn", "--seed", "3", "--val-split", "0.1", "--precision",
                              "mixed_bfloat16", "--strategy", "mirrored", "--momentum", "0.8"])
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    given = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    assert given == dict(lr_factor=0.2, aux_weight=0.5, step_epochs=[30, 60], jit_compile=True,
                         fused_batch_norm=False, seed=3, val_split=0.1, precision="mixed_bfloat16",
                         strategy="mirrored", momentum=0.8)
    assert all(getattr(parser.parse_args(["train", "resnet20"]), name) is None for name in names)


def test_every_setting_reaches_the_run_from_its_flag(capsys, tmp_path):
    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "lenet5_modern", "--epochs", "1", "--batch-size", "256", "--schedule",
                           "step", "--step-epochs", "1", "--lr-factor", "0.5", "--aux-weight", "0",
                           "--label-smoothing", "0.1", "--warmup-epochs", "0.5", "--out", str(run), "--quiet")
    assert code == 0, err
    recorded = json.loads((run / "config.json").read_text())["train"]
    assert {k: recorded[k] for k in ("schedule", "step_epochs", "lr_factor", "aux_weight", "label_smoothing",
                                     "warmup_epochs")} == dict(schedule="step", step_epochs=[1], lr_factor=0.5,
                                                               aux_weight=0.0, label_smoothing=0.1, warmup_epochs=0.5)


def test_corrupt_data_and_empty_run_and_bad_image(capsys, tmp_path, trained_run):
    write_corrupt_mnist(tmp_path / "data")
    code, _, err = run_cli(capsys, "train", "lenet5", "--dataset", "mnist", "--data-dir", str(tmp_path / "data"))
    assert code == 2 and "train-images-idx3-ubyte.gz" in err and "holds 3 data bytes" in err
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text((trained_run / "config.json").read_text())
    code, _, err = run_cli(capsys, "evaluate", str(tmp_path / "run"))
    assert code == 2 and "no checkpoint" in err
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"garbage")
    code, _, err = run_cli(capsys, "predict", str(trained_run), str(bad))
    assert code == 2 and "cannot decode" in err and str(bad) in err


def test_resume_of_a_keras_conversion_is_refused(capsys, tmp_path):
    run = tmp_path / "converted"
    code, _, err = run_cli(capsys, "convert-keras", "mobilenet_v1", "--out", str(run), "--weights", "none",
                           "--alpha", "0.25", "--size", "32")
    assert code == 0, err
    code, _, err = run_cli(capsys, "train", "mobilenet_v1", "--input-shape", "32,32,3", "--num-classes", "1000",
                           "--model-arg", "alpha=0.25", "--out", str(run), "--resume", "--quiet")
    assert code == 2 and err.count("\n") == 1, err
    assert err == f"convnets: error: {run} was converted from Keras, not trained here; it cannot be resumed\n"


def test_resume_keeps_the_recorded_recipe(capsys, tmp_path, trained_run):
    """Plain --resume continues with the run's own settings (not the recipe's defaults);
    a flag that changes one is refused, naming the before and after values."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)  # lenet5, trained with --epochs 3 (the recipe says otherwise)
    code, out, err = run_cli(capsys, "train", "lenet5", "--out", str(run), "--resume", "--quiet")
    assert code == 0, err
    assert "after 3 epochs" in out and len((run / "history.csv").read_text().splitlines()) == 4
    code, _, err = run_cli(capsys, "train", "lenet5", "--out", str(run), "--resume", "--lr", "0.0001", "--quiet")
    lr = json.loads((run / "config.json").read_text())["train"]["lr"]
    assert code == 2 and err.count("\n") == 1, err
    assert f"was trained with other settings: lr {lr!r} -> 0.0001; only --epochs may change" in err


def test_val_split_from_the_command_line(capsys, tmp_path):
    run = tmp_path / "run"
    code, out, err = run_cli(capsys, "train", "lenet5_modern", "--epochs", "1", "--val-split", "0.1", "--out", str(run), "--quiet")
    assert code == 0, err
    assert json.loads((run / "config.json").read_text())["train"]["val_split"] == 0.1
    assert json.loads((run / "metrics.json").read_text())["validation"] == "10% of train (142 images), seed 0"  # 10% of each class, rounded
    assert re.search(r"^epoch 1/1  loss .* val_acc +\d\.\d{4} ", out, re.M), out


def test_default_run_directory_names_the_image_folder(capsys, tmp_path, monkeypatch):
    """runs/MODEL-FOLDERNAME, so two image folders do not share runs/MODEL-folder."""
    rng = np.random.default_rng(0)
    for i in range(12):
        write_png(tmp_path / "shapes-png" / ("train" if i < 8 else "test") / f"c{i % 2}" / f"{i}.png",
                  rng.integers(0, 255, (16, 16, 1), dtype=np.uint8))
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "train", "lenet5_modern", "--dataset", f"folder:{tmp_path / 'shapes-png'}",
                             "--epochs", "1", "--batch-size", "4", "--input-shape", "16,16,1", "--quiet")
    assert code == 0, err
    assert (tmp_path / "runs" / "lenet5_modern-shapes-png" / "metrics.json").is_file()
    assert out.strip().endswith(os.path.join("runs", "lenet5_modern-shapes-png"))


def _cli(*argv: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "convnets.cli", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)


def _cli_paused(tmp_path: Path, at: str, *argv: str) -> subprocess.Popen:
    """Start ``convnets ARGV`` and return once its training loop is waiting at ``at`` (an
    optimiser step, or "end"), through the loop's test-only pause hook: a signal sent
    then lands at that exact point, however fast the machine is."""
    marker = tmp_path / f"paused-{at}"
    p = _cli(*argv, env={"CONVNETS_TEST_PAUSE_AT": at, "CONVNETS_TEST_PAUSE_FILE": str(marker)})
    deadline = time.monotonic() + 600
    while not marker.exists():
        if p.poll() is not None or time.monotonic() > deadline:
            p.kill()
            out, err = p.communicate()
            pytest.fail(f"training never reached the pause point {at} (rc {p.returncode}): {err[-2000:]}")
        time.sleep(0.1)
    return p


def test_real_process_error_has_no_traceback():
    p = _cli("train", "nosuchmodel")
    out, err = p.communicate(timeout=120)
    assert p.returncode == 2
    assert err.strip().splitlines()[-1].startswith("convnets: error: unknown model 'nosuchmodel'")
    assert "Traceback" not in err


def test_sigkill_mid_training_then_resume_completes(tmp_path):
    out = tmp_path / "run"
    argv = ("train", "lenet5_modern", "--epochs", "4", "--batch-size", "32", "--out", str(out), "--quiet")
    p = _cli_paused(tmp_path, "100", *argv)  # 45 batches an epoch: batch 10 of epoch 3
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=60)
    assert p.returncode == -signal.SIGKILL
    history = out / "history.csv"
    assert len(history.read_text().splitlines()) - 1 == 2  # epochs 1 and 2 were saved; 3 is lost
    r = _cli(*argv, "--resume")
    log, err = r.communicate(timeout=600)
    assert r.returncode == 0, err
    assert f"resuming {out} from epoch 2\n" in log
    hist = history.read_text().splitlines()
    assert len(hist) == 5 and hist[-1].startswith("4,")


def test_sigterm_saves_mid_epoch_and_resume_completes(tmp_path):
    out = tmp_path / "run"
    p = _cli_paused(tmp_path, "200", "train", "lenet5_modern", "--epochs", "3", "--batch-size", "8", "--out", str(out), "--quiet")
    p.send_signal(signal.SIGTERM)  # 180 batches of 8 an epoch: step 200 is batch 20 of epoch 2
    log, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    last = err.splitlines()[-1]  # the hint is on stderr, the status line with the log on stdout
    assert last.startswith("stopped; continue with: convnets train lenet5_modern --epochs 3 --batch-size 8")
    assert "interrupted in epoch 2 after batch 20;" in log
    command = shlex.split(last.split("continue with: ", 1)[1])  # the printed command, exactly
    assert command[-1] == "--resume" and "--out" in command
    r = _cli(*command[1:])
    log, err = r.communicate(timeout=600)
    assert r.returncode == 0, err
    assert f"resuming {out} from epoch 1, batch 20 of epoch 2\n" in log
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3]
    assert history["images"].tolist() == [1437] * 3  # the interrupted epoch too: every digits training image


def test_sigterm_after_the_last_epoch_leaves_a_run_resume_finishes(tmp_path):
    """A signal after the last epoch, during the final evaluation, exits 130 with the
    command that continues; that resume trains nothing more and writes metrics.json."""
    out = tmp_path / "run"
    argv = ("train", "lenet5_modern", "--epochs", "2", "--batch-size", "64", "--out", str(out), "--quiet")
    p = _cli_paused(tmp_path, "end", *argv)
    p.send_signal(signal.SIGTERM)
    log, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "interrupted after the last epoch, before the final metrics" in log
    assert err.splitlines()[-1].startswith("stopped; continue with: convnets train lenet5_modern")
    assert not (out / "metrics.json").exists()
    r = _cli(*argv, "--resume")
    log, err = r.communicate(timeout=600)
    assert r.returncode == 0, err
    assert f"resuming {out} from epoch 2\n" in log
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["test_accuracy"] > 0.5
    assert len((out / "history.csv").read_text().splitlines()) == 3


def test_redirected_log_is_a_table_on_stdout(tmp_path):
    """`convnets train ... > log.txt 2>&1` reads as one aligned line per epoch: the
    live bar is drawn only on a terminal, and the log lines are on stdout."""
    out = tmp_path / "run"
    p = _cli("train", "lenet5_modern", "--epochs", "10", "--batch-size", "256", "--out", str(out))  # no --quiet
    log, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    assert "\r" not in log + err and "epoch" not in err
    lines = log.splitlines()
    assert lines[0].startswith("training lenet5_modern") and lines[-1].startswith("test accuracy")
    epochs = lines[1:-1]
    assert [l.split("/")[0] for l in epochs] == [f"epoch {e:>2}" for e in range(1, 11)]
    columns = {tuple(m.end() for m in re.finditer(r"\S+", l)) for l in epochs}  # numbers are right-aligned
    assert len(columns) == 1 and len({len(l) for l in epochs}) == 1, epochs  # every field at the same place
    assert re.fullmatch(r"epoch  1/10  loss +\d\.\d{4}  acc +\d\.\d{4}  test_loss +\d\.\d{4}  test_acc +\d\.\d{4} +\d+ img/s +\d+\.\ds",
                        epochs[0]), epochs[0]


def test_embed_gives_features_a_linear_classifier_can_use(trained_run, tmp_path, capsys):
    """`convnets embed RUN FOLDER --out f.npy`: one row of pooled features per image (the CSV names its file,
    in the same order), and scikit-learn's LogisticRegression on them tells held-out digits 3 and 8 apart."""
    import numpy as np
    import tensorflow as tf
    from sklearn.linear_model import LogisticRegression

    from convnets.data import load_dataset

    ds = load_dataset("digits")
    for digit in (3, 8):
        folder = tmp_path / "mine" / f"digit{digit}"
        folder.mkdir(parents=True)
        for i, image in enumerate(ds.test.images[ds.test.labels == digit][:30]):
            (folder / f"{i:02d}.png").write_bytes(tf.io.encode_png(image).numpy())
    (tmp_path / "mine" / "notes.txt").write_text("not an image: skipped")
    out = tmp_path / "features.npy"
    assert main(["embed", str(trained_run), str(tmp_path / "mine"), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    x = np.load(out)
    files = pd.read_csv(out.with_suffix(".csv"))["file"].tolist()
    assert x.shape == (len(files), 120) and x.dtype == np.float32 and len(files) >= 40  # LeNet-5's C5: 120 maps
    y = np.array([Path(f).parent.name for f in files])
    train, held = np.arange(len(y)) % 2 == 0, np.arange(len(y)) % 2 == 1
    clf = LogisticRegression(max_iter=2000).fit(x[train], y[train])
    assert clf.score(x[held], y[held]) >= 0.9
    assert main(["embed", str(trained_run), str(tmp_path / "mine"), "--out", str(tmp_path / "m.npy"),
                 "--pooling", "max"]) == 0
    assert np.load(tmp_path / "m.npy").shape == x.shape
    (tmp_path / "empty").mkdir()
    for argv, expected in ([str(tmp_path / "empty"), "--out", str(tmp_path / "e.npy")], "holds no image files"), \
                          ([str(tmp_path / "mine"), "--out", str(tmp_path / "f.txt")], "name ends in .npy"), \
                          ([str(tmp_path / "nope.png"), "--out", str(tmp_path / "n.npy")], "does not exist"):
        assert main(["embed", str(trained_run), *argv]) == 2
        assert expected in capsys.readouterr().err


def test_evaluate_with_flip_tta_reports_it_beside_the_plain_accuracy(trained_run, capsys):
    assert main(["evaluate", str(trained_run), "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(trained_run), "--tta", "flip", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["test_accuracy"] == plain["test_accuracy"] and r["confusion_matrix"] == plain["confusion_matrix"]
    assert r["tta"]["mode"] == "flip" and r["tta"]["test_accuracy"] != plain["test_accuracy"]  # digits: mirrors hurt
    assert main(["evaluate", str(trained_run), "--tta", "flip"]) == 0
    assert "with flip test-time augmentation: test accuracy" in capsys.readouterr().out
