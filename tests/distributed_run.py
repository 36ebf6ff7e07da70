"""Helper for test_distribute.py, run in its own process: TensorFlow's logical
devices must be configured before anything else touches TensorFlow.

    python tests/distributed_run.py OUT_JSON RUN_DIR [default|mirrored|multiworker] [precision]
"""

from __future__ import annotations

import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
tf.config.experimental.enable_op_determinism()

import pandas as pd  # noqa: E402

from convnets import create_model  # noqa: E402
from convnets.data import load_dataset  # noqa: E402
from convnets.layers import init  # noqa: E402
from convnets.train import train  # noqa: E402
from convnets.train.config import TrainConfig  # noqa: E402
from convnets.train.distribute import make_strategy, scope  # noqa: E402

out_json, run_dir, kind = sys.argv[1], sys.argv[2], sys.argv[3]
precision = sys.argv[4] if len(sys.argv) > 4 else "float32"
devices = ["/cpu:0", "/cpu:1"]
if kind == "mirrored":
    strategy = make_strategy("mirrored", devices)
elif kind == "multiworker":
    strategy = make_strategy("multiworker")
else:
    strategy = None
# ema: the weight average is updated inside the (replicated) step and evaluated: it must work under every strategy
config = TrainConfig(epochs=2, batch_size=64, optimizer="sgd", lr=0.02, momentum=0.9, precision=precision, seed=0,
                     ema=0.9)
ds = load_dataset("digits")
with scope(strategy):
    init.set_seed(0)
    model = create_model("lenet5_modern", input_shape=(32, 32, 1), num_classes=10)

# 1) ten steps on one fixed batch of 64: the same loss as on one device, to float precision
from convnets.optim import make_optimizer  # noqa: E402
from convnets.train.loop import make_train_step  # noqa: E402

with scope(strategy):
    init.set_seed(0)
    probe = create_model("lenet5_modern", input_shape=(32, 32, 1), num_classes=10)
    opt = make_optimizer("sgd", 0.05, 0.9)
    opt.build(probe.trainable_variables)
step = make_train_step(probe, opt, config, (32, 32, 1), strategy)
x = tf.random.stateless_normal((64, 32, 32, 1), seed=(1, 2))
y = tf.random.stateless_uniform((64,), (3, 4), 0, 10, tf.int64)
step_losses = []
for _ in range(10):
    batch = (x, y)
    if strategy is not None:
        batch = next(iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors((x, y)))))
    step_losses.append(float(step(*batch)[0]))

# 2) the whole training loop, unchanged
metrics = train(model, ds, config, run_dir, progress=False, log=lambda s: None, strategy=strategy)
history = pd.read_csv(f"{run_dir}/history.csv")
json.dump({"replicas": getattr(strategy, "num_replicas_in_sync", 1), "step_losses": step_losses,
           "loss": history["loss"].tolist(),
           "val_loss": history["val_loss"].tolist(), "accuracy": metrics["test_accuracy"],
           "first_weight": float(tf.reduce_sum(model.trainable_variables[0]).numpy())}, open(out_json, "w"))
