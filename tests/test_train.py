"""The training loop: learning happens, runs resume exactly, failures keep what was saved."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import re

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import convnets
from convnets.data import load_dataset
from convnets.errors import ConfigError
from convnets.layers import init
from convnets.train import TrainConfig, TrainingDiverged, load_run, train
from convnets.train.losses import cross_entropy


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def fresh_model(seed=0, name="lenet5_modern", shape=(16, 16, 1)):
    init.set_seed(seed)
    return convnets.create_model(name, input_shape=shape)


def test_initial_loss_is_log_num_classes(digits):
    m = fresh_model(name="lenet5", shape=(32, 32, 1))
    x = tf.constant(np.random.default_rng(0).normal(size=(64, 32, 32, 1)).astype(np.float32))
    loss = float(cross_entropy(tf.zeros(64, tf.int64), m(x)))
    assert abs(loss - math.log(10)) < 0.5


def test_overfits_one_batch():
    m = fresh_model()
    from convnets.optim import Adam

    x = tf.random.normal((16, 16, 16, 1))
    y = tf.range(16, dtype=tf.int64) % 10
    opt = Adam(3e-3)
    for _ in range(150):
        with tf.GradientTape() as tape:
            loss = cross_entropy(y, m(x, training=True))
        opt.apply(tape.gradient(loss, m.trainable_variables), m.trainable_variables)
    assert float(loss) < 0.05
    assert np.mean(np.argmax(m(x).numpy(), 1) == y.numpy()) == 1.0


def test_fused_and_unfused_batchnorm_train_the_same():
    """--unfused-bn is a speed choice only: the same losses and weights, step by step."""
    from convnets.optim import make_optimizer
    from convnets.train.loop import make_train_step

    x = tf.random.stateless_normal((32, 16, 16, 1), (3, 4))
    y = tf.range(32, dtype=tf.int64) % 10
    losses, weights = [], []
    for fused in (True, False):
        m = fresh_model(name="resnet20", shape=(16, 16, 1))
        step = make_train_step(m, make_optimizer("sgd", 0.1, 0.9), TrainConfig(fused_batch_norm=fused), (16, 16, 1))
        assert all(b.fused == fused for b in m.submodules if isinstance(b, convnets.layers.BatchNorm))
        losses.append([float(step(x, y)[0]) for _ in range(5)])
        weights.append(m.trainable_variables[0].numpy())
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
    assert losses[0][-1] < losses[0][0]
    np.testing.assert_allclose(weights[0], weights[1], atol=1e-4)


# Every TrainConfig field, with a value it refuses and the message (each is a flag of `convnets train`).
BAD_SETTINGS = [
    ("epochs", 0, "epochs must be >= 1, got 0"),
    ("epochs", 2.5, "epochs must be a whole number, got 2.5 (float)"),
    ("epochs", True, "epochs must be a whole number, got True (bool)"),
    ("batch_size", 0, "batch size must be >= 1, got 0"),
    ("steps_per_call", 0, "steps_per_call must be >= 1, got 0"),
    ("optimizer", "lion", "optimizer must be one of sgd, nesterov, adam, adamw, rmsprop, got 'lion'"),
    ("lr", 0, "learning rate must be > 0, got 0.0"),
    ("lr", "0.1", "learning rate must be a number, got '0.1' (str)"),
    ("lr", math.inf, "learning rate must be a finite number, got inf"),
    ("momentum", 1.0, "momentum must be in [0, 1), got 1.0"),
    ("momentum", -0.5, "momentum must be in [0, 1), got -0.5"),
    ("weight_decay", -1e-4, "weight_decay must be >= 0, got -0.0001"),
    ("schedule", "linear", "schedule must be one of constant, step, cosine, got 'linear'"),
    ("step_epochs", "30,60", "step_epochs must be a list of whole numbers, got '30,60' (str)"),
    ("step_epochs", [30, 0], "each of step_epochs must be >= 1, got 0"),
    ("step_epochs", [1.5], "each of step_epochs must be a whole number, got 1.5 (float)"),
    ("lr_factor", 0, "lr_factor must be in (0, 1], got 0.0"),
    ("lr_factor", 10, "lr_factor must be in (0, 1], got 10.0"),
    ("warmup_epochs", -1, "warmup_epochs must be >= 0, got -1.0"),
    ("label_smoothing", 1, "label_smoothing must be in [0, 1), got 1.0"),
    ("label_smoothing", math.nan, "label_smoothing must be a finite number, got nan"),
    ("augment", "mixup", "augment must be one of none, flip, crop, crop_flip, altflip, crop_altflip, got 'mixup'"),
    ("crop_pixels", 0, "crop_pixels must be >= 1, got 0"),
    ("aux_weight", -0.3, "aux_weight must be >= 0, got -0.3"),
    ("seed", -1, "seed must be >= 0, got -1"),
    ("seed", "0", "seed must be a whole number, got '0' (str)"),
    ("jit_compile", "yes", "jit_compile must be true or false, got 'yes' (str)"),
    ("fused_batch_norm", 0, "fused_batch_norm must be true or false, got 0 (int)"),
    ("precision", "float16", "precision must be one of float32, mixed_float16, mixed_bfloat16, auto, got 'float16'"),
    ("strategy", "tpu", "strategy must be one of default, mirrored, multiworker, got 'tpu'"),
    ("val_split", 1.0, "the validation split must be a fraction in [0, 1), got 1.0"),
    ("val_split", -0.1, "the validation split must be a fraction in [0, 1), got -0.1"),
    ("tta", "crop", "tta must be one of none, flip, got 'crop'"),
    ("init_from", 3, "init_from must be a string, got 3 (int)"),
    ("freeze", 3, "freeze must be a string, got 3 (int)"),  # a layer name is checked against the model (finetune)
    ("train_subset", 0, "the training subset must be >= 1, got 0"),
    ("progressive_from", 0, "the progressive start size must be >= 1, got 0"),
    ("head_lr_factor", 0, "the head's learning-rate factor must be > 0, got 0.0"),
    ("ema", 1.0, "the weight average's decay must be a number in [0, 1), got 1.0"),
]


@pytest.mark.parametrize("name,value,message", BAD_SETTINGS)
def test_every_setting_is_checked(name, value, message):
    with pytest.raises(ConfigError, match=re.escape(message) + "$"):
        TrainConfig(**{name: value})
    with pytest.raises(ConfigError, match=re.escape(message)):  # a recorded config.json or a recipe row alike
        TrainConfig.from_dict({**TrainConfig().to_dict(), name: value})


def test_a_step_schedule_without_milestones_is_refused():
    """Without step_epochs the step schedule would silently be a constant rate."""
    with pytest.raises(ConfigError, match="the step schedule needs step_epochs"):
        TrainConfig(schedule="step")
    assert TrainConfig(schedule="step", step_epochs=[2]).step_epochs == [2]


def test_every_field_has_a_refused_value():
    assert {f.name for f in dataclasses.fields(TrainConfig)} == {name for name, _, _ in BAD_SETTINGS}


def test_settings_at_their_bounds_are_accepted_and_normalised():
    c = TrainConfig(lr=1, momentum=0, weight_decay=0, step_epochs=(30, np.int64(60)), lr_factor=1, warmup_epochs=0,
                    label_smoothing=0, aux_weight=0, seed=np.int64(3), val_split=0, epochs=np.int64(2))
    assert (c.lr, c.momentum, c.lr_factor, c.step_epochs, c.seed, c.epochs) == (1.0, 0.0, 1.0, [30, 60], 3, 2)
    assert type(c.lr) is float and type(c.seed) is int and type(c.step_epochs[1]) is int
    assert TrainConfig(momentum=None).momentum is None
    assert TrainConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c


def test_config_choices_are_the_implemented_ones():
    """config.py's choices (which the flags offer) are the names the implementations take."""
    from convnets.data.pipeline import AUGMENTATIONS
    from convnets.optim import OPTIMIZERS, SCHEDULES
    from convnets.train import config
    from convnets.train.precision import COMPUTE_DTYPES

    assert (config.OPTIMIZERS, config.SCHEDULES, config.AUGMENTATIONS) == (OPTIMIZERS, SCHEDULES, AUGMENTATIONS)
    assert config.PRECISIONS == (*COMPUTE_DTYPES, "auto")
    meta = {f.name: f.metadata for f in dataclasses.fields(TrainConfig)}
    assert {n for n, m in meta.items() if m["choices"]} == {"optimizer", "schedule", "augment", "precision", "strategy",
                                                          "tta"}
    assert all(m["help"] for m in meta.values())


def test_train_writes_run_and_learns(digits, tmp_path):
    cfg = TrainConfig(epochs=3, batch_size=64, lr=3e-3)
    metrics = train(fresh_model(), digits, cfg, tmp_path / "run", progress=False, log=lambda s: None)
    hist = pd.read_csv(tmp_path / "run" / "history.csv")
    assert list(hist["epoch"]) == [1, 2, 3]
    assert hist["loss"].iloc[-1] < hist["loss"].iloc[0]
    assert metrics["test_accuracy"] > 0.8
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    for key in ("model", "dataset", "epochs", "test_accuracy", "train_seconds", "images_per_second"):
        assert key in saved
    assert saved["machine"]["cores"] == os.cpu_count() and saved["machine"]["tensorflow"] == tf.__version__
    assert saved["validation"] == "test set" and hist["validation"].eq("test set").all()  # the curves are the test set's
    assert any((tmp_path / "run" / "logs").iterdir())
    model, spec, config = load_run(tmp_path / "run")
    assert config["model"]["name"] == "lenet5_modern" and spec.input_shape == (16, 16, 1)


def test_hold_out_is_seeded_stratified_and_disjoint(digits):
    rest, held = digits.hold_out(0.2, seed=3)
    again_rest, again_held = digits.hold_out(0.2, seed=3)
    np.testing.assert_array_equal(held.images, again_held.images)
    np.testing.assert_array_equal(rest.train.images, again_rest.train.images)
    assert not np.array_equal(held.images, digits.hold_out(0.2, seed=4)[1].images)
    # a partition of the training images: together they are exactly train, as a multiset
    together = sorted(x.tobytes() + bytes([y]) for x, y in zip([*rest.train.images, *held.images], [*rest.train.labels, *held.labels]))
    assert together == sorted(x.tobytes() + bytes([y]) for x, y in zip(digits.train.images, digits.train.labels))
    counts = np.bincount(digits.train.labels)
    assert np.bincount(held.labels).tolist() == [round(0.2 * c) for c in counts]  # each class gives its share
    assert rest.test is digits.test


def test_val_split_curves_hold_out_train_and_test_is_evaluated_once(digits, tmp_path):
    """--val-split: the per-epoch curves are a held-out part of train, named so in the
    log, history.csv and metrics.json; the test set is evaluated once, for the final numbers."""
    from convnets.data.pipeline import make_dataset
    from convnets.train import evaluate_dataset

    cfg = TrainConfig(epochs=2, batch_size=128, lr=3e-3, val_split=0.2)
    lines = []
    metrics = train(fresh_model(), digits, cfg, tmp_path / "r", progress=False, log=lines.append)
    rest, held = digits.hold_out(0.2, seed=0)
    hist = pd.read_csv(tmp_path / "r" / "history.csv")
    assert hist["images"].tolist() == [len(rest.train)] * 2
    described = f"20% of train ({len(held)} images), seed 0"
    assert hist["validation"].tolist() == [described] * 2 and metrics["validation"] == described
    epoch_lines = [line for line in lines if line.startswith("epoch")]
    assert len(epoch_lines) == 2 and all(" val_acc " in line and "test" not in line for line in epoch_lines)
    model, spec, _ = load_run(tmp_path / "r")
    on_test, _, _ = evaluate_dataset(model, make_dataset(digits, "test", spec, 128))
    on_held, _, _ = evaluate_dataset(model, make_dataset(dataclasses.replace(digits, test=held), "test", spec, 128))
    assert metrics["test_accuracy"] == pytest.approx(on_test.accuracy)
    assert hist["val_accuracy"].iloc[-1] == pytest.approx(on_held.accuracy) == pytest.approx(metrics["val_accuracy"])


def test_val_split_run_resumes_exactly(digits, tmp_path):
    tf.config.experimental.enable_op_determinism()
    cfg = TrainConfig(epochs=2, batch_size=64, lr=3e-3, val_split=0.25, seed=4)
    quiet = dict(progress=False, log=lambda s: None)
    straight = fresh_model(4)
    train(straight, digits, cfg, tmp_path / "a", **quiet)
    steps = math.ceil(len(digits.hold_out(0.25, seed=4)[0].train) / 64)
    with pytest.raises(KeyboardInterrupt), _ctrl_c_as_step_returns(steps + 5):
        train(fresh_model(4), digits, cfg, tmp_path / "b", **quiet)
    with pytest.raises(ConfigError, match="val_split 0.25 -> 0.1"):
        train(fresh_model(4), digits, cfg.updated(val_split=0.1), tmp_path / "b", resume=True, **quiet)
    resumed = fresh_model(4)
    train(resumed, digits, cfg, tmp_path / "b", resume=True, **quiet)
    for a, b in zip(straight.trainable_variables, resumed.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    a, b = pd.read_csv(tmp_path / "a" / "history.csv"), pd.read_csv(tmp_path / "b" / "history.csv")
    pd.testing.assert_frame_equal(a.drop(columns="train_seconds"), b.drop(columns="train_seconds"))


def test_curves_say_test_or_validation():
    """The per-epoch evaluation is labelled for what it is: "test" for the test set
    (and older runs, which always used it), the held-out part of train otherwise."""
    from convnets.viz.plots import plot_history

    h = pd.DataFrame({"epoch": [1, 2], "loss": [1.0, 0.5], "accuracy": [0.5, 0.7], "val_loss": [1.0, 0.6],
                      "val_accuracy": [0.5, 0.6], "images": [100, 100]})
    for history, label in ((h, "test"), (h.assign(validation="test set"), "test"),
                           (h.assign(validation="10% of train (144 images), seed 0"),
                            "validation: 10% of train (144 images), seed 0")):
        fig = plot_history(history)
        assert [ax.get_legend_handles_labels()[1] for ax in fig.axes] == [["train", label]] * 2


def test_resume_gives_identical_weights(digits, tmp_path):
    tf.config.experimental.enable_op_determinism()
    cfg = TrainConfig(epochs=2, batch_size=128, lr=3e-3, schedule="cosine", seed=3)
    quiet = dict(progress=False, log=lambda s: None)
    straight = fresh_model(3)
    train(straight, digits, cfg, tmp_path / "a", **quiet)

    def interrupt_after_first_epoch(line: str) -> None:
        if line.startswith("epoch 1/2"):  # logged after the epoch's checkpoint is written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(fresh_model(3), digits, cfg, tmp_path / "b", progress=False, log=interrupt_after_first_epoch)
    resumed = fresh_model(3)
    train(resumed, digits, cfg, tmp_path / "b", resume=True, **quiet)
    for a, b in zip(straight.trainable_variables, resumed.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert len(pd.read_csv(tmp_path / "b" / "history.csv")) == 2


@pytest.mark.parametrize("steps_per_call", [1, 8])
def test_interrupt_mid_epoch_resumes_to_identical_weights(digits, tmp_path, monkeypatch, steps_per_call):
    """A real Ctrl-C (SIGINT from another thread) inside epoch 2; the resumed run ends
    where an uninterrupted one does, to the bit. The loop's test-only pause hook holds
    it at step 100 until the signal arrives, so the place does not depend on speed. With 8 steps
    per call the interrupt lands after the call that took step 100: steps 99-106, batch 16."""
    import _thread
    import threading
    import time

    tf.config.experimental.enable_op_determinism()
    cfg = TrainConfig(epochs=3, batch_size=16, lr=3e-3, schedule="cosine", seed=5, steps_per_call=steps_per_call)
    quiet = dict(progress=False, log=lambda s: None)
    straight = fresh_model(5)
    train(straight, digits, cfg, tmp_path / "a", **quiet)

    marker = tmp_path / "paused"
    monkeypatch.setenv("CONVNETS_TEST_PAUSE_AT", "100")  # 90 batches an epoch: batch 10 of epoch 2
    monkeypatch.setenv("CONVNETS_TEST_PAUSE_FILE", str(marker))

    def ctrl_c_when_paused() -> None:
        while not marker.exists():
            time.sleep(0.05)
        _thread.interrupt_main()

    threading.Thread(target=ctrl_c_when_paused, daemon=True).start()
    lines = []
    with pytest.raises(KeyboardInterrupt):
        train(fresh_model(5), digits, cfg, tmp_path / "b", progress=False, log=lines.append)
    monkeypatch.delenv("CONVNETS_TEST_PAUSE_AT")
    batch = 10 if steps_per_call == 1 else 16
    assert f"interrupted in epoch 2 after batch {batch}; checkpoint saved in " + str(tmp_path / "b" / "checkpoints") \
        in lines
    resumed = fresh_model(5)
    train(resumed, digits, cfg, tmp_path / "b", resume=True, **quiet)
    for a, b in zip(straight.trainable_variables, resumed.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@contextlib.contextmanager
def _ctrl_c_as_step_returns(count: int):
    """Raise KeyboardInterrupt as the ``count``-th training step (over all epochs)
    returns: the step has updated the weights, but the loop never sees its loss and
    accuracy. That is where a real Ctrl-C usually lands (the signal waits for the
    running step), here at an exact, repeatable place."""
    from convnets.train import loop

    make, calls = loop.make_train_step, {"n": 0}

    def make_interrupted(*args, **kwargs):
        step = make(*args, **kwargs)

        def step_then_stop(x, y):
            out = step(x, y)
            calls["n"] += 1
            if calls["n"] == count:
                raise KeyboardInterrupt
            return out

        return step_then_stop

    loop.make_train_step = make_interrupted
    try:
        yield
    finally:
        loop.make_train_step = make


@pytest.mark.parametrize("stop_after", [20, "last"])
def test_interrupted_epoch_reports_its_whole_loss_and_accuracy(digits, tmp_path, stop_after):
    """An epoch stopped after batch k (or after its last batch, before validation)
    and resumed logs the same training loss, accuracy and image count as one that
    never stopped: the running sums are kept beside the checkpoint, and they include
    the step the interrupt landed in."""
    from convnets.train import loop

    tf.config.experimental.enable_op_determinism()
    cfg = TrainConfig(epochs=2, batch_size=64, lr=3e-3, schedule="cosine", seed=7)
    quiet = dict(progress=False, log=lambda s: None)
    train(fresh_model(7), digits, cfg, tmp_path / "a", **quiet)
    steps = math.ceil(len(digits.train) / 64)
    stop_at = steps + (stop_after if stop_after != "last" else steps)  # counted over both epochs

    with pytest.raises(KeyboardInterrupt), _ctrl_c_as_step_returns(stop_at):
        train(fresh_model(7), digits, cfg, tmp_path / "b", **quiet)
    assert (tmp_path / "b" / loop.PARTIAL_EPOCH).exists()
    train(fresh_model(7), digits, cfg, tmp_path / "b", resume=True, **quiet)
    assert not (tmp_path / "b" / loop.PARTIAL_EPOCH).exists()
    straight = pd.read_csv(tmp_path / "a" / "history.csv")
    resumed = pd.read_csv(tmp_path / "b" / "history.csv")
    for col in ("loss", "accuracy", "top5", "images", "val_loss", "val_accuracy"):
        np.testing.assert_array_equal(resumed[col].to_numpy(), straight[col].to_numpy(), err_msg=col)
    assert resumed["images"].tolist() == [len(digits.train)] * 2
    assert resumed["train_seconds"].iloc[1] > 0


def test_resume_without_saved_sums_records_nan_not_zero(digits, tmp_path):
    """A run stopped by an older version after an epoch's last batch has no saved
    sums: the epoch's training loss is unknown, written as NaN rather than a false 0."""
    from convnets.train import loop

    cfg = TrainConfig(epochs=1, batch_size=256, seed=1)
    quiet = dict(progress=False, log=lambda s: None)
    steps = math.ceil(len(digits.train) / 256)
    with pytest.raises(KeyboardInterrupt), _ctrl_c_as_step_returns(steps):
        train(fresh_model(1), digits, cfg, tmp_path / "r", **quiet)
    (tmp_path / "r" / loop.PARTIAL_EPOCH).unlink()
    lines = []
    train(fresh_model(1), digits, cfg, tmp_path / "r", resume=True, progress=False, log=lines.append)
    row = pd.read_csv(tmp_path / "r" / "history.csv").iloc[0]
    assert math.isnan(row["loss"]) and math.isnan(row["accuracy"]) and row["images"] == 0
    assert 0 < row["val_accuracy"] <= 1
    assert any(re.search(r"  loss +n/a  acc +n/a  test_loss", line) for line in lines), lines


def test_read_history_marks_legacy_empty_epochs_unknown(tmp_path):
    """Older runs wrote an epoch resumed after its last batch as loss 0, accuracy 0
    over 0 images; read back, those are NaN (a gap in the curves), the rest intact."""
    from convnets.train.checkpoint import read_history

    pd.DataFrame({"epoch": [1, 2], "loss": [1.2, 0.0], "accuracy": [0.6, 0.0], "top5": [0.9, 0.0],
                  "val_accuracy": [0.6, 0.65], "images": [500, 0]}).to_csv(tmp_path / "history.csv", index=False)
    h = read_history(tmp_path)
    assert h["loss"].tolist()[0] == 1.2 and h["accuracy"].tolist()[0] == 0.6
    assert h[["loss", "accuracy", "top5"]].iloc[1].isna().all()
    assert h["val_accuracy"].tolist() == [0.6, 0.65]


def test_existing_run_and_mismatched_resume_refused(digits, tmp_path):
    quiet = dict(progress=False, log=lambda s: None)
    cfg = TrainConfig(epochs=1, batch_size=256)
    train(fresh_model(), digits, cfg, tmp_path / "r", **quiet)
    with pytest.raises(ConfigError, match="already holds a run"):
        train(fresh_model(), digits, cfg, tmp_path / "r", **quiet)
    other = convnets.create_model("lenet5")
    with pytest.raises(ConfigError, match="cannot resume.*model"):
        train(other, digits, cfg, tmp_path / "r", resume=True, **quiet)
    import dataclasses

    other_data = dataclasses.replace(digits, name="folder:/elsewhere")
    with pytest.raises(ConfigError, match="cannot resume.*dataset"):
        train(fresh_model(), other_data, cfg, tmp_path / "r", resume=True, **quiet)
    with pytest.raises(ConfigError, match="cannot resume.*optimizer"):
        train(fresh_model(), digits, TrainConfig(epochs=2, optimizer="sgd"), tmp_path / "r", resume=True, **quiet)
    with pytest.raises(ConfigError, match="no checkpoint"):
        train(fresh_model(), digits, cfg, tmp_path / "empty", resume=True, **quiet)


def test_resume_refuses_a_changed_recipe_but_extends_epochs(digits, tmp_path, capsys):
    """--resume continues the recorded recipe: a changed setting would silently rewrite it
    (and break the exact resume), so it is refused with each difference listed; only the
    epochs may change, with a warning when the schedule depends on them (cosine)."""
    quiet = dict(progress=False, log=lambda s: None)
    cfg = TrainConfig(epochs=1, batch_size=256, lr=3e-3, schedule="cosine")
    train(fresh_model(), digits, cfg, tmp_path / "r", **quiet)
    changed = cfg.updated(lr=1e-4, batch_size=128)
    with pytest.raises(ConfigError, match=r"cannot resume: .* batch_size 256 -> 128, lr 0\.003 -> 0\.0001; only --epochs"):
        train(fresh_model(), digits, changed, tmp_path / "r", resume=True, **quiet)
    assert json.loads((tmp_path / "r" / "config.json").read_text())["train"]["lr"] == 3e-3  # not rewritten
    capsys.readouterr()
    metrics = train(fresh_model(), digits, cfg.updated(epochs=2), tmp_path / "r", resume=True, **quiet)
    assert metrics["epochs"] == 2 and len(pd.read_csv(tmp_path / "r" / "history.csv")) == 2
    assert "warning: epochs 1 -> 2" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="already trained 2 epochs"):
        train(fresh_model(), digits, cfg, tmp_path / "r", resume=True, **quiet)


def test_model_without_classifier_is_refused(digits, tmp_path):
    """include_top=False leaves pooled features, not class scores: training a softmax over
    them would 'work' and mean nothing."""
    init.set_seed(0)
    headless = convnets.create_model("mobilenet_v2", input_shape=(32, 32, 1), num_classes=10, alpha=0.35, include_top=False)
    with pytest.raises(ConfigError, match="model was built with include_top=False: it has no classifier"):
        train(headless, digits, TrainConfig(epochs=1), tmp_path / "r", progress=False, log=lambda s: None)
    assert not (tmp_path / "r").exists()


def test_run_files_are_created_with_the_umask(digits, tmp_path):
    """Run files are as readable as any file the user writes (0644 under umask 022),
    not owner-only as a temporary file is made."""
    old = os.umask(0o022)
    try:
        train(fresh_model(), digits, TrainConfig(epochs=1, batch_size=256), tmp_path / "r", progress=False, log=lambda s: None)
    finally:
        os.umask(old)
    run = tmp_path / "r"
    files = [run / "config.json", run / "history.csv", run / "metrics.json", *(run / "checkpoints").iterdir()]
    assert {f.name: oct(f.stat().st_mode & 0o777) for f in files} == {f.name: "0o644" for f in files}


@pytest.mark.parametrize("native", [True, False])
def test_precision_auto_is_bfloat16_only_where_the_cpu_multiplies_it(digits, tmp_path, monkeypatch, native):
    """``auto`` becomes mixed_bfloat16 on a CPU with bfloat16 arithmetic (AMX, AVX-512 BF16) and float32 elsewhere
    (emulated bfloat16 is slower); the run trains in it, says so, and config.json keeps what it became."""
    import convnets.machine
    from convnets.train.config import ran_as_asked
    from convnets.train.precision import compute_dtype, resolve

    monkeypatch.setattr(convnets.machine, "native_bfloat16", lambda: native)
    want = "mixed_bfloat16" if native else "float32"
    assert resolve("auto") == want and resolve("float32") == "float32" and resolve("mixed_float16") == "mixed_float16"
    assert compute_dtype("auto") == (tf.bfloat16 if native else tf.float32)
    # a record of the run counts as the recipe's whichever way "auto" went; a fixed precision must match
    assert ran_as_asked(want, "auto") and ran_as_asked("float32", "float32")
    assert not ran_as_asked("mixed_float16", "auto") and not ran_as_asked("mixed_bfloat16", "float32")
    lines: list[str] = []
    metrics = train(fresh_model(), digits, TrainConfig(epochs=2, batch_size=64, lr=3e-3, precision="auto"),
                    tmp_path / "r",
                    progress=False, log=lines.append)
    assert json.loads((tmp_path / "r" / "config.json").read_text())["train"]["precision"] == want
    assert lines[0].startswith(f"precision auto: {want}") and metrics["test_accuracy"] > 0.5


def test_steps_per_call_takes_the_same_steps(digits, tmp_path):
    """Several steps per call (batches taken inside the graph) train the same network as one step per call:
    the same batches in the same order, the same updates, the same sums; 23 batches an epoch, 5 a call."""
    tf.config.experimental.enable_op_determinism()
    quiet = dict(progress=False, log=lambda s: None)
    runs = {}
    for k in (1, 5):
        cfg = TrainConfig(epochs=2, batch_size=64, lr=3e-3, schedule="cosine", seed=2, augment="flip", steps_per_call=k)
        model = fresh_model(2)
        metrics = train(model, digits, cfg, tmp_path / f"k{k}", **quiet)
        runs[k] = model, metrics, pd.read_csv(tmp_path / f"k{k}" / "history.csv")
    (one, m1, h1), (five, m5, h5) = runs[1], runs[5]
    for a, b in zip(one.trainable_variables, five.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h1["loss"], h5["loss"], rtol=1e-5)
    assert list(h1["images"]) == list(h5["images"]) == [1437, 1437]
    assert m1["test_accuracy"] == m5["test_accuracy"]


def test_divergence_stops_with_step_and_keeps_checkpoint(digits, tmp_path):
    model = fresh_model()

    def blow_up_after_epoch_1(line: str) -> None:  # logged after epoch 1's checkpoint is written
        if line.startswith("epoch 1/"):  # weights gone NaN: epoch 2's first loss is NaN, as when lr is far too high
            for v in model.trainable_variables:
                v.assign(tf.fill(v.shape, math.nan))

    cfg = TrainConfig(epochs=3, batch_size=256, optimizer="sgd", lr=0.01)
    diverged = r"at step 7 \(epoch 2\); the last good checkpoint \(epoch 1\).*lower learning rate"
    with pytest.raises(TrainingDiverged, match=diverged):
        train(model, digits, cfg, tmp_path / "r", progress=False, log=blow_up_after_epoch_1)
    model, _, _ = load_run(tmp_path / "r")  # the epoch-1 checkpoint is intact
    assert all(np.all(np.isfinite(v.numpy())) for v in model.variables)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_memory_does_not_grow_across_epochs(digits, tmp_path):
    """Resident memory after epoch 5 is within 10% of after epoch 2 (nothing accumulates)."""
    rss = {}

    def record(line: str) -> None:
        if line.startswith("epoch "):
            rss[int(line.split()[1].split("/")[0])] = _rss_bytes()

    train(fresh_model(), digits, TrainConfig(epochs=5, batch_size=64), tmp_path / "r", progress=False, log=record)
    assert rss[5] <= 1.10 * rss[2], {k: v // 2**20 for k, v in rss.items()}


def test_flip_tta_averages_each_image_with_its_mirror_and_is_reported_beside(digits, tmp_path):
    """``tta="flip"``: the probabilities are the mean of the image's and its mirror's softmax; training
    reports it as test_accuracy_tta beside the plain test_accuracy (which it never replaces), and a run
    resumes with another tta (it is only the final test)."""
    from convnets.data.pipeline import PreprocessSpec, make_dataset
    from convnets.evaluate import evaluate_run
    from convnets.train.loop import evaluate_dataset

    model = fresh_model()
    spec = PreprocessSpec.for_dataset(digits, model.input_shape)
    data = make_dataset(digits, "test", spec, 64)
    _, labels, probs = evaluate_dataset(model, data, tta="flip")
    x = np.concatenate([b.numpy() for b, _ in data])
    expected = (tf.nn.softmax(model(x)) + tf.nn.softmax(model(x[:, :, ::-1]))).numpy() / 2
    np.testing.assert_allclose(probs, expected, rtol=1e-4, atol=1e-6)
    plain = evaluate_dataset(model, data)[2]
    assert not np.allclose(plain, probs)  # the mirror changed something: digits are not symmetric
    with pytest.raises(ConfigError, match="test-time augmentation"):
        evaluate_dataset(model, data, tta="crop")

    out = tmp_path / "run"
    config = TrainConfig(epochs=1, batch_size=64, optimizer="adam", lr=2e-3, tta="flip")
    metrics = train(fresh_model(), digits, config, out, progress=False, log=lambda s: None)
    assert metrics["tta"] == "flip" and 0 < metrics["test_accuracy_tta"] <= 1
    assert metrics["test_accuracy"] == json.loads((out / "metrics.json").read_text())["test_accuracy"]
    assert metrics["test_accuracy_tta"] == pytest.approx(evaluate_run(out, tta="flip")["tta"]["test_accuracy"])
    again = train(fresh_model(), digits, dataclasses.replace(config, epochs=1, tta="none"), out, resume=True,
                  progress=False, log=lambda s: None)
    assert "test_accuracy_tta" not in again and again["test_accuracy"] == metrics["test_accuracy"]


def test_weight_average_follows_its_rule_and_swaps_back():
    """``average += (weights - average) * (1 - min(decay, (1 + t) / (10 + t)))`` after step t; ``applied()``
    puts the averages in the model and the trained weights back after."""
    from convnets.optim.ema import WeightAverage

    v = tf.Variable([1.0, -2.0])
    ema = WeightAverage([v], 0.9)
    np.testing.assert_array_equal(ema.averages[0].numpy(), [1.0, -2.0])  # starts at the weights
    expected = np.array([1.0, -2.0])
    for t, new in enumerate(([3.0, 0.0], [5.0, 4.0], [5.0, 4.0]), start=1):
        v.assign(new)
        ema.update(tf.constant(t, tf.int64))
        rate = min(0.9, (1 + t) / (10 + t))
        expected = rate * expected + (1 - rate) * np.array(new)
        np.testing.assert_allclose(ema.averages[0].numpy(), expected, rtol=1e-6)
    with ema.applied():
        np.testing.assert_allclose(v.numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(v.numpy(), [5.0, 4.0])
    with pytest.raises(ConfigError, match="decay must be in \\(0, 1\\)"):
        WeightAverage([v], 1.0)


def test_ema_run_evaluates_the_average_saves_it_and_resumes_exactly(digits, tmp_path):
    """With ``ema``, each epoch's test and the final metrics are the averaged weights', ``load_run`` (so evaluate,
    predict, export and fine-tuning) gets the average, and an interrupted run resumes to the same average."""
    from convnets.evaluate import evaluate_run
    from convnets.train.checkpoint import latest_checkpoint

    tf.config.experimental.enable_op_determinism()
    cfg = TrainConfig(epochs=2, batch_size=128, optimizer="adam", lr=3e-3, schedule="cosine", seed=3, ema=0.95)
    quiet = dict(progress=False, log=lambda s: None)
    trained = fresh_model(3)
    metrics = train(trained, digits, cfg, tmp_path / "a", **quiet)
    assert metrics["test_accuracy"] > 0.5
    assert evaluate_run(tmp_path / "a")["test_accuracy"] == pytest.approx(metrics["test_accuracy"])
    averaged, _, _ = load_run(tmp_path / "a")
    last = fresh_model(3)
    tf.train.Checkpoint(model=last).restore(latest_checkpoint(tmp_path / "a")).expect_partial()
    for t, s in zip(trained.variables, last.variables):  # the checkpoint's model is the last weights
        np.testing.assert_array_equal(t.numpy(), s.numpy())
    moved = [not np.array_equal(a.numpy(), s.numpy()) for a, s in zip(averaged.trainable_variables,
                                                                       last.trainable_variables)]
    assert all(moved)  # every weight's average differs from the last weights

    def interrupt_after_first_epoch(line: str) -> None:
        if line.startswith("epoch 1/2"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(fresh_model(3), digits, cfg, tmp_path / "b", progress=False, log=interrupt_after_first_epoch)
    again = train(fresh_model(3), digits, cfg, tmp_path / "b", resume=True, **quiet)
    assert again["test_accuracy"] == metrics["test_accuracy"]
    for a, b in zip(averaged.variables, load_run(tmp_path / "b")[0].variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_progressive_sizes_grow_over_the_first_half_then_stay_full():
    """EfficientNetV2's progressive learning (Sec. 4), its image-size half: linear growth, then full size."""
    from convnets.train.config import progressive_sizes

    assert progressive_sizes(TrainConfig(epochs=7, progressive_from=16), (28, 28, 1)) == \
        [(16, 16), (20, 20), (24, 24)] + [(28, 28)] * 4
    assert progressive_sizes(TrainConfig(epochs=4, progressive_from=16), (32, 64, 3)) == \
        [(16, 32), (24, 48), (32, 64), (32, 64)]  # the shorter side grows; the aspect ratio stays
    assert progressive_sizes(TrainConfig(epochs=3), (28, 28, 1)) == [(28, 28)] * 3
    with pytest.raises(ConfigError, match=r"smaller than the model's input \(28x28\), got 28"):
        progressive_sizes(TrainConfig(epochs=3, progressive_from=28), (28, 28, 1))


def test_progressive_resizing_trains_small_then_full_and_resumes_exactly(digits, tmp_path):
    """The first epochs train on smaller images (history.csv's train_size), every test is at full size,
    and a run interrupted between sizes resumes to the same weights as one that never stopped."""
    tf.config.experimental.enable_op_determinism()
    cfg = TrainConfig(epochs=4, batch_size=128, optimizer="adam", lr=3e-3, schedule="cosine", seed=3,
                      progressive_from=8, steps_per_call=4)
    quiet = dict(progress=False, log=lambda s: None)
    straight = fresh_model(3, "nin_mini")
    metrics = train(straight, digits, cfg, tmp_path / "a", **quiet)
    history = pd.read_csv(tmp_path / "a" / "history.csv")
    assert list(history["train_size"]) == ["8x8", "12x12", "16x16", "16x16"]
    assert metrics["test_accuracy"] > 0.4 and straight.input_shape == (16, 16, 1)  # chance: 0.1; 48 steps
    with pytest.raises(Exception, match="built for 16x16x1 inputs, got 12x12x1"):  # the model stays its size elsewhere
        fresh_model(3, "nin_mini")(np.zeros((1, 12, 12, 1), np.float32))

    def interrupt_after_first_epoch(line: str) -> None:
        if line.startswith("epoch 1/4"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(fresh_model(3, "nin_mini"), digits, cfg, tmp_path / "b", progress=False, log=interrupt_after_first_epoch)
    resumed = fresh_model(3, "nin_mini")
    train(resumed, digits, cfg, tmp_path / "b", resume=True, **quiet)
    for a, b in zip(straight.variables, resumed.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_progressive_resizing_refuses_a_classifier_on_a_fixed_map(digits, tmp_path):
    """LeNet-5's classifier flattens its last map: smaller images give it another length; said before any
    training, as is an image too small for the convolutions."""
    with pytest.raises(ConfigError, match=r"lenet5_modern cannot train on 8x8 images \(progressive resizing\): C3 "
                                          r"sees 4x4: a map of size 4 is smaller than the kernel 5"):
        train(fresh_model(), digits, TrainConfig(epochs=2, progressive_from=8), tmp_path / "run", progress=False)
    cfg = TrainConfig(epochs=2, progressive_from=14)
    with pytest.raises(ConfigError, match=r"lenet5_modern cannot train on 14x14 images \(progressive resizing\): its "
                                          r"classifier takes the 2x2x16 feature map of the 16x16 input it was built "
                                          r"for, and 14x14 images give 1x1x16"):
        train(fresh_model(), digits, cfg, tmp_path / "run", progress=False, log=lambda s: None)
    assert not (tmp_path / "run").exists()
