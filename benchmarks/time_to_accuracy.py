"""Wall seconds to a target test accuracy, the same recipe in convnets, Keras and PyTorch.

    python benchmarks/time_to_accuracy.py                       # the two default tasks, three frameworks
    python benchmarks/time_to_accuracy.py --task lenet5_mnist --frameworks convnets

Tasks: a model, a data set and a target; the recipe is the library's own for that pair
(``convnets.recipes.recipe_for``, read when the script runs, so the benchmark follows the recipes):
- ``lenet5_mnist``: ``lenet5_modern`` on MNIST to 99.0% (Adam, half an epoch of warm-up into a cosine,
  label smoothing 0.1, batch 128, 6 epochs).
- ``vgg_mini_fashion``: ``vgg_mini`` on Fashion-MNIST (28x28) to 91.0% (AdamW, one epoch of warm-up into
  a cosine, weight decay 0.05, label smoothing 0.1, flips, batch 256, 10 epochs).
- ``resnet20_fashion``, ``mobilenet_v1_mini_fashion``, ``alexnet_mini_fashion``, ``nin_mini_fashion``,
  ``squeezenet_mini_fashion``, ``efficientnet_mini_fashion``, ``mobilenet_v3_mini_fashion``,
  ``preact_resnet20_fashion``, ``wrn10_2_fashion``, ``se_resnet20_fashion``: the other
  minis with a Keras and a PyTorch twin (``reference_models``), on their Fashion-MNIST recipes and builder options
  (NiN's mini without dropout).

Each framework sees the same normalised images in the same order (one NumPy
permutation per epoch), starts from weights drawn from our initialisers
(``reference_models`` sets Keras's and PyTorch's to match) and is evaluated on the full test set after every
epoch; the clock (training and evaluation, not start-up) stops at the first
epoch that reaches the target. Writes benchmarks/results/time_to_accuracy.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

import convnets  # before anything imports TensorFlow: the library's oneDNN default applies to every framework here
from convnets.machine import describe

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from throughput import machine, onednn_label  # noqa: E402  one machine record for both benchmarks

# name: (model, data set, target). The settings are the model's recipe for the data set.
TASKS = {
    "lenet5_mnist": ("lenet5_modern", "mnist", 0.99),
    "vgg_mini_fashion": ("vgg_mini", "fashion_mnist", 0.91),
    "resnet20_fashion": ("resnet20", "fashion_mnist", 0.91),
    "mobilenet_v1_mini_fashion": ("mobilenet_v1_mini", "fashion_mnist", 0.91),
    "alexnet_mini_fashion": ("alexnet_mini", "fashion_mnist", 0.91),
    "nin_mini_fashion": ("nin_mini", "fashion_mnist", 0.91),
    "squeezenet_mini_fashion": ("squeezenet_mini", "fashion_mnist", 0.91),
    "efficientnet_mini_fashion": ("efficientnet_mini", "fashion_mnist", 0.91),
    "mobilenet_v3_mini_fashion": ("mobilenet_v3_mini", "fashion_mnist", 0.91),
    "preact_resnet20_fashion": ("preact_resnet20", "fashion_mnist", 0.91),
    "wrn10_2_fashion": ("wrn10_2", "fashion_mnist", 0.91),
    "se_resnet20_fashion": ("se_resnet20", "fashion_mnist", 0.91),
}
DEFAULT_TASKS = ("lenet5_mnist", "vgg_mini_fashion")  # the two quickest races; the minis with --task (~15 min each)
RUNNERS_IMPLEMENT = {"optimizer": ("adam", "adamw"), "schedule": ("cosine",), "augment": ("none", "flip")}


def task_settings(name: str) -> dict[str, Any]:
    """The task's recipe as the three runners take it; refuses settings they do not all implement."""
    from convnets.recipes import model_options_for, recipe_for

    model, dataset, target = TASKS[name]
    r = recipe_for(model, dataset)
    unsupported = {k: getattr(r, k) for k, done in RUNNERS_IMPLEMENT.items() if getattr(r, k) not in done}
    if r.ema:
        unsupported["ema"] = r.ema
    if unsupported:
        raise SystemExit(f"{name}: the recipe of {model} on {dataset} has settings the Keras and PyTorch runners "
                         f"do not implement: {unsupported}")
    # Every framework computes in float32: a recipe's precision "auto" (bfloat16 on CPUs with bfloat16 arithmetic)
    # is left out of the race, whose twins in Keras and PyTorch run float32 (benchmarks/precision.py times it).
    # The recipe's builder options besides the input shape (NiN's mini drops its dropout): the twins take them too.
    options = {k: v for k, v in model_options_for(model, dataset).items() if k != "input_shape"}
    if set(options) - {"dropout"}:
        raise SystemExit(f"{name}: the Keras and PyTorch twins take no options but dropout; the recipe has {options}")
    return dict(model=model, dataset=dataset, target=target, options=options, epochs=r.epochs, batch=r.batch_size,
                optimizer=r.optimizer, lr=r.lr, weight_decay=r.weight_decay, warmup_epochs=r.warmup_epochs,
                label_smoothing=r.label_smoothing, flip=r.augment == "flip")


def load(task: dict, data_dir: str | None, subset: int | None) -> tuple[np.ndarray, ...]:
    from convnets.data import load_dataset

    ds = load_dataset(task["dataset"], data_dir, allow_download=False)
    if subset:
        ds = ds.subset(subset, max(1000, subset // 5))
    mean, std = np.float32(ds.mean[0]), np.float32(ds.std[0])
    norm = lambda a: ((a.astype(np.float32) / 255.0) - mean) / std  # noqa: E731
    return norm(ds.train.images), ds.train.labels.astype(np.int64), norm(ds.test.images), ds.test.labels.astype(np.int64)


def epoch_batches(task: dict, xtr: np.ndarray, ytr: np.ndarray, epoch: int, seed: int = 0):
    """One epoch's (images, labels) batches: the same order and flips for every framework."""
    order = np.random.default_rng(seed * 1000 + epoch).permutation(len(xtr))
    for step, i in enumerate(range(0, len(xtr), task["batch"])):
        idx = order[i:i + task["batch"]]
        x = xtr[idx]
        if task["flip"]:
            flip = np.random.default_rng((epoch, step)).random(len(idx)) < 0.5
            x = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
        yield x, ytr[idx]


def learning_rates(task: dict, steps_per_epoch: int) -> np.ndarray:
    """The recipe's rate at every step, from the library's own schedule (a warm-up into a cosine,
    ``convnets.optim.make_schedule``), for the Keras and PyTorch runners to set step by step."""
    from convnets.optim import make_schedule

    total = steps_per_epoch * task["epochs"]
    schedule = make_schedule("cosine", task["lr"], total, steps_per_epoch, warmup_epochs=task["warmup_epochs"])
    return schedule(np.arange(total, dtype=np.float32)).numpy()


def run_convnets(task: dict, data: tuple, report: Callable[[int, float], bool]) -> None:
    import tensorflow as tf

    from convnets.optim import make_optimizer, make_schedule
    from convnets.train.config import TrainConfig
    from convnets.train.loop import make_eval_step, make_train_step

    xtr, ytr, xte, yte = data
    shape = xtr.shape[1:]
    steps = -(-len(xtr) // task["batch"])
    model = convnets.create_model(task["model"], input_shape=shape, num_classes=10, **task["options"])
    schedule = make_schedule("cosine", task["lr"], steps * task["epochs"], steps, warmup_epochs=task["warmup_epochs"])
    opt = make_optimizer(task["optimizer"], schedule, weight_decay=task["weight_decay"])
    opt.build(model.trainable_variables)
    step = make_train_step(model, opt, TrainConfig(label_smoothing=task["label_smoothing"]), shape)
    logits_of = make_eval_step(model, shape)
    for epoch in range(task["epochs"]):
        for x, y in epoch_batches(task, xtr, ytr, epoch):
            step(tf.constant(x), tf.constant(y))
        pred = np.concatenate([logits_of(tf.constant(xte[i:i + 1000])).numpy().argmax(1) for i in range(0, len(xte), 1000)])
        if report(epoch + 1, float((pred == yte).mean())):
            return


def run_keras(task: dict, data: tuple, report: Callable[[int, float], bool]) -> None:
    import keras
    from reference_models import keras_model

    xtr, ytr, xte, yte = data
    steps = -(-len(xtr) // task["batch"])
    model = keras_model(task["model"], xtr.shape[1:], 10, **task["options"])
    rates, k, one_hot = learning_rates(task, steps), 0, np.eye(10, dtype=np.float32)
    opt = (keras.optimizers.AdamW(task["lr"], weight_decay=task["weight_decay"]) if task["optimizer"] == "adamw"
           else keras.optimizers.Adam(task["lr"]))  # epsilon 1e-7 in Keras and ours
    model.compile(optimizer=opt, loss=keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=task["label_smoothing"]))
    for epoch in range(task["epochs"]):
        for x, y in epoch_batches(task, xtr, ytr, epoch):
            opt.learning_rate.assign(rates[k])
            model.train_on_batch(x, one_hot[y])
            k += 1
        pred = np.concatenate([model.predict_on_batch(xte[i:i + 1000]).argmax(1) for i in range(0, len(xte), 1000)])
        if report(epoch + 1, float((pred == yte).mean())):
            return


def run_torch(task: dict, data: tuple, report: Callable[[int, float], bool]) -> None:
    import torch
    from reference_models import torch_model

    torch.manual_seed(0)
    xtr, ytr, xte, yte = data
    to_nchw = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2)))  # noqa: E731
    steps = -(-len(xtr) // task["batch"])
    model = torch_model(task["model"], xtr.shape[1:], 10, **task["options"])
    if task["optimizer"] == "adamw":  # decoupled decay of every parameter, as ours and Keras's
        opt = torch.optim.AdamW(model.parameters(), lr=task["lr"], eps=1e-7, weight_decay=task["weight_decay"])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=task["lr"], eps=1e-7)
    rates, k = learning_rates(task, steps), 0
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=task["label_smoothing"])
    xte_t = to_nchw(xte)
    for epoch in range(task["epochs"]):
        model.train()
        for x, y in epoch_batches(task, xtr, ytr, epoch):
            for g in opt.param_groups:
                g["lr"] = float(rates[k])
            opt.zero_grad(set_to_none=True)
            loss_fn(model(to_nchw(x)), torch.from_numpy(y)).backward()
            opt.step()
            k += 1
        model.eval()
        with torch.inference_mode():
            pred = torch.cat([model(xte_t[i:i + 1000]).argmax(1) for i in range(0, len(xte), 1000)]).numpy()
        if report(epoch + 1, float((pred == yte).mean())):
            return


RUNNERS = {"convnets": run_convnets, "keras": run_keras, "torch": run_torch}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default=",".join(DEFAULT_TASKS), help=f"comma-separated, of {', '.join(TASKS)}")
    p.add_argument("--frameworks", default="convnets,keras,torch")
    p.add_argument("--data-dir", default=os.environ.get("CONVNETS_DATA_DIR", str(ROOT.parent / "shared" / "data")))
    p.add_argument("--subset", type=int, help="train on this many images (a quick check, not a result)")
    p.add_argument("--target", type=float, help="override the task's target accuracy")
    p.add_argument("--epochs", type=int, help="override the task's epoch budget")
    p.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "time_to_accuracy.json")
    p.add_argument("--md", type=Path, default=ROOT / "docs" / "time_to_accuracy.md")
    p.add_argument("--from-json", type=Path, help="no training: rewrite the Markdown from this JSON")
    args = p.parse_args()
    if args.from_json:
        args.md.write_text(markdown(json.loads(args.from_json.read_text())))
        return
    if "torch" in args.frameworks:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
    results = []
    for name in args.task.split(","):
        if name not in TASKS:
            raise SystemExit(f"unknown task {name!r}; expected one of {', '.join(TASKS)}")
        task = task_settings(name)
        task.update({k: v for k, v in (("target", args.target), ("epochs", args.epochs)) if v is not None})
        data = load(task, args.data_dir, args.subset)
        for fw in args.frameworks.split(","):
            curve: list[dict[str, Any]] = []
            start = time.perf_counter()

            def report(epoch: int, accuracy: float) -> bool:
                curve.append({"epoch": epoch, "accuracy": accuracy, "seconds": time.perf_counter() - start})
                print(f"{name} {fw}: epoch {epoch} accuracy {accuracy:.4f} at {curve[-1]['seconds']:.0f}s", file=sys.stderr)
                return accuracy >= task["target"]

            RUNNERS[fw](task, data, report)
            hit = next((c for c in curve if c["accuracy"] >= task["target"]), None)
            results.append({"task": name, "framework": fw, "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                            "target": task["target"], "recipe": task, "reached": hit is not None,
                            "seconds": hit["seconds"] if hit else None, "epochs": hit["epoch"] if hit else None,
                            "best_accuracy": max(c["accuracy"] for c in curve), "curve": curve,
                            "train_images": len(data[0])})
    args.json.parent.mkdir(parents=True, exist_ok=True)
    if not args.subset and args.json.is_file():
        results = merged(json.loads(args.json.read_text()), results)
    report = {"machine": machine(), "subset": args.subset, "results": results}
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    if args.md and not args.subset:  # a subset run is a check, not a result for the docs
        args.md.write_text(text)
    print(text)


def merged(previous: dict[str, Any], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This run's results, and the earlier report's for each (task, framework) this run did not race (a
    subset check's are dropped): one file keeps every race, each result stamped with when it ran, so a
    15-minute race of one mini does not erase the others'. In ``TASKS``' and ``RUNNERS``' order."""
    if previous.get("subset"):
        return results
    ran = {(r["task"], r["framework"]) for r in results}
    kept = [r for r in previous.get("results", []) if (r["task"], r["framework"]) not in ran]
    tasks, frameworks = list(TASKS), list(RUNNERS)
    return sorted(kept + results, key=lambda r: (tasks.index(r["task"]) if r["task"] in tasks else len(tasks),
                                                 frameworks.index(r["framework"]) if r["framework"] in frameworks
                                                 else len(frameworks)))


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        "# Benchmarks: time to accuracy", "",
        "Generated by `python benchmarks/time_to_accuracy.py`; do not edit by hand.", "",
        f"Machine: {describe(m)}; oneDNN {onednn_label(m)}; Keras {m.get('keras', '-')}, "
        f"PyTorch {m.get('torch', '-')}.", "",
        "Wall seconds (training and the per-epoch test evaluation, not start-up) until the test accuracy first "
        "reaches the target, with one recipe in the three frameworks: same images, order, flips, optimiser and "
        "schedule, and initial weights drawn from the same distributions (see the script's docstring). "
        "Seconds per epoch (median, evaluation included) is the speed; the epoch at which the target is first "
        "crossed also carries each framework's run-to-run noise.", "",
        "| task | framework | target | seconds | epochs | seconds per epoch | best accuracy | measured |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        secs = f"{r['seconds']:.0f}" if r["reached"] else "not reached"
        times = [c["seconds"] for c in r["curve"]]
        per_epoch = statistics.median(b - a for a, b in zip([0.0, *times], times))
        lines.append(f"| {r['task']} | {r['framework']} | {r['target']:.3f} | {secs} | {r['epochs'] or '-'} "
                     f"| {per_epoch:.1f} | {r['best_accuracy']:.4f} | {r.get('measured', '-')} |")
    notes = Path(__file__).with_name("NOTES_time_to_accuracy.md")  # the analysis, written by hand
    if notes.is_file() and not report.get("subset"):
        lines += ["", notes.read_text().strip()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
