"""The whole training job, as a user runs it: ``convnets train`` beside Keras ``model.fit`` and a
plain PyTorch loop, on the same network, data, batch, optimiser and schedule.

    python benchmarks/end_to_end.py                  # LeNet-5 modern on MNIST: 2 epochs, 3 repeats
    python benchmarks/end_to_end.py --train-subset 512 --epochs 1 --repeats 1 --json /tmp/e2e.json   # a check

Five variants, each a fresh process, run interleaved (the order rotates each repeat, as in
throughput.py, so none always follows the same one):

- ``convnets K=1`` and ``convnets K=16``: the command line itself, ``convnets train lenet5_modern
  --dataset mnist --epochs E --batch-size 128 --optimizer adam --lr 0.001 --schedule constant
  --steps-per-call K --quiet``; images/s and training seconds come from the run's metrics.json.
  ``--schedule constant`` is explicit because the recipe for lenet5_modern is a cosine decay.
- ``Keras spe=1`` and ``Keras spe=32``: ``reference_models.keras_model("lenet5_modern")``,
  ``compile(Adam(1e-3), sparse cross-entropy from logits, metrics=["accuracy"], jit_compile=False,
  steps_per_execution=1 or 32)``, one ``model.fit(x, y, batch_size=128, epochs=E, shuffle=True)``.
- ``PyTorch``: ``reference_models.torch_model("lenet5_modern")``, Adam 1e-3, in-memory tensors, a
  new permutation each epoch and slices of 128, ``torch.set_num_threads(os.cpu_count())``.

Everyone sees MNIST at 28x28x1 normalised with MNIST's mean and std, as ``PreprocessSpec.for_dataset``
feeds lenet5_modern (whose input is 28x28x1). Keras and PyTorch read the images from a compressed
.npz, the format ``keras.datasets.mnist`` ships; convnets reads the IDX files as usual.

What is timed is what convnets' ``train_seconds`` covers (convnets/train/state.py: from the first
batch of each epoch to the end of its last, the first epoch's tracing included; not start-up,
data loading, the per-epoch test evaluation or the checkpoint): for Keras the time between a
callback's ``on_epoch_begin`` and ``on_epoch_end`` (fit has no validation data; the callback
evaluates on the test set after the clock stops), for PyTorch each epoch's loop. Every process's
wall time is also recorded: the job a user waits for. Medians over repeats; the ratios are
convnets over the faster Keras mode and over PyTorch.

Unless ``--no-profile``, each convnets variant runs once more, after the timed repeats, with
timers around the job's phases (TensorFlow's import, data loading, model building, training
epochs, evaluation, checkpoints), to show where the wall time goes.

Writes benchmarks/results/end_to_end.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

START = time.perf_counter()  # a worker's phases count from here (Python's own start-up is before it)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

MODEL, DATASET, SHAPE, CLASSES = "lenet5_modern", "mnist", (28, 28, 1), 10
VARIANTS: list[tuple[str, str, int]] = [  # label, framework, steps per call / execution
    ("convnets K=1", "convnets", 1), ("convnets K=16", "convnets", 16),
    ("Keras spe=1", "keras", 1), ("Keras spe=32", "keras", 32), ("PyTorch", "torch", 1),
]
GOALS = {"keras": 1.5, "torch": 1.2}  # the issue's: convnets at least this many times as fast


# --- the workers (each runs in its own process) ----------------------------------------------

def reference_models_alone() -> Any:
    """benchmarks/reference_models.py without starting TensorFlow from convnets: it imports two tables
    (MobileNet's, VGG's) from ``convnets.models``, whose import starts TensorFlow (3 s here). lenet5_modern
    needs neither, and the PyTorch process should pay PyTorch's start-up alone, the Keras one Keras's."""
    import types

    names = ("convnets.models", "convnets.models.mobilenet", "convnets.models.vgg")
    if "reference_models" in sys.modules or any(n in sys.modules for n in names):
        import reference_models

        return reference_models
    stubs = {n: types.ModuleType(n) for n in names}
    stubs["convnets.models.mobilenet"].V1_MINI_TABLE = ()  # type: ignore[attr-defined]
    stubs["convnets.models.vgg"].VGG_MINI = types.SimpleNamespace(stages=())  # type: ignore[attr-defined]
    sys.modules.update(stubs)
    try:
        import reference_models
    finally:
        for n in names:
            del sys.modules[n]
    return reference_models


def load_npz(path: str) -> tuple[np.ndarray, ...]:
    """(train images, labels, test images, labels): float32 NHWC normalised, int64 labels."""
    with np.load(path) as f:
        mean, std = np.float32(f["mean"]), np.float32(f["std"])
        norm = lambda a: (a.astype(np.float32) / np.float32(255.0) - mean) / std  # noqa: E731
        return norm(f["x_train"]), f["y_train"].astype(np.int64), norm(f["x_test"]), f["y_test"].astype(np.int64)


def run_keras(args: argparse.Namespace) -> dict[str, Any]:
    import keras  # first, so TensorFlow starts as in a Keras user's process (with TF_ENABLE_ONEDNN_OPTS=1)

    phases = {"import": time.perf_counter() - START}
    from convnets.machine import onednn_enabled  # light: no TensorFlow of its own

    t = time.perf_counter()
    xtr, ytr, xte, yte = load_npz(args.npz)
    phases["load data"] = time.perf_counter() - t
    t = time.perf_counter()
    keras.utils.set_random_seed(0)
    model = reference_models_alone().keras_model(MODEL, xtr.shape[1:], CLASSES)
    model.compile(optimizer=keras.optimizers.Adam(args.lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                  jit_compile=False, steps_per_execution=args.k)
    phases["build model"] = time.perf_counter() - t
    epochs: list[float] = []
    evals: list[float] = []
    accuracy: list[float] = []

    class Clock(keras.callbacks.Callback):
        """Each epoch's training seconds; then the test set's evaluation, timed apart."""

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.began = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            epochs.append(time.perf_counter() - self.began)
            t = time.perf_counter()
            r = self.model.evaluate(xte, yte, batch_size=args.batch, verbose=0, return_dict=True)
            evals.append(time.perf_counter() - t)
            accuracy.append(float(r["accuracy"]))

    t = time.perf_counter()
    model.fit(xtr, ytr, batch_size=args.batch, epochs=args.epochs, shuffle=True, verbose=0, callbacks=[Clock()])
    fit = time.perf_counter() - t
    phases.update({"fit outside epochs": fit - sum(epochs) - sum(evals), "training epochs": sum(epochs),
                   "evaluation": sum(evals)})
    return {"train_seconds": sum(epochs), "epoch_seconds": epochs, "eval_seconds": sum(evals),
            "fit_seconds": fit, "images": len(xtr) * args.epochs, "test_accuracy": accuracy[-1],
            "params": int(sum(np.prod(w.shape) for w in model.trainable_weights)), "phases": phases,
            "onednn": onednn_enabled(), "tensorflow_imported": True}


def run_torch(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    phases = {"import": time.perf_counter() - START}
    torch.set_num_threads(args.threads)
    t = time.perf_counter()
    xtr, ytr, xte, yte = load_npz(args.npz)
    to_nchw = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2)))  # noqa: E731
    x, y, x_test, y_test = to_nchw(xtr), torch.from_numpy(ytr), to_nchw(xte), torch.from_numpy(yte)
    phases["load data"] = time.perf_counter() - t
    t = time.perf_counter()
    torch.manual_seed(0)
    model = reference_models_alone().torch_model(MODEL, SHAPE, CLASSES)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(0)
    phases["build model"] = time.perf_counter() - t
    n, epochs, evals, accuracy = len(x), [], [], 0.0
    for _ in range(args.epochs):
        began = time.perf_counter()
        model.train()
        loss_sum, hits = torch.zeros(()), torch.zeros((), dtype=torch.int64)  # the epoch's sums, as convnets keeps
        perm = torch.randperm(n, generator=order)
        for i in range(0, n, args.batch):
            idx = perm[i:i + args.batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.detach() * len(idx)
            hits += (logits.detach().argmax(1) == yb).sum()
        float(loss_sum), int(hits)  # read once an epoch, as convnets' history row does
        epochs.append(time.perf_counter() - began)
        t = time.perf_counter()
        model.eval()
        with torch.inference_mode():
            correct = sum(int((model(x_test[i:i + args.batch]).argmax(1) == y_test[i:i + args.batch]).sum())
                          for i in range(0, len(x_test), args.batch))
        accuracy = correct / len(x_test)
        evals.append(time.perf_counter() - t)
    phases.update({"training epochs": sum(epochs), "evaluation": sum(evals)})
    return {"train_seconds": sum(epochs), "epoch_seconds": epochs, "eval_seconds": sum(evals),
            "images": n * args.epochs, "test_accuracy": accuracy,
            "params": int(sum(p.numel() for p in model.parameters() if p.requires_grad)), "phases": phases,
            "threads": torch.get_num_threads(), "tensorflow_imported": "tensorflow" in sys.modules}


def run_convnets_phases(args: argparse.Namespace) -> dict[str, Any]:
    """The convnets job (``convnets.cli.main`` with the command line's arguments) with timers around
    its phases; each timer wraps a function the job calls a few times, so the job runs as it does alone."""
    import convnets.data  # starts TensorFlow, as the command line's first data import does

    phases: dict[str, float] = {"import": time.perf_counter() - START}
    calls: dict[str, list[float]] = {}
    import convnets.cli
    import convnets.train
    import convnets.train.loop as loop
    import convnets.train.state as state

    def timed(owner: Any, name: str, label: str) -> None:
        fn = getattr(owner, name)

        def wrapper(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                calls.setdefault(label, []).append(time.perf_counter() - t)

        setattr(owner, name, wrapper)

    timed(convnets.data, "load_dataset", "load data")
    timed(convnets.cli, "_build_model", "build model")
    timed(convnets.train, "train", "train()")
    timed(loop, "run_epoch", "training epochs")
    timed(loop, "evaluate_dataset", "evaluation")
    timed(state.TrainState, "end_epoch", "checkpoint")
    rc = convnets.cli.main(args.cli)
    if rc:
        raise SystemExit(rc)
    phases.update({k: sum(v) for k, v in calls.items()})
    inner = sum(phases.get(k, 0.0) for k in ("training epochs", "evaluation", "checkpoint"))
    phases["train() outside epochs, evaluation, checkpoints"] = phases.pop("train()", 0.0) - inner
    phases["rest of main()"] = time.perf_counter() - START - sum(phases.values())
    return {"phases": phases, "epoch_seconds": calls.get("training epochs", [])}


WORKERS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "keras": run_keras, "torch": run_torch, "convnets-phases": run_convnets_phases}


# --- the driver ------------------------------------------------------------------------------

def convnets_command() -> list[str]:
    """The installed ``convnets`` command beside this Python, else the module that backs it."""
    script = Path(sys.executable).with_name("convnets")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "convnets.cli"]


def train_args(args: argparse.Namespace, k: int, out: Path) -> list[str]:
    """``convnets train``'s arguments for this benchmark, ``--steps-per-call k``."""
    return (["train", MODEL, "--dataset", DATASET, "--data-dir", str(args.data_dir), "--epochs", str(args.epochs),
             "--batch-size", str(args.batch), "--optimizer", "adam", "--lr", str(args.lr), "--schedule", "constant",
             "--steps-per-call", str(k), "--out", str(out), "--quiet"]
            + (["--train-subset", str(args.train_subset)] if args.train_subset else []))


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(TF_ENABLE_ONEDNN_OPTS="1", TF_CPP_MIN_LOG_LEVEL="3")  # oneDNN on for Keras too, as convnets sets it
    return env


def run(cmd: list[str], timeout: float) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=child_env(), capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, proc


def worker_command(args: argparse.Namespace, worker: str, k: int, npz: Path, result: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", worker, "--k", str(k), "--npz", str(npz),
            "--result", str(result), "--epochs", str(args.epochs), "--batch", str(args.batch), "--lr", str(args.lr),
            "--threads", str(args.threads)]


def measure(label: str, framework: str, k: int, args: argparse.Namespace, tmp: Path, npz: Path) -> dict[str, Any]:
    """One run of one variant, in a fresh process: its numbers."""
    out = tmp / f"{label.replace(' ', '_').replace('=', '')}-{time.monotonic_ns()}"
    if framework == "convnets":
        wall, _ = run(convnets_command() + train_args(args, k, out), args.timeout)
        metrics = json.loads((out / "metrics.json").read_text())
        history = (out / "history.csv").read_text().splitlines()
        cols = history[0].split(",")
        rows = [dict(zip(cols, row.split(","))) for row in history[1:]]
        epochs, images = [float(r["train_seconds"]) for r in rows], sum(int(r["images"]) for r in rows)
        rec = {"train_seconds": metrics["train_seconds"], "epoch_seconds": epochs, "images": images,
               "images_per_second": metrics["images_per_second"], "test_accuracy": metrics["test_accuracy"],
               "params": metrics["trainable_params"], "onednn": metrics["machine"].get("onednn")}
    else:
        result = out.with_suffix(".json")
        wall, _ = run(worker_command(args, framework, k, npz, result), args.timeout)
        rec = json.loads(result.read_text())
        rec["images_per_second"] = rec["images"] / rec["train_seconds"]
        rec["phases"]["python start and exit"] = wall - sum(rec["phases"].values())
    rec.update(variant=label, wall_seconds=wall, job_images_per_second=rec["images"] / wall)
    return rec


def profile(label: str, k: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """The convnets job once more, with its phases timed (run_convnets_phases)."""
    result = tmp / f"phases-{k}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "convnets-phases", "--result", str(result),
           "--", *train_args(args, k, tmp / f"phases-run-{k}")]
    wall, _ = run(cmd, args.timeout)
    rec = json.loads(result.read_text())
    rec["wall_seconds"] = wall
    rec["phases"]["python start and exit"] = wall - sum(rec["phases"].values())
    return rec


def summarise(runs: list[dict[str, Any]]) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Per-variant medians, and the ratios of each convnets variant to the faster Keras mode and to PyTorch."""
    keys = ("images_per_second", "job_images_per_second", "train_seconds", "wall_seconds", "test_accuracy")
    medians = {}
    for label, _, _ in VARIANTS:
        mine = [r for r in runs if r["variant"] == label]
        if mine:
            medians[label] = {k: statistics.median(r[k] for r in mine) for k in keys}
            evals = [r["eval_seconds"] for r in mine if "eval_seconds" in r]
            if evals:
                medians[label]["eval_seconds"] = statistics.median(evals)
            if all("phases" in r for r in mine):
                medians[label]["phases"] = {k: statistics.median(r["phases"][k] for r in mine) for k in mine[0]["phases"]}
    ratios: dict[str, Any] = {}
    for key, suffix in (("images_per_second", ""), ("job_images_per_second", " (whole job)")):
        keras = max((m[key], label) for label, m in medians.items() if label.startswith("Keras"))
        ratios[f"keras best{suffix}"] = keras[1]
        for label in (v[0] for v in VARIANTS if v[1] == "convnets"):
            ratios[f"{label} / Keras{suffix}"] = medians[label][key] / keras[0]
            ratios[f"{label} / PyTorch{suffix}"] = medians[label][key] / medians["PyTorch"][key]
    return medians, ratios


PHASES = ("start-up and exit", "load data", "build model", "training epochs", "evaluation", "checkpoint", "other")


def common_phases(phases: dict[str, float]) -> dict[str, float]:
    """A worker's or the convnets job's own phase names mapped onto PHASES."""
    out = dict.fromkeys(PHASES, 0.0)
    for name, seconds in phases.items():
        if name in ("import", "python start and exit"):
            out["start-up and exit"] += seconds
        else:
            out[name if name in out else "other"] += seconds
    return out


def table(report: dict[str, Any]) -> str:
    med = report["medians"]
    lines = ["| variant | train images/s | train s | per-epoch eval s | job wall s | job images/s | test acc |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, m in med.items():
        ev = f"{m['eval_seconds']:.1f}" if "eval_seconds" in m else "-"
        lines.append(f"| {label} | {m['images_per_second']:,.0f} | {m['train_seconds']:.1f} | {ev} | "
                     f"{m['wall_seconds']:.1f} | {m['job_images_per_second']:,.0f} | {m['test_accuracy']:.4f} |")
    r = report["ratios"]
    lines += ["", "| ratio | training (goal) | whole job |", "|---|---:|---:|"]
    for label in (v[0] for v in VARIANTS if v[1] == "convnets"):
        for other, goal in (("Keras", GOALS["keras"]), ("PyTorch", GOALS["torch"])):
            best = f" ({r['keras best']})" if other == "Keras" else ""
            lines.append(f"| {label} / {other}{best} | {r[f'{label} / {other}']:.2f}x ({goal}x) | "
                         f"{r[f'{label} / {other} (whole job)']:.2f}x |")
    cols = {f"{label} (profiled run)": p["phases"] for label, p in report["phases"].items()}
    cols.update({f"{label} (median)": m["phases"] for label, m in med.items() if "phases" in m})
    if cols:
        mapped = {label: common_phases(p) for label, p in cols.items()}
        lines += ["", "| seconds of the job | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
        lines += [f"| {ph} | " + " | ".join(f"{m[ph]:.1f}" for m in mapped.values()) + " |" for ph in PHASES]
        lines.append("| total (wall) | " + " | ".join(f"{sum(m.values()):.1f}" for m in mapped.values()) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=os.environ.get("CONVNETS_DATA_DIR", str(ROOT.parent / "shared" / "data")))
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--train-subset", type=int, help="train on this many images (a quick check, not a result)")
    p.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "end_to_end.json")
    p.add_argument("--note", default="", help="kept in the JSON (e.g. why fewer repeats than usual)")
    p.add_argument("--no-profile", dest="profile", action="store_false", help="skip the phase timings of convnets")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed to each process")
    p.add_argument("--batch", type=int, default=128, help=argparse.SUPPRESS)
    p.add_argument("--lr", type=float, default=1e-3, help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help=argparse.SUPPRESS)  # PyTorch's
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)  # internal: one framework's run
    p.add_argument("--k", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--npz", help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    p.add_argument("cli", nargs="*", help=argparse.SUPPRESS)  # convnets-phases: the command line's arguments
    args = p.parse_args()
    if args.worker:
        args.result.write_text(json.dumps(WORKERS[args.worker](args)))
        return

    from throughput import machine  # one machine record for every benchmark (imports convnets: oneDNN on)

    from convnets.data import load_dataset

    ds = load_dataset(DATASET, args.data_dir, allow_download=False)
    if args.train_subset:  # the sample convnets' --train-subset draws (convnets/train/loop.py)
        ds = ds.subset(train=args.train_subset, seed=0)
    runs: list[dict[str, Any]] = []
    phases: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="end_to_end-") as name:
        tmp = Path(name)
        npz = tmp / "mnist.npz"  # as keras.datasets.mnist ships it: a compressed .npz of uint8 pixels
        np.savez_compressed(npz, x_train=ds.train.images, y_train=ds.train.labels, x_test=ds.test.images,
                            y_test=ds.test.labels, mean=ds.mean[0], std=ds.std[0])
        for r in range(args.repeats):
            order = VARIANTS[r % len(VARIANTS):] + VARIANTS[:r % len(VARIANTS)]
            for label, framework, k in order:
                rec = measure(label, framework, k, args, tmp, npz)
                rec["repeat"] = r
                runs.append(rec)
                print(f"repeat {r + 1}/{args.repeats} {label}: {rec['images_per_second']:,.0f} img/s training "
                      f"({rec['train_seconds']:.1f} s), job {rec['wall_seconds']:.1f} s", file=sys.stderr, flush=True)
        if args.profile:
            for label, framework, k in VARIANTS:
                if framework == "convnets":
                    phases[label] = profile(label, k, args, tmp)
                    print(f"phases {label}: " + ", ".join(f"{p} {s:.1f}s" for p, s in phases[label]["phases"].items()),
                          file=sys.stderr, flush=True)
    params = {r["variant"]: r["params"] for r in runs}
    if len(set(params.values())) != 1:
        raise SystemExit(f"the frameworks' models differ: {params}")
    medians, ratios = summarise(runs)
    report = {
        "machine": machine(),
        "settings": {
            "model": MODEL, "dataset": DATASET, "input": list(SHAPE), "epochs": args.epochs, "batch": args.batch,
            "optimizer": "adam", "lr": args.lr, "schedule": "constant", "repeats": args.repeats,
            "train_subset": args.train_subset, "train_images": len(ds.train), "test_images": len(ds.test),
            "torch_threads": args.threads, "order": "rotated each repeat", "note": args.note,
            "convnets_command": "convnets " + " ".join(train_args(args, 1, Path("OUT"))).replace(
                str(args.data_dir), "DATA").replace("--steps-per-call 1", "--steps-per-call K"),
            "goals": {"vs Keras": GOALS["keras"], "vs PyTorch": GOALS["torch"]},
        },
        "runs": runs, "medians": medians, "ratios": ratios, "phases": phases,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))


if __name__ == "__main__":
    main()
