"""The training loop: a ``tf.GradientTape`` step compiled with ``tf.function``,
an epoch loop that validates, logs, and checkpoints, and resumes exactly.

Resuming restores the model, the optimiser (slots, step count and so the
learning-rate schedule position), the epoch counter and the random generator;
the data order depends only on (seed, epoch). So a run stopped after epoch k
and resumed ends with the same weights as one that never stopped.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import tensorflow as tf
from tqdm.auto import tqdm

from convnets.data.datasets import Dataset
from convnets.data.pipeline import PreprocessSpec, make_dataset, steps_per_epoch
from convnets.errors import ConfigError, ConvnetsError
from convnets.layers import BatchNorm, init
from convnets.machine import machine_info
from convnets.models import Model
from convnets.optim import make_optimizer, make_schedule
from convnets.train.checkpoint import latest_checkpoint, read_config, read_history, restore, write_atomic, write_json
from convnets.train.config import TrainConfig
from convnets.train.distribute import is_chief, is_distributed, scope, worker_task
from convnets.train.losses import cross_entropy
from convnets.train.metrics import EpochSums, Mean, topk_hits
from convnets.train.precision import DynamicLossScale, compute_dtype


class TrainingDiverged(ConvnetsError):
    """The loss became NaN or infinite."""


def _split_outputs(out: Any) -> tuple[tf.Tensor, list[tf.Tensor]]:
    """Models with auxiliary heads (GoogLeNet) return (logits, [aux, ...]) in training."""
    if isinstance(out, tuple):
        logits, aux = out
        return logits, list(aux)
    return out, []


def make_train_step(model: Model, optimizer: Any, config: TrainConfig, input_shape: tuple[int, ...],
                    strategy: tf.distribute.Strategy | None = None,
                    loss_scale: DynamicLossScale | None = None, sums: EpochSums | None = None) -> Callable:
    """The compiled training step: ``step(x, y) -> (mean loss, top-1 hits, top-5 hits, images)``.

    Under a ``tf.distribute`` strategy, ``x`` and ``y`` come from a distributed
    dataset; each replica runs the same step on its share and the gradients are
    averaged (all-reduced) before the update. With ``sums``, the step also adds its
    outputs to them, in the same graph execution as the update.
    """
    dtype = compute_dtype(config.precision)
    distributed = is_distributed(strategy)
    for layer in model.submodules:  # the same arithmetic either way; fused is one kernel (layers/norm.py)
        if isinstance(layer, BatchNorm):
            layer.fused = config.fused_batch_norm

    def replica_step(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
        variables = model.trainable_variables
        with tf.GradientTape() as tape:
            logits, aux = _split_outputs(model(tf.cast(x, dtype), training=True))
            loss = cross_entropy(y, logits, config.label_smoothing)
            total = loss + sum(config.aux_weight * cross_entropy(y, a, config.label_smoothing) for a in aux)
            if loss_scale is not None:
                total = loss_scale.scaled(total)
        grads = tape.gradient(total, variables)
        if distributed:
            have = [i for i, g in enumerate(grads) if g is not None]
            reduced = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.MEAN, [grads[i] for i in have])
            grads = [None] * len(grads)
            for i, g in zip(have, reduced):
                grads[i] = g
        if loss_scale is None:
            optimizer.apply(grads, variables)
        else:
            grads, finite = loss_scale.unscale(grads)

            def skip() -> tf.Tensor:  # overflow: no update, but the step counts (schedule, resume)
                optimizer.iterations.assign_add(1)
                return tf.constant(False)

            def update() -> tf.Tensor:
                optimizer.apply(grads, variables)
                return tf.constant(True)

            tf.cond(finite, update, skip)
        return loss, topk_hits(y, logits, 1), topk_hits(y, logits, 5), tf.shape(y, out_type=tf.int64)[0]

    if not distributed:
        def one_device_step(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
            outputs = replica_step(x, y)
            if sums is not None:
                sums.add(*outputs)
            return outputs

        spec = (tf.TensorSpec((None, *input_shape), tf.float32), tf.TensorSpec((None,), tf.int64))
        return tf.function(one_device_step, input_signature=spec, jit_compile=config.jit_compile or None)

    per_replica = tf.function(replica_step, jit_compile=True) if config.jit_compile else replica_step

    @tf.function
    def train_step(x: Any, y: Any) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
        loss, top1, top5, n = strategy.run(per_replica, args=(x, y))
        mean, total = tf.distribute.ReduceOp.MEAN, tf.distribute.ReduceOp.SUM
        outputs = (strategy.reduce(mean, loss, axis=None), strategy.reduce(total, top1, axis=None),
                   strategy.reduce(total, top5, axis=None), strategy.reduce(total, n, axis=None))
        if sums is not None:
            sums.add(*outputs)
        return outputs

    return train_step


def make_eval_step(model: Model, input_shape: tuple[int, ...], jit_compile: bool = False) -> Callable:
    spec = (tf.TensorSpec((None, *input_shape), tf.float32),)

    @tf.function(input_signature=spec, jit_compile=jit_compile or None)
    def logits_of(x: tf.Tensor) -> tf.Tensor:
        return tf.cast(model(x, training=False), tf.float32)

    return logits_of


def evaluate_dataset(model: Model, data: tf.data.Dataset, logits_of: Callable | None = None) -> tuple[Mean, np.ndarray, np.ndarray]:
    """Loss/accuracy over a dataset, plus all labels and softmax probabilities."""
    logits_of = logits_of or make_eval_step(model, model.input_shape)
    meter, labels, probs = Mean(), [], []
    for x, y in data:
        logits = logits_of(x)
        meter.update(float(cross_entropy(y, logits)), int(topk_hits(y, logits, 1)), int(topk_hits(y, logits, 5)), int(y.shape[0]))
        labels.append(y.numpy())
        probs.append(tf.nn.softmax(logits).numpy())
    return meter, np.concatenate(labels), np.concatenate(probs)


def _check_resume(out: Path, run_config: dict[str, Any], resume: bool) -> None:
    """Refuse to overwrite a run, or to resume one with another model, data set or recipe.

    Resuming must keep every training setting, or the run would no longer be what its
    config.json says (nor match an uninterrupted run); only the epochs may change
    (train() warns when that moves the schedule).
    """
    has_ckpt = latest_checkpoint(out) is not None
    if not resume:
        if has_ckpt:
            raise ConfigError(f"{out} already holds a run; pass --resume to continue it or choose another --out")
        return
    if not has_ckpt:
        raise ConfigError(f"cannot resume: {out} has no checkpoint")
    old = read_config(out)
    if old.get("train") is None:
        raise ConfigError(f"{out} was converted from Keras, not trained here; it cannot be resumed")
    checks = [("model", old.get("model"), run_config["model"]), ("dataset", old.get("dataset"), run_config["dataset"])]
    for what, before, now in checks:
        if before != now:
            raise ConfigError(f"cannot resume: {out} was trained with {what} {before}, not {now}")
    before = TrainConfig.from_dict(old["train"]).to_dict()  # settings added since the run was made: their defaults
    now = run_config["train"]
    changed = [f"{k} {before.get(k)!r} -> {v!r}" for k, v in now.items() if k != "epochs" and before.get(k) != v]
    if changed:
        raise ConfigError(f"cannot resume: {out} was trained with other settings: {', '.join(changed)}; "
                          "only --epochs may change when resuming (use another --out for a new run)")


PARTIAL_EPOCH = "partial_epoch.json"

# Test-only: CONVNETS_TEST_PAUSE_AT=N (an optimiser step) or "end" (after the last epoch's
# checkpoint, before the final metrics) makes the loop write the file CONVNETS_TEST_PAUSE_FILE
# and wait there for a signal, so a test interrupts at an exact point on any machine.
PAUSE_AT, PAUSE_FILE = "CONVNETS_TEST_PAUSE_AT", "CONVNETS_TEST_PAUSE_FILE"


def _pause_for_test(seconds: float = 600.0) -> None:
    Path(os.environ[PAUSE_FILE]).write_text(os.environ[PAUSE_AT])
    deadline = time.monotonic() + seconds  # never wait forever if the test is gone
    while time.monotonic() < deadline:
        time.sleep(0.05)


def _read_partial_epoch(out: Path, epoch: int, step: int) -> tuple[Mean, float] | None:
    """The running sums and seconds an interrupted ``epoch`` had reached at optimiser ``step``, if saved.

    A missing, unreadable or stale file (from another checkpoint) only costs the
    epoch's training statistics, never the weights: it is ignored.
    """
    try:
        saved = json.loads((out / PARTIAL_EPOCH).read_text())
        if saved["epoch"] == epoch and saved["step"] == step:
            return Mean.from_state(saved["meter"]), float(saved["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _epoch_line(epoch: int, epochs: int, trained: Mean | None, evaluated: Mean, name: str, speed: float,
                seconds: float) -> str:
    """One epoch's log line, in fixed-width columns so a log of them reads as a table."""
    def num(x: float | None) -> str:
        return f"{x:7.4f}" if x is not None else f"{'n/a':>7}"

    return (f"epoch {epoch:>{len(str(epochs))}}/{epochs}  loss {num(trained.loss if trained else None)}  "
            f"acc {num(trained.accuracy if trained else None)}  {name}_loss {num(evaluated.loss)}  "
            f"{name}_acc {num(evaluated.accuracy)}  {speed:7.0f} img/s  {seconds:7.1f}s")


def train(
    model: Model,
    dataset: Dataset,
    config: TrainConfig,
    out_dir: str | os.PathLike[str],
    resume: bool = False,
    progress: bool = True,
    data_dir: str | None = None,
    log: Callable[[str], None] = lambda s: print(s, flush=True),
    strategy: tf.distribute.Strategy | None = None,
) -> dict[str, Any]:
    """Train ``model`` on ``dataset`` and write a run directory; return the final metrics.

    ``log`` gets one line per epoch (fixed-width columns) and the resume/interrupt
    status lines; by default they go to stdout. ``progress`` draws a live bar, on
    stderr when it is a terminal, or in a notebook. Warnings go to stderr.

    With a ``tf.distribute`` strategy, build the model inside
    ``convnets.train.distribute.scope(strategy)``. Under MultiWorkerMirroredStrategy
    only the chief writes ``out_dir``; the other workers write to a hidden
    ``.worker-N`` folder in it (every worker must save checkpoints).
    """
    out = Path(out_dir)
    distributed = is_distributed(strategy)
    if distributed:
        if not all(isinstance(v, tf.distribute.DistributedValues) for v in model.trainable_variables[:1]):
            raise ConfigError("with a distribution strategy, create the model inside "
                              "convnets.train.distribute.scope(strategy)")
        if not is_chief():
            out = out / f".worker-{worker_task()[1]}"
    input_shape = model.input_shape
    spec = PreprocessSpec.for_dataset(dataset, input_shape)
    if not (getattr(model, "include_top", True) and model.config.get("options", {}).get("include_top", True)):
        raise ConfigError("model was built with include_top=False: it has no classifier; its outputs are pooled "
                          "features, not class scores, so there is nothing to train a softmax on. Leave include_top out")
    if model.num_classes < dataset.num_classes:
        raise ConfigError(f"model has {model.num_classes} outputs but {dataset.name} has {dataset.num_classes} classes")
    held = None  # with val_split: the training images held out for the per-epoch curves
    if config.val_split > 0:
        dataset, held = dataset.hold_out(config.val_split, config.seed)
    validation = "test set" if held is None else f"{config.val_split * 100:g}% of train ({len(held):,} images), seed {config.seed}"
    run_config = {
        "model": model.config,
        "dataset": dataset.name,
        "data_source": dataset.source,
        "data_dir": os.fspath(Path(data_dir).resolve()) if data_dir else None,
        "class_names": dataset.class_names,
        "preprocess": spec.to_dict(),
        "train": config.to_dict(),
    }
    _check_resume(out, run_config, resume)

    steps = steps_per_epoch(dataset.train, config.batch_size)
    schedule = make_schedule(
        config.schedule, config.lr, steps * config.epochs, steps, config.step_epochs, config.lr_factor, config.warmup_epochs
    )
    with scope(strategy):
        optimizer = make_optimizer(config.optimizer, schedule, config.momentum, config.weight_decay)
        optimizer.build(model.trainable_variables)
        epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")  # completed epochs
        batches_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="batches")  # done in the current epoch
        loss_scale = DynamicLossScale() if config.precision == "mixed_float16" else None
    parts = dict(model=model, optimizer=optimizer, epoch=epoch_var, batches=batches_var, rng=init.generator())
    if loss_scale is not None:
        parts["loss_scale"] = loss_scale
    ckpt = tf.train.Checkpoint(**parts)
    manager = tf.train.CheckpointManager(ckpt, os.fspath(out / "checkpoints"), max_to_keep=3)
    history: list[dict[str, Any]] = []
    partial = None  # (running sums, seconds) of the interrupted epoch, when resuming one
    if resume:
        restore(ckpt, manager.latest_checkpoint)
        recorded = read_config(out)["train"]["epochs"]
        if int(epoch_var.numpy()) > config.epochs:
            raise ConfigError(f"cannot resume: {out} has already trained {int(epoch_var.numpy())} epochs, "
                              f"more than the {config.epochs} asked for")
        if recorded != config.epochs and config.schedule == "cosine":
            print(f"warning: epochs {recorded} -> {config.epochs}: the cosine schedule is recomputed over "
                  f"{config.epochs} epochs, so this run will match neither an uninterrupted {recorded}- nor "
                  f"{config.epochs}-epoch run exactly", file=sys.stderr)
        if (out / "history.csv").exists():
            history = read_history(out).to_dict("records")
        history = [h for h in history if h["epoch"] <= int(epoch_var.numpy())]
        done = int(batches_var.numpy())
        partial = _read_partial_epoch(out, int(epoch_var.numpy()) + 1, int(optimizer.iterations.numpy())) if done else None
        log(f"resuming {out} from epoch {int(epoch_var.numpy())}" + (f", batch {done} of epoch {int(epoch_var.numpy()) + 1}" if done else ""))
    write_json(out / "config.json", run_config)

    sums = EpochSums()  # the current epoch's loss and hits, added to by the step itself
    train_step = make_train_step(model, optimizer, config, input_shape, strategy, loss_scale, sums)
    logits_of = make_eval_step(model, input_shape, config.jit_compile)
    test_data = make_dataset(dataset, "test", spec, config.batch_size)
    val_data = test_data if held is None else make_dataset(replace(dataset, test=held), "test", spec, config.batch_size)
    val_name = "test" if held is None else "val"  # what the log calls the per-epoch evaluation
    writer = tf.summary.create_file_writer(os.fspath(out / "logs"))
    train_seconds = sum(h.get("train_seconds", 0.0) for h in history)
    images_seen = sum(h.get("images", 0) for h in history)
    val = Mean()

    # Batches of the current epoch are counted from the optimiser's step counter, so
    # a checkpoint taken on Ctrl-C says exactly how many were applied, wherever the
    # signal lands (even during tracing, or a step that finished as it arrived).
    # mark = (completed epochs, optimiser step when the current epoch began), replaced
    # in one assignment so an interrupt sees the old pair or the new, never half.
    mark = (int(epoch_var.numpy()), int(optimizer.iterations.numpy()) - int(batches_var.numpy()))
    bar = meter = seconds = sums_epoch = None  # sums_epoch: the epoch the sums were started for
    saved_step = int(optimizer.iterations.numpy()) if resume else None  # of the newest checkpoint
    start, earlier_seconds = time.perf_counter(), 0.0
    pause_at = os.environ.get(PAUSE_AT)
    # Redirected to a file, a bar is only carriage returns in the log; a notebook draws it as a widget.
    live_bar = progress and (sys.stderr.isatty() or "ipykernel" in sys.modules)
    try:
        for epoch in range(int(epoch_var.numpy()), config.epochs):
            skip = int(batches_var.numpy())  # > 0 only when resuming an interrupted epoch
            data = make_dataset(dataset, "train", spec, config.batch_size, True, config.seed, epoch, config.augment)
            meter, earlier_seconds = partial or (Mean(), 0.0)
            sums.load(meter)
            sums_epoch = epoch
            partial, seconds = None, None  # seconds: set once the epoch's batches are done
            bar = tqdm(total=steps, initial=skip, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not live_bar,
                       leave=False, file=sys.stderr)
            start = time.perf_counter()
            batches = data.skip(skip)
            if distributed:
                batches = strategy.experimental_distribute_dataset(batches)
            for x, y in batches:
                loss, top1, top5, n = train_step(x, y)
                loss = float(loss)
                if not math.isfinite(loss):
                    step = int(optimizer.iterations.numpy())
                    raise TrainingDiverged(
                        f"loss became {loss} at step {step} (epoch {epoch + 1}); the last good checkpoint "
                        f"(epoch {int(epoch_var.numpy())}) is kept in {out / 'checkpoints'}. "
                        f"Try a lower learning rate, e.g. --lr {config.lr / 10:g}"
                    )
                if pause_at is not None and pause_at == str(int(optimizer.iterations.numpy())):
                    _pause_for_test()
                bar.update(1)
                if not bar.disable and (bar.n % 10 == 0 or bar.n == steps):
                    elapsed, so_far = time.perf_counter() - start, sums.read()
                    bar.set_postfix(loss=f"{so_far.loss:.4f}", acc=f"{so_far.accuracy:.4f}",
                                    img_s=f"{(so_far.n - meter.n) / elapsed:.0f}")
            seconds = time.perf_counter() - start + earlier_seconds
            meter = sums.read()
            bar.close()
            train_seconds += seconds
            images_seen += meter.n
            val, _, _ = evaluate_dataset(model, val_data, logits_of)
            lr_now = float(optimizer.learning_rate.numpy())
            # A run stopped after an epoch's last batch by an older version kept no sums: NaN, not 0.
            seen = meter.n > 0
            row = {
                "epoch": epoch + 1, "loss": meter.loss if seen else math.nan,
                "accuracy": meter.accuracy if seen else math.nan, "top5": meter.top5_accuracy if seen else math.nan,
                "val_loss": val.loss, "val_accuracy": val.accuracy, "val_top5": val.top5_accuracy,
                "lr": lr_now, "train_seconds": seconds, "images": meter.n, "validation": validation,
            }
            history.append(row)
            with writer.as_default(step=epoch + 1):
                for k in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
                    tf.summary.scalar(k, row[k])
            mark = (epoch + 1, int(optimizer.iterations.numpy()))
            epoch_var.assign(epoch + 1)
            batches_var.assign(0)
            manager.save(checkpoint_number=int(optimizer.iterations.numpy()))
            saved_step = int(optimizer.iterations.numpy())
            write_atomic(out / "history.csv", pd.DataFrame(history).to_csv(index=False))
            (out / PARTIAL_EPOCH).unlink(missing_ok=True)
            log(_epoch_line(epoch + 1, config.epochs, meter if seen else None, val, val_name, meter.n / seconds, seconds))
        if pause_at == "end":
            _pause_for_test()
        if held is not None or val.n == 0:  # the curves were not the test set, or a finished run was resumed
            test, _, _ = evaluate_dataset(model, test_data, logits_of)  # once, at the end
        else:
            test = val
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        done, epoch_start = mark
        epoch_var.assign(done)
        batches_var.assign(int(optimizer.iterations.numpy()) - epoch_start)
        if saved_step != int(optimizer.iterations.numpy()):  # else the newest checkpoint is this state
            manager.save(checkpoint_number=int(optimizer.iterations.numpy()))
        if int(batches_var.numpy()) > 0 and sums_epoch == done:
            # The checkpoint holds the weights; this holds the epoch's running loss,
            # accuracy and time so far, so the resumed epoch reports the whole epoch.
            write_json(out / PARTIAL_EPOCH, {
                "epoch": done + 1, "step": int(optimizer.iterations.numpy()),
                "seconds": seconds if seconds is not None else time.perf_counter() - start + earlier_seconds,
                "meter": sums.read().state(),
            })
        # The signal may land between an epoch's checkpoint and its history row: write
        # the rows the checkpoint covers, so a resumed run's history has every epoch.
        rows = [h for h in history if h["epoch"] <= done]
        if rows:
            write_atomic(out / "history.csv", pd.DataFrame(rows).to_csv(index=False))
        if done == config.epochs:
            log(f"interrupted after the last epoch, before the final metrics; checkpoint saved in {out / 'checkpoints'}")
        else:
            log(f"interrupted in epoch {done + 1} after batch {int(batches_var.numpy())}; checkpoint "
                f"saved in {out / 'checkpoints'}")
        raise
    writer.flush()
    metrics = {
        "model": model.config["name"],
        "dataset": dataset.name,
        "epochs": config.epochs,
        "test_accuracy": test.accuracy,
        "test_top5": test.top5_accuracy,
        "test_loss": test.loss,
        "validation": validation,  # what the per-epoch val_* columns of history.csv evaluated
        **({"val_accuracy": history[-1]["val_accuracy"]} if held is not None and history else {}),
        "train_seconds": train_seconds,
        "images_per_second": images_seen / train_seconds if train_seconds else 0.0,
        "trainable_params": model.trainable_params,
        "seed": config.seed,
        "machine": machine_info(),
    }
    write_json(out / "metrics.json", metrics)
    return metrics
