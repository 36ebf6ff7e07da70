"""Training and inference throughput: convnets beside Keras and PyTorch, same CPU,
same process, same batch, same data in memory, same threads.

    python benchmarks/throughput.py                     # all models, writes JSON, Markdown, PNG
    python benchmarks/throughput.py --models lenet5_modern --rounds 3

For each model, every variant (convnets with and without XLA, Keras with
jit_compile on and off, PyTorch eager) is warmed up, then timed for a fixed
number of steps per round; rounds are interleaved (the order rotates) and the
median round is reported, because a shared 2-core machine is noisy. Training is
forward + backward + an SGD-momentum update. The machine's peak is a large
float32 matmul measured in the same run; model FLOP utilisation (MFU) is
achieved FLOP/s (2 FLOPs per MAC, x3 for training) over that peak.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

import convnets  # before anything imports TensorFlow: the library's oneDNN default applies to every framework here

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

# name, convnets builder options, input shape, batch size, timed steps per round
MODELS: list[tuple[str, dict[str, Any], tuple[int, int, int], int, int]] = [
    ("lenet5_modern", {}, (28, 28, 1), 128, 40),
    ("resnet20", {}, (32, 32, 3), 128, 8),
    ("mobilenet_v1_mini", {}, (32, 32, 3), 128, 8),
    ("vgg_mini", {}, (32, 32, 3), 128, 16),
    # Keras's ResNet50 has biases in its convolutions: ours with conv_bias=True is the same net.
    ("resnet50", {"conv_bias": True, "bn_epsilon": 1.001e-5}, (224, 224, 3), 8, 3),
]


@dataclass
class Variant:
    framework: str
    mode: str
    params: int
    train: Callable[[], Any]
    infer: Callable[[], Any]
    train_ips: list[float] = field(default_factory=list)
    infer_ips: list[float] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.framework} ({self.mode})" if self.mode else self.framework


def convnets_variants(name: str, options: dict, shape: tuple, x: np.ndarray, y: np.ndarray) -> list[Variant]:
    import tensorflow as tf

    from convnets.optim import make_optimizer
    from convnets.train.config import TrainConfig
    from convnets.train.loop import make_eval_step, make_train_step

    out = []
    xt, yt = tf.constant(x), tf.constant(y, tf.int64)
    for jit in (False, True):
        model = convnets.create_model(name, input_shape=shape, num_classes=10, **options)
        opt = make_optimizer("sgd", 0.01, 0.9)
        opt.build(model.trainable_variables)
        step = make_train_step(model, opt, TrainConfig(jit_compile=jit), shape)
        logits_of = make_eval_step(model, shape, jit)
        out.append(Variant("convnets", "XLA" if jit else "", model.trainable_params,
                           lambda s=step: s(xt, yt)[0].numpy(), lambda f=logits_of: f(xt).numpy()))
    return out


def keras_variants(name: str, shape: tuple, x: np.ndarray, y: np.ndarray) -> list[Variant]:
    import keras
    import tensorflow as tf
    from reference_models import keras_model

    out = []
    xt, yt = tf.constant(x), tf.constant(y, tf.int64)
    for jit in (False, True):
        model = keras_model(name, shape, 10)
        model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=jit)
        params = int(sum(np.prod(w.shape) for w in model.trainable_weights))
        out.append(Variant("Keras", "jit" if jit else "", params,
                           lambda m=model: m.train_on_batch(xt, yt), lambda m=model: m.predict_on_batch(xt)))
    return out


def torch_variants(name: str, shape: tuple, x: np.ndarray, y: np.ndarray) -> list[Variant]:
    import torch
    from reference_models import torch_model

    model = torch_model(name, shape, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # NCHW, PyTorch's native layout
    yt = torch.from_numpy(y.astype(np.int64))
    loss_fn = torch.nn.CrossEntropyLoss()

    def train() -> float:
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return float(loss.detach())

    def infer() -> Any:
        model.eval()
        with torch.inference_mode():
            return model(xt).numpy()

    params = int(sum(p.numel() for p in model.parameters() if p.requires_grad))
    return [Variant("PyTorch", "", params, train, infer)]


def timed(fn: Callable[[], Any], steps: int, batch: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return steps * batch / (time.perf_counter() - start)


def peak_flops(n: int = 2048, reps: int = 8) -> float:
    """float32 FLOP/s of an n x n matmul in TensorFlow: this machine's practical peak."""
    import tensorflow as tf

    a = tf.random.stateless_normal((n, n), seed=(0, 1))
    mm = tf.function(lambda a: tf.matmul(a, a))
    mm(a).numpy()
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(reps):
            r = mm(a)
        r.numpy()
        best = max(best, reps * 2 * n**3 / (time.perf_counter() - start))
    return best


def pipeline_ips(data_dir: str | None, batches: int = 60) -> dict[str, float]:
    """Images/s our tf.data pipelines deliver (shuffle, batch, preprocess, augment, prefetch)."""
    from convnets.data import load_dataset
    from convnets.data.pipeline import PreprocessSpec, make_dataset

    out = {}
    for label, name, shape, aug in (("fashion_mnist in memory, flip", "fashion_mnist", (28, 28, 1), "flip"),
                                    ("cifar10-jpeg folder, decode + crop_flip", "folder:cifar10-jpeg", (32, 32, 3), "crop_flip")):
        try:
            ds = load_dataset(name, data_dir, allow_download=False)
        except Exception as e:  # noqa: BLE001 - data absent: say so in the table
            out[label] = float("nan")
            print(f"pipeline {label}: skipped ({str(e).splitlines()[0][:80]})", file=sys.stderr)
            continue
        data = make_dataset(ds, "train", PreprocessSpec.for_dataset(ds, shape), 128, True, 0, 0, aug)
        it = iter(data)
        next(it)
        start = time.perf_counter()
        n = sum(int(next(it)[1].shape[0]) for _ in range(batches))
        out[label] = n / (time.perf_counter() - start)
    return out


def bench_model(name: str, options: dict, shape: tuple, batch: int, steps: int, rounds: int,
                frameworks: list[str]) -> dict[str, Any]:

    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, size=batch).astype(np.int64)
    variants: list[Variant] = []
    if "convnets" in frameworks:
        variants += convnets_variants(name, options, shape, x, y)
    if "keras" in frameworks:
        variants += keras_variants(name, shape, x, y)
    if "torch" in frameworks:
        variants += torch_variants(name, shape, x, y)
    counts = {v.label: v.params for v in variants}
    if len(set(counts.values())) != 1:
        raise SystemExit(f"{name}: the frameworks' models differ: {counts}")
    warm = {}
    for v in variants:  # first calls trace / compile
        start = time.perf_counter()
        v.train(), v.train(), v.infer(), v.infer()
        warm[v.label] = time.perf_counter() - start
    for r in range(rounds):
        order = variants[r % len(variants):] + variants[: r % len(variants)]
        for v in order:
            v.train_ips.append(timed(v.train, steps, batch))
            v.infer_ips.append(timed(v.infer, steps, batch))
    model = convnets.create_model(name, input_shape=shape, num_classes=10, **options)
    macs = convnets.summarize(model)["macs"]
    return {
        "model": name, "input": list(shape), "batch": batch, "steps": steps, "rounds": rounds, "macs": macs,
        "params": variants[0].params,
        "variants": {v.label: {"train_ips": statistics.median(v.train_ips), "infer_ips": statistics.median(v.infer_ips),
                               "train_rounds": v.train_ips, "infer_rounds": v.infer_ips, "warmup_seconds": warm[v.label]}
                     for v in variants},
    }


def best(result: dict, framework: str, key: str = "train_ips") -> tuple[float, str]:
    """The faster mode of a framework (Keras: jit_compile on or off, as the issue allows)."""
    rows = [(v[key], label) for label, v in result["variants"].items() if label.split(" ")[0] == framework]
    return max(rows) if rows else (float("nan"), "")


def onednn_label(info: dict[str, Any]) -> str:
    """``on``/``off`` from a machine record, ``unknown`` for records made before it was kept."""
    return {True: "on", False: "off"}.get(info.get("onednn"), "unknown")


def machine() -> dict[str, Any]:
    """convnets.machine's record plus the Keras/PyTorch versions and thread counts of this run."""
    import tensorflow as tf

    from convnets.machine import machine_info

    info = machine_info()
    try:
        import keras

        info["keras"] = keras.__version__
    except ImportError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    info["tf_intra_op_threads"] = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()
    return info


def _n(v: float) -> str:
    """Images/s: thousands separators, one decimal below 100 (ResNet-50 on a CPU does ~3)."""
    return f"{v:,.1f}" if v < 100 else f"{v:,.0f}"


def markdown(report: dict) -> str:
    m = report["machine"]
    peak = report["peak_flops"]
    lines = [
        "# Benchmarks: training and inference throughput", "",
        "Generated by `python benchmarks/throughput.py`; do not edit by hand.", "",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, TensorFlow {m['tensorflow']}, "
        f"Keras {m.get('keras', '-')}, PyTorch {m.get('torch', '-')} ({m.get('torch_threads', '-')} threads; "
        f"TensorFlow intra-op threads {m['tf_intra_op_threads']}; oneDNN kernels {onednn_label(m)} "
        "for TensorFlow and Keras alike).",
        f"Peak (float32 2048x2048 matmul, same run): {peak / 1e9:.1f} GFLOP/s.", "",
        "Images per second, median of interleaved rounds. convnets is our `tf.function` step "
        "(default flags; XLA is `--xla`); Keras is `train_on_batch`/`predict_on_batch` with the faster of "
        "jit_compile on and off; PyTorch is eager on the CPU. Ratios are convnets (default / best of our modes) "
        "over the other framework.", "",
        "## Training (forward + backward + SGD momentum update)", "",
        "| model | input | batch | params | convnets | convnets XLA | Keras (best) | PyTorch | vs Keras | vs PyTorch | MFU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        v = r["variants"]
        ours = v.get("convnets", {}).get("train_ips", float("nan"))
        xla = v.get("convnets (XLA)", {}).get("train_ips", float("nan"))
        top = max(ours, xla)
        keras_ips, keras_mode = best(r, "Keras")
        torch_ips, _ = best(r, "PyTorch")
        mfu = top * 3 * 2 * r["macs"] / peak
        lines.append(
            f"| {r['model']} | {'x'.join(map(str, r['input']))} | {r['batch']} | {r['params']:,} | {_n(ours)} | {_n(xla)} | "
            f"{_n(keras_ips)}{' (jit)' if 'jit' in keras_mode else ''} | {_n(torch_ips)} | "
            f"{ours / keras_ips:.2f} / {top / keras_ips:.2f} | {ours / torch_ips:.2f} / {top / torch_ips:.2f} | {mfu:.1%} |")
    lines += ["", "## Inference (forward, batch as above)", "",
              "| model | convnets | convnets XLA | Keras (best) | PyTorch | vs Keras | vs PyTorch |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in report["results"]:
        v = r["variants"]
        ours = v.get("convnets", {}).get("infer_ips", float("nan"))
        xla = v.get("convnets (XLA)", {}).get("infer_ips", float("nan"))
        top = max(ours, xla)
        keras_ips, _ = best(r, "Keras", "infer_ips")
        torch_ips, _ = best(r, "PyTorch", "infer_ips")
        lines.append(f"| {r['model']} | {_n(ours)} | {_n(xla)} | {_n(keras_ips)} | {_n(torch_ips)} | "
                     f"{top / keras_ips:.2f} | {top / torch_ips:.2f} |")
    if report.get("pipeline"):
        lines += ["", "## Input pipeline", "", "What `make_dataset` delivers alone (batch 128), to compare with the "
                  "training rates above: the pipeline is not the bottleneck when it is faster.", "",
                  "| pipeline | images/s |", "|---|---:|"]
        lines += [f"| {k} | {v:,.0f} |" for k, v in report["pipeline"].items()]
    lines += ["", "![training throughput](images/benchmark-throughput.png)", ""]
    notes = Path(__file__).with_name("NOTES.md")  # the analysis, written by hand after reading the numbers
    if notes.is_file():
        lines += ["", notes.read_text().strip(), ""]
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["model"] for r in report["results"]]
    series = [("convnets", lambda r: max(r["variants"].get("convnets", {}).get("train_ips", 0),
                                         r["variants"].get("convnets (XLA)", {}).get("train_ips", 0))),
              ("Keras", lambda r: best(r, "Keras")[0]), ("PyTorch", lambda r: best(r, "PyTorch")[0])]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.27
    for i, (label, fn) in enumerate(series):
        ax.bar(np.arange(len(names)) + (i - 1) * width, [fn(r) for r in report["results"]], width, label=label)
    ax.set_xticks(np.arange(len(names)), names)
    ax.set(yscale="log", ylabel="training images/s (log)", title="Training throughput on " + report["machine"]["cpu"])
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default=",".join(m[0] for m in MODELS))
    p.add_argument("--frameworks", default="convnets,keras,torch")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps-scale", type=float, default=1.0, help="multiply every model's timed steps")
    p.add_argument("--data-dir", default=os.environ.get("CONVNETS_DATA_DIR", str(ROOT.parent / "shared" / "data")))
    p.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "throughput.json")
    p.add_argument("--md", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--png", type=Path, default=ROOT / "docs" / "images" / "benchmark-throughput.png")
    p.add_argument("--no-docs", action="store_true", help="write only the JSON")
    p.add_argument("--from-json", type=Path, help="no measuring: rewrite the Markdown and PNG from this JSON")
    args = p.parse_args()
    if args.from_json:
        report = json.loads(args.from_json.read_text())
        args.md.write_text(markdown(report))
        plot(report, args.png)
        return
    frameworks = args.frameworks.split(",")
    if "torch" in frameworks:
        try:
            import torch

            torch.set_num_threads(os.cpu_count() or 1)
        except ImportError:
            raise SystemExit("PyTorch is not installed: pip install -e '.[bench]' (or --frameworks convnets,keras)")
    wanted = args.models.split(",")
    unknown = set(wanted) - {m[0] for m in MODELS}
    if unknown:
        raise SystemExit(f"unknown models {sorted(unknown)}; choose from {[m[0] for m in MODELS]}")
    report: dict[str, Any] = {"machine": machine(), "peak_flops": peak_flops(), "results": []}
    print(f"peak {report['peak_flops'] / 1e9:.1f} GFLOP/s", file=sys.stderr)
    for name, options, shape, batch, steps in MODELS:
        if name not in wanted:
            continue
        r = bench_model(name, options, shape, batch, max(1, round(steps * args.steps_scale)), args.rounds, frameworks)
        report["results"].append(r)
        print(f"{name}: " + ", ".join(f"{k} {v['train_ips']:.0f}/{v['infer_ips']:.0f}" for k, v in r["variants"].items())
              + "  (train/infer img/s)", file=sys.stderr)
    report["pipeline"] = pipeline_ips(args.data_dir)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    if not args.no_docs:
        args.md.write_text(text)
        plot(report, args.png)
    print(text)


if __name__ == "__main__":
    main()
