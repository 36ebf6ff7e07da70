"""The training loop: a ``tf.GradientTape`` step compiled with ``tf.function``,
an epoch loop that validates, logs, and checkpoints, and resumes exactly.

``train`` reads as the loop it is; the parts are named: ``TrainState``
(convnets/train/state.py) is what a checkpoint holds and saves or restores it,
``RunDir`` (convnets/train/run_dir.py) the run directory's other files and the
resume checks, ``run_epoch`` one epoch's batches.

Resuming restores the model, the optimiser (slots, step count and so the
learning-rate schedule position), the epoch counter and the random generator;
the data order depends only on (seed, epoch). So a run stopped after epoch k
and resumed ends with the same weights as one that never stopped.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
from tqdm.auto import tqdm

from convnets import import_tensorflow
from convnets.data.datasets import Dataset, Split
from convnets.data.pipeline import PreprocessSpec, make_dataset, steps_per_epoch
from convnets.errors import ConfigError, ConvnetsError
from convnets.layers import BatchNorm
from convnets.machine import machine_info
from convnets.models import Model
from convnets.optim.ema import WeightAverage
from convnets.train.checkpoint import read_config
from convnets.train.config import TTA_MODES, TrainConfig, progressive_sizes
from convnets.train.distribute import is_chief, is_distributed, worker_task
from convnets.train.finetune import copy_weights, fine_tune_spec
from convnets.train.losses import cross_entropy
from convnets.train.metrics import EpochSums, Mean, topk_hits
from convnets.train.precision import DynamicLossScale, compute_dtype
from convnets.train.precision import resolve as resolve_precision
from convnets.train.run_dir import PARTIAL_EPOCH, RunDir
from convnets.train.state import TrainState

tf = import_tensorflow()  # once, quietly (convnets/train/__init__.py)

__all__ = ["PARTIAL_EPOCH", "TrainingDiverged", "evaluate_dataset", "make_eval_step", "make_multi_step",
           "make_train_step", "run_epoch", "train"]


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
                    loss_scale: DynamicLossScale | None = None, sums: EpochSums | None = None,
                    ema: WeightAverage | None = None) -> Callable:
    """The compiled training step: ``step(x, y) -> (mean loss, top-1 hits, top-5 hits, images)``.

    Under a ``tf.distribute`` strategy, ``x`` and ``y`` come from a distributed
    dataset; each replica runs the same step on its share and the gradients are
    averaged (all-reduced) before the update. With ``sums``, the step also adds its
    outputs to them, in the same graph execution as the update; with ``ema``, it
    moves the weight average after the update.
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
        if ema is not None:
            ema.update(optimizer.iterations)
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


def make_multi_step(step: Callable) -> Callable:
    """``steps(iterator, n) -> last loss``: ``n`` training steps in one call, each batch taken from the
    tf.data ``iterator`` inside the graph. The same steps as ``n`` calls of ``step`` (which adds every
    batch to the epoch's sums), without a return to Python between them: for a small network the
    per-call work (dispatch, the iterator's next batch, reading the loss) costs as much as the step."""

    @tf.function
    def steps(iterator: Any, n: tf.Tensor) -> tf.Tensor:
        loss = tf.constant(0.0, tf.float32)
        for _ in tf.range(n):
            x, y = next(iterator)
            loss = tf.cast(step(x, y)[0], tf.float32)
        return loss

    return steps


def make_eval_step(model: Model, input_shape: tuple[int, ...], jit_compile: bool = False) -> Callable:
    spec = (tf.TensorSpec((None, *input_shape), tf.float32),)

    @tf.function(input_signature=spec, jit_compile=jit_compile or None)
    def logits_of(x: tf.Tensor) -> tf.Tensor:
        return tf.cast(model(x, training=False), tf.float32)

    return logits_of


def flip_averaged(logits_of: Callable) -> Callable:
    """Flip test-time augmentation: each image and its mirror (left-right) classified, the two softmaxes
    averaged; returned as log-probabilities, which are logits of that average for the loss and top-k."""
    def both(x: tf.Tensor) -> tf.Tensor:
        p = (tf.nn.softmax(logits_of(x)) + tf.nn.softmax(logits_of(tf.reverse(x, axis=[2])))) / 2
        return tf.math.log(tf.maximum(p, 1e-30))
    return both


def check_tta(tta: str) -> None:
    """Refuse a test-time augmentation this module does not implement."""
    if tta not in TTA_MODES:
        raise ConfigError(f"unknown test-time augmentation {tta!r}; expected one of {', '.join(TTA_MODES)}")


def _batch_stats(logits_of: Callable, tta: str, input_shape: tuple[int, ...]) -> Callable:
    """``(x, y) -> (mean loss, top-1 hits, top-5 hits, probabilities)`` as one compiled call per batch: as
    separate eager ops they cost more than a small network's forward pass. Built once per ``logits_of``
    and test-time augmentation (the training loop evaluates every epoch with the same ones)."""
    per_tta = getattr(logits_of, "_convnets_batch_stats", None)  # kept on the function: gone with it
    if per_tta is None:
        per_tta = {}
        logits_of._convnets_batch_stats = per_tta  # type: ignore[attr-defined]
    if tta not in per_tta:
        logits = flip_averaged(logits_of) if tta == "flip" else logits_of
        spec = (tf.TensorSpec((None, *input_shape), tf.float32), tf.TensorSpec((None,), tf.int64))

        @tf.function(input_signature=spec)
        def batch_stats(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, ...]:
            z = logits(x)
            return cross_entropy(y, z), topk_hits(y, z, 1), topk_hits(y, z, 5), tf.nn.softmax(z)

        per_tta[tta] = batch_stats
    return per_tta[tta]


def evaluate_dataset(model: Model, data: tf.data.Dataset, logits_of: Callable | None = None,
                     tta: str = "none") -> tuple[Mean, np.ndarray, np.ndarray]:
    """Loss/accuracy over a dataset, plus all labels and softmax probabilities (``tta="flip"``: of each
    image and its mirror averaged, ``flip_averaged``)."""
    check_tta(tta)
    logits_of = logits_of or make_eval_step(model, model.input_shape)
    batch_stats = _batch_stats(logits_of, tta, model.input_shape)
    meter, labels, probs = Mean(), [], []
    for x, y in data:
        loss, top1, top5, p = batch_stats(x, tf.cast(y, tf.int64))
        meter.update(float(loss), int(top1), int(top5), int(y.shape[0]))
        labels.append(y.numpy())
        probs.append(p.numpy())
    return meter, np.concatenate(labels), np.concatenate(probs)


# Test-only: CONVNETS_TEST_PAUSE_AT=N (an optimiser step) or "end" (after the last epoch's
# checkpoint, before the final metrics) makes the loop write the file CONVNETS_TEST_PAUSE_FILE
# and wait there for a signal, so a test interrupts at an exact point on any machine.
PAUSE_AT, PAUSE_FILE = "CONVNETS_TEST_PAUSE_AT", "CONVNETS_TEST_PAUSE_FILE"


def _pause_for_test(seconds: float = 600.0) -> None:
    Path(os.environ[PAUSE_FILE]).write_text(os.environ[PAUSE_AT])
    deadline = time.monotonic() + seconds  # never wait forever if the test is gone
    while time.monotonic() < deadline:
        time.sleep(0.05)


def _calls(train_step: Callable, multi_step: Callable | None, batches: Iterable, k: int,
           remaining: int) -> Iterable[tuple[int, float]]:
    """Run the epoch's ``remaining`` batches, ``k`` per call with ``multi_step`` (None: one ``train_step`` per
    batch); yield after each call the steps it took and the last one's loss."""
    if multi_step is None:
        for x, y in batches:
            yield 1, float(train_step(x, y)[0])
        return
    iterator = iter(batches)
    while remaining > 0:
        n = min(k, remaining)
        loss = float(multi_step(iterator, tf.constant(n, tf.int64)))
        remaining -= n
        yield n, loss


def run_epoch(state: TrainState, train_step: Callable, batches: Iterable, epoch: int,
              partial: tuple[Mean, float] | None = None, live_bar: bool = False,
              multi_step: Callable | None = None) -> tuple[Mean, float]:
    """Train on ``epoch``'s ``batches`` (0-based; the rest of them when resuming it from
    ``partial``, its saved sums and seconds); return its loss/accuracy sums and training
    seconds. ``train_step`` adds each batch to ``state.sums`` as it updates the weights;
    ``multi_step`` (``make_multi_step``) runs ``config.steps_per_call`` of them per call."""
    first = state.start_epoch(epoch, partial)
    pause_at = os.environ.get(PAUSE_AT)
    bar = tqdm(total=state.steps_per_epoch, initial=state.batches, desc=f"epoch {epoch + 1}/{state.config.epochs}",
               disable=not live_bar, leave=False, file=sys.stderr)
    try:
        for n, loss in _calls(train_step, multi_step, batches, state.config.steps_per_call,
                              state.steps_per_epoch - state.batches):
            if not math.isfinite(loss):
                where = f"step {state.step}" if n == 1 else f"steps {state.step - n + 1}-{state.step}"
                raise TrainingDiverged(
                    f"loss became {loss} at {where} (epoch {epoch + 1}); the last good checkpoint "
                    f"(epoch {state.epoch}) is kept in {state.manager.directory}. "
                    f"Try a lower learning rate, e.g. --lr {state.config.lr / 10:g}"
                )
            if pause_at is not None and pause_at.isdigit() and state.step - n < int(pause_at) <= state.step:
                _pause_for_test()
            bar.update(n)
            if not bar.disable and (bar.n % 10 < n or bar.n == bar.total):
                so_far = state.sums.read()
                bar.set_postfix(loss=f"{so_far.loss:.4f}", acc=f"{so_far.accuracy:.4f}",
                                img_s=f"{(so_far.n - first.n) / state.batch_seconds():.0f}")
        return state.finish_batches()
    finally:
        bar.close()


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
    run = RunDir(_run_path(out_dir, model, strategy))
    if config.precision == "auto":  # what this machine runs fastest; config.json keeps the outcome
        config = config.updated(precision=resolve_precision("auto"))
        log(f"precision auto: {config.precision}" + (" (this CPU multiplies bfloat16 in hardware)"
                                                     if config.precision == "mixed_bfloat16" else ""))
    if config.train_subset is not None:  # one fixed sample for every seed: runs differ by their seed alone
        dataset = dataset.subset(train=config.train_subset, seed=0)
    spec = PreprocessSpec.for_dataset(dataset, model.input_shape)
    _check_trainable(model, dataset)
    sizes = progressive_sizes(config, model.input_shape)  # each epoch's training images (H, W)
    for size in dict.fromkeys(sizes):
        model.allow_training_size(size)
    if config.init_from is not None and resume:  # the checkpoint holds the weights; config.json the normalisation
        spec = PreprocessSpec.from_dict(read_config(run.path)["preprocess"])
    elif config.init_from is not None:
        started = copy_weights(model, config.init_from)
        fresh = f"; fresh: {', '.join(started['fresh'][:4])}" + (" ..." if len(started["fresh"]) > 4 else "")
        log(f"started from {config.init_from} ({started['source_model']}): {started['copied']} variables, "
            f"{started['values']:,} values copied{fresh if started['fresh'] else ''}")
        spec = fine_tune_spec(spec, started["preprocess"])
    if config.freeze != "none":
        model.freeze_features(None if config.freeze == "backbone" else config.freeze)
    held = None  # with val_split: the training images held out for the per-epoch curves
    if config.val_split > 0:
        dataset, held = dataset.hold_out(config.val_split, config.seed)
    run_config = _run_config(model, dataset, spec, config, data_dir)
    run.check_start(run_config, resume)
    state = TrainState(model, config, steps_per_epoch(dataset.train, config.batch_size), run.checkpoints, strategy)
    if config.head_lr_factor != 1.0:
        state.optimizer.scale_learning_rate(model.head_variables(), config.head_lr_factor)
    history, partial = _resume(state, run, log) if resume else ([], None)
    run.write_config(run_config)

    steps: dict[tuple[int, int], tuple[Callable, Callable | None]] = {}

    def steps_for(size: tuple[int, int]) -> tuple[Callable, Callable | None]:
        """The compiled step for training images of ``size`` (a graph for each size), and several of them per
        call on one device (a distributed dataset's batches come to Python per step)."""
        if size not in steps:
            step = make_train_step(model, state.optimizer, config, (*size, model.input_shape[2]), strategy,
                                   state.loss_scale, state.sums, state.ema)
            many = config.steps_per_call > 1 and not is_distributed(strategy)
            steps[size] = (step, make_multi_step(step) if many else None)
        return steps[size]

    averaged = state.ema.applied if state.ema is not None else contextlib.nullcontext  # what evaluation sees
    logits_of = make_eval_step(model, model.input_shape, config.jit_compile)
    test_data = make_dataset(dataset, "test", spec, config.batch_size)
    val_data = test_data if held is None else make_dataset(replace(dataset, test=held), "test", spec, config.batch_size)
    writer = tf.summary.create_file_writer(os.fspath(run.logs))
    # Redirected to a file, a bar is only carriage returns in the log; a notebook draws it as a widget.
    live_bar = progress and (sys.stderr.isatty() or "ipykernel" in sys.modules)
    val = Mean()
    try:
        for epoch in range(state.epoch, config.epochs):
            size = sizes[epoch]
            epoch_spec = spec if size == spec.input_shape[:2] else replace(spec, input_shape=(*size, spec.input_shape[2]))
            batches = _epoch_batches(dataset, epoch_spec, config, epoch, state.batches, strategy)
            train_step, multi_step = steps_for(size)
            meter, seconds = run_epoch(state, train_step, batches, epoch, partial, live_bar, multi_step)
            partial = None
            with averaged():
                val, _, _ = evaluate_dataset(model, val_data, logits_of)
            history.append(_history_row(epoch, meter, val, seconds, state, _validation(config, held), size))
            _summarise(writer, history[-1])
            state.end_epoch(epoch)  # the checkpoint
            run.write_history(history)
            run.clear_partial_epoch()
            log(_epoch_line(history[-1], config.epochs, "test" if held is None else "val"))
        if os.environ.get(PAUSE_AT) == "end":
            _pause_for_test()
        if held is None and val.n:  # the last epoch's curves were the test set's
            test = val
        else:  # the curves were not the test set, or a finished run was resumed: evaluate it, once, at the end
            with averaged():
                test = evaluate_dataset(model, test_data, logits_of)[0]
    except KeyboardInterrupt:
        _save_interrupted(state, run, history, log)
        raise
    writer.flush()
    metrics = _final_metrics(model, dataset, config, test, history, _validation(config, held), held is not None)
    if config.tta != "none":  # beside the plain numbers, never instead of them
        with averaged():
            tta = evaluate_dataset(model, test_data, logits_of, config.tta)[0]
        metrics.update(tta=config.tta, test_accuracy_tta=tta.accuracy, test_top5_tta=tta.top5_accuracy)
        log(f"test accuracy with {config.tta} test-time augmentation: {tta.accuracy:.4f} (plain {test.accuracy:.4f})")
    run.write_metrics(metrics)
    return metrics


def _run_path(out_dir: str | os.PathLike[str], model: Model, strategy: tf.distribute.Strategy | None) -> Path:
    """``out_dir``, or under MultiWorkerMirroredStrategy for a worker other than the chief its ``.worker-N`` in it."""
    out = Path(out_dir)
    if not is_distributed(strategy):
        return out
    if not all(isinstance(v, tf.distribute.DistributedValues) for v in model.trainable_variables[:1]):
        raise ConfigError("with a distribution strategy, create the model inside "
                          "convnets.train.distribute.scope(strategy)")
    return out if is_chief() else out / f".worker-{worker_task()[1]}"


def _check_trainable(model: Model, dataset: Dataset) -> None:
    """Refuse a model without a classifier, or with fewer outputs than ``dataset`` has classes."""
    if not (getattr(model, "include_top", True) and model.config.get("options", {}).get("include_top", True)):
        raise ConfigError("model was built with include_top=False: it has no classifier; its outputs are pooled "
                          "features, not class scores, so there is nothing to train a softmax on. "
                          "Leave include_top out")
    if model.num_classes < dataset.num_classes:
        raise ConfigError(f"model has {model.num_classes} outputs but {dataset.name} has {dataset.num_classes} classes")


def _run_config(model: Model, dataset: Dataset, spec: PreprocessSpec, config: TrainConfig,
                data_dir: str | None) -> dict[str, Any]:
    """config.json: what rebuilds the model and its input, and the training settings."""
    return {
        "model": model.config,
        "dataset": dataset.name,
        "data_source": dataset.source,
        "data_dir": os.fspath(Path(data_dir).resolve()) if data_dir else None,
        "class_names": dataset.class_names,
        "preprocess": spec.to_dict(),
        "train": config.to_dict(),
    }


def _validation(config: TrainConfig, held: Split | None) -> str:
    """What the per-epoch val_* columns evaluate."""
    if held is None:
        return "test set"
    return f"{config.val_split * 100:g}% of train ({len(held):,} images), seed {config.seed}"


def _resume(state: TrainState, run: RunDir, log: Callable[[str], None]) -> tuple[list[dict[str, Any]],
                                                                                tuple[Mean, float] | None]:
    """Restore the newest checkpoint; return the history rows it covers, and the sums and
    seconds of the epoch it interrupted, if it did and they were saved."""
    config = state.config
    state.restore()
    recorded = run.recorded_epochs()
    if state.epoch > config.epochs:
        raise ConfigError(f"cannot resume: {run.path} has already trained {state.epoch} epochs, "
                          f"more than the {config.epochs} asked for")
    if recorded != config.epochs and config.schedule == "cosine":
        print(f"warning: epochs {recorded} -> {config.epochs}: the cosine schedule is recomputed over "
              f"{config.epochs} epochs, so this run will match neither an uninterrupted {recorded}- nor "
              f"{config.epochs}-epoch run exactly", file=sys.stderr)
    history = run.history(upto=state.epoch)
    done = state.batches
    partial = run.read_partial_epoch(state.epoch + 1, state.step) if done else None
    log(f"resuming {run.path} from epoch {state.epoch}"
        + (f", batch {done} of epoch {state.epoch + 1}" if done else ""))
    return history, partial


def _epoch_batches(dataset: Dataset, spec: PreprocessSpec, config: TrainConfig, epoch: int, skip: int,
                   strategy: tf.distribute.Strategy | None) -> Iterable:
    """Epoch ``epoch``'s training batches after the first ``skip`` (its order depends only on the seed and epoch)."""
    data = make_dataset(dataset, "train", spec, config.batch_size, True, config.seed, epoch, config.augment,
                        config.crop_pixels)
    batches = data.skip(skip)
    return strategy.experimental_distribute_dataset(batches) if is_distributed(strategy) else batches


def _history_row(epoch: int, meter: Mean, val: Mean, seconds: float, state: TrainState,
                 validation: str, size: tuple[int, int]) -> dict[str, Any]:
    """history.csv's row for ``epoch`` (0-based)."""
    seen = meter.n > 0  # a run stopped after an epoch's last batch by an older version kept no sums: NaN, not 0
    return {
        "epoch": epoch + 1, "loss": meter.loss if seen else math.nan,
        "accuracy": meter.accuracy if seen else math.nan, "top5": meter.top5_accuracy if seen else math.nan,
        "val_loss": val.loss, "val_accuracy": val.accuracy, "val_top5": val.top5_accuracy,
        "lr": float(state.optimizer.learning_rate.numpy()), "train_seconds": seconds, "images": meter.n,
        "train_size": f"{size[0]}x{size[1]}", "validation": validation,
    }


def _summarise(writer: Any, row: dict[str, Any]) -> None:
    """TensorBoard's curves: an epoch's loss, accuracy and learning rate."""
    with writer.as_default(step=row["epoch"]):
        for k in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
            tf.summary.scalar(k, row[k])


def _epoch_line(row: dict[str, Any], epochs: int, name: str) -> str:
    """One epoch's log line, in fixed-width columns so a log of them reads as a table."""
    def num(x: float) -> str:
        return f"{x:7.4f}" if not math.isnan(x) else f"{'n/a':>7}"

    return (f"epoch {row['epoch']:>{len(str(epochs))}}/{epochs}  loss {num(row['loss'])}  acc {num(row['accuracy'])}  "
            f"{name}_loss {num(row['val_loss'])}  {name}_acc {num(row['val_accuracy'])}  "
            f"{row['images'] / row['train_seconds']:7.0f} img/s  {row['train_seconds']:7.1f}s")


def _save_interrupted(state: TrainState, run: RunDir, history: list[dict[str, Any]],
                      log: Callable[[str], None]) -> None:
    """On Ctrl-C (or SIGTERM, which the command line turns into it): checkpoint the run where it
    stopped, with the interrupted epoch's sums, so the resumed run ends as an uninterrupted one."""
    done = state.save_interrupted()
    partial = state.partial_epoch()
    if partial is not None:
        run.write_partial_epoch(partial)
    # The signal may land between an epoch's checkpoint and its history row: write
    # the rows the checkpoint covers, so a resumed run's history has every epoch.
    rows = [h for h in history if h["epoch"] <= done]
    if rows:
        run.write_history(rows)
    where = ("after the last epoch, before the final metrics" if done == state.config.epochs
             else f"in epoch {done + 1} after batch {state.batches}")
    log(f"interrupted {where}; checkpoint saved in {run.checkpoints}")


def _final_metrics(model: Model, dataset: Dataset, config: TrainConfig, test: Mean, history: list[dict[str, Any]],
                   validation: str, held_out: bool) -> dict[str, Any]:
    """metrics.json: the test set's numbers, the training time and the machine."""
    train_seconds = sum(h.get("train_seconds", 0.0) for h in history)
    return {
        "model": model.config["name"],
        "dataset": dataset.name,
        "epochs": config.epochs,
        "test_accuracy": test.accuracy,
        "test_top5": test.top5_accuracy,
        "test_loss": test.loss,
        "validation": validation,  # what the per-epoch val_* columns of history.csv evaluated
        **({"val_accuracy": history[-1]["val_accuracy"]} if held_out and history else {}),
        "train_seconds": train_seconds,
        "images_per_second": sum(h.get("images", 0) for h in history) / train_seconds if train_seconds else 0.0,
        "trainable_params": model.trainable_params,
        "seed": config.seed,
        "machine": machine_info(),
    }
