"""Where a training step's time goes, per TensorFlow kernel: convnets beside Keras.

    python benchmarks/profile_ops.py                      # ResNet-20, batch 128
    python benchmarks/profile_ops.py --model vgg_mini --top 15

Both steps run in one process on the same random batch and are traced with
``tf.profiler``; the table lists milliseconds per step for each kernel type
(e.g. ``_MklNativeConv2DBackpropFilter`` is oneDNN's, ``Conv2DBackpropFilter``
Eigen's). Kernels run on two inter-op threads, so their sum exceeds the step's
wall time. Run it on a quiet machine; the per-kernel split is what to read,
the absolute numbers move with the load. This is how we found that TensorFlow's
``padding="EXPLICIT"`` kept backward convolutions off oneDNN, and that the
step-by-step BatchNorm cost ~40% of ResNet-20's step (benchmarks/NOTES.md).
Writes benchmarks/results/profile_ops.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

import convnets  # noqa: F401  before TensorFlow: the library's oneDNN default applies to both frameworks

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from throughput import convnets_variants, keras_variants  # noqa: E402  the benchmark's own steps

SHAPES = {"lenet5_modern": (28, 28, 1)}  # the other reference models take 32x32x3


def kernel_ms(step: Callable[[], Any], steps: int) -> tuple[dict[str, float], float]:
    """(milliseconds per step for each kernel type, wall milliseconds per step) from a profiler trace."""
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    for _ in range(3):  # trace, compile, warm up
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    wall = (time.perf_counter() - start) * 1000 / steps
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for _ in range(steps):
            step()
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        space.ParseFromString(next(Path(logdir).rglob("*.xplane.pb")).read_bytes())
    totals: collections.Counter[str] = collections.Counter()
    for plane in space.planes:
        if "host" not in plane.name.lower():
            continue
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                kind = name.rsplit(":", 1)[-1]
                # Kernels are "op_name:KernelType"; skip the executor's and the function's own events.
                if ":" in name and kind not in ("Process", "Run") and not kind.strip().startswith("__inference"):
                    totals[kind.strip()] += event.duration_ps / 1e9 / steps
    return dict(totals), wall


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="resnet20", choices=["lenet5_modern", "resnet20", "mobilenet_v1_mini", "vgg_mini"])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--top", type=int, default=12, help="kernel types to list")
    p.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "profile_ops.json")
    args = p.parse_args()

    shape = SHAPES.get(args.model, (32, 32, 3))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, size=args.batch).astype(np.int64)
    # The throughput benchmark's default-mode steps (no XLA / jit_compile), same SGD and batch.
    variants = convnets_variants(args.model, {}, shape, x, y) + keras_variants(args.model, shape, x, y)
    runs = {}
    for v in variants:
        if not v.mode:
            kernels, wall = kernel_ms(v.train, args.steps)
            runs[v.framework] = {"wall_ms": wall, "kernels_ms": kernels}

    ours, theirs = (sorted(runs[f]["kernels_ms"].items(), key=lambda kv: -kv[1])[:args.top] for f in runs)
    print(f"{args.model}, batch {args.batch}: ms per training step (kernel time summed over threads)\n")
    print(f"{'convnets kernel':<36}{'ms':>8}    {'Keras kernel':<36}{'ms':>8}")
    for i in range(args.top):
        left = f"{ours[i][0]:<36}{ours[i][1]:8.1f}" if i < len(ours) else " " * 44
        right = f"{theirs[i][0]:<36}{theirs[i][1]:8.1f}" if i < len(theirs) else ""
        print(f"{left}    {right}")
    print(f"{'all kernels':<36}{sum(runs['convnets']['kernels_ms'].values()):8.1f}    "
          f"{'all kernels':<36}{sum(runs['Keras']['kernels_ms'].values()):8.1f}")
    print(f"{'wall time per step':<36}{runs['convnets']['wall_ms']:8.1f}    "
          f"{'wall time per step':<36}{runs['Keras']['wall_ms']:8.1f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"model": args.model, "batch": args.batch, "steps": args.steps, **runs}, indent=2))


if __name__ == "__main__":
    main()
