"""Every mini's training step in float32 and in mixed bfloat16: which recipes take ``precision="auto"``.

    python benchmarks/precision.py                              # every mini, ~10 minutes on 2 cores
    python benchmarks/precision.py --models resnet20,vgg_mini --rounds 5

On a CPU that multiplies bfloat16 in hardware (Intel AMX or AVX-512 BF16,
``convnets.machine.native_bfloat16``), oneDNN runs convolutions and matrix products
in bfloat16 under ``--precision mixed_bfloat16`` (variables, BatchNorm statistics and
the loss stay float32, ``convnets.train.precision``). Whether that is faster depends
on the network: the convolutions get cheaper, every cast and element-wise pass does
not, and some kernels (depthwise gradients) are slower in bfloat16.

For each model: the compiled step (``make_train_step``) at batch 256 on 28x28x1
(Fashion-MNIST's shape), AdamW with label smoothing 0.1 as the minis' fast recipe,
float32 and mixed_bfloat16 built side by side and timed in interleaved rounds of 8
steps after 3 warm-up steps; images/s is the best round's. Writes
benchmarks/results/precision.json and prints the table docs/benchmarks.md keeps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import convnets  # before TensorFlow: the library's oneDNN default
from convnets.machine import describe, machine_info, native_bfloat16

ROOT = Path(__file__).resolve().parents[1]
PRECISIONS = ("float32", "mixed_bfloat16")


def step_for(name: str, precision: str, shape: tuple[int, int, int], batch: int) -> tuple[Any, Any, Any]:
    """The model's compiled training step under ``precision``, and one fixed batch for it."""
    import tensorflow as tf

    from convnets.optim import make_optimizer
    from convnets.train.config import TrainConfig
    from convnets.train.loop import make_train_step

    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch, *shape)).astype(np.float32))
    y = tf.constant(rng.integers(0, 10, size=batch), tf.int64)
    model = convnets.create_model(name, input_shape=shape, num_classes=10)
    opt = make_optimizer("adamw", 1e-3, weight_decay=0.05)
    opt.build(model.trainable_variables)
    step = make_train_step(model, opt, TrainConfig(precision=precision, label_smoothing=0.1), shape)
    return step, x, y


def measure(name: str, shape: tuple[int, int, int], batch: int, rounds: int, steps: int) -> dict[str, Any]:
    """Best-round images/s of ``name``'s step in each precision, the rounds interleaved."""
    built = {p: step_for(name, p, shape, batch) for p in PRECISIONS}
    for step, x, y in built.values():
        for _ in range(3):  # tracing, then oneDNN's first primitives
            float(step(x, y)[0])
    best = {p: 0.0 for p in PRECISIONS}
    for r in range(rounds):
        for p in PRECISIONS if r % 2 == 0 else PRECISIONS[::-1]:
            step, x, y = built[p]
            t = time.perf_counter()
            for _ in range(steps):
                loss = step(x, y)[0]
            float(loss)
            best[p] = max(best[p], batch * steps / (time.perf_counter() - t))
    return {"model": name, **{f"{p}_images_per_second": round(v, 1) for p, v in best.items()},
            "speedup": round(best["mixed_bfloat16"] / best["float32"], 3)}


def table(report: dict[str, Any]) -> str:
    lines = ["| model | float32 images/s | mixed_bfloat16 images/s | bfloat16 / float32 |", "|---|---:|---:|---:|"]
    for r in sorted(report["results"], key=lambda r: -r["speedup"]):
        lines.append(f"| `{r['model']}` | {r['float32_images_per_second']:,.0f} | "
                     f"{r['mixed_bfloat16_images_per_second']:,.0f} | {r['speedup']:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    from convnets.recipes import MINIS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default=",".join(("lenet5_modern", *MINIS)))
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=8, help="steps per timed round")
    p.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "precision.json")
    p.add_argument("--from-json", type=Path, help="no measuring: print the table of this JSON")
    args = p.parse_args()
    if args.from_json:
        print(table(json.loads(args.from_json.read_text())))
        return
    if not native_bfloat16():
        print("note: this CPU has no bfloat16 arithmetic (AMX or AVX-512 BF16); bfloat16 is emulated here",
              file=sys.stderr)
    shape = (28, 28, 1)
    results = []
    for name in args.models.split(","):
        results.append(measure(name, shape, args.batch, args.rounds, args.steps))
        r = results[-1]
        print(f"{name}: float32 {r['float32_images_per_second']:,.0f}, mixed_bfloat16 "
              f"{r['mixed_bfloat16_images_per_second']:,.0f} img/s ({r['speedup']:.2f}x)", flush=True)
    info = machine_info()
    report = {"machine": {**info, "described": describe(info)},
              "settings": {"input": list(shape), "batch": args.batch, "rounds": args.rounds, "steps": args.steps,
                           "optimizer": "adamw", "label_smoothing": 0.1, "threads": os.cpu_count()},
              "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1) + "\n")
    print(table(report))


if __name__ == "__main__":
    main()
