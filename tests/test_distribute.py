"""tf.distribute and mixed precision. Each run is a separate process with two
logical CPU devices (they must be set up before TensorFlow starts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.xdist_group("distribute")  # the one-device reference run is made once, on one worker

HELPER = Path(__file__).with_name("distributed_run.py")


def run(tmp_path: Path, kind: str, precision: str = "float32") -> dict:
    out = tmp_path / f"{kind}-{precision}.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TF_CONFIG", None)
    proc = subprocess.run([sys.executable, str(HELPER), str(out), str(tmp_path / f"run-{kind}-{precision}"), kind, precision],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def one_device(tmp_path_factory):
    return run(tmp_path_factory.mktemp("one"), "default")


def test_mirrored_on_two_devices_matches_one_device(one_device, tmp_path):
    two = run(tmp_path, "mirrored")
    assert one_device["replicas"] == 1 and two["replicas"] == 2
    # Same batch, same seed: each replica takes half, gradients are all-reduced: the same steps.
    np.testing.assert_allclose(two["step_losses"], one_device["step_losses"], rtol=1e-4)
    # The whole loop: the loss curve agrees within tolerance (the last, odd-sized batch
    # of each epoch splits unevenly, and float sums run in another order).
    np.testing.assert_allclose(two["loss"], one_device["loss"], rtol=0.05)
    assert abs(two["accuracy"] - one_device["accuracy"]) < 0.05 and two["accuracy"] > 0.8


def test_multiworker_strategy_runs_the_same_loop(one_device, tmp_path):
    """Without TF_CONFIG, MultiWorkerMirroredStrategy is one worker using the local devices."""
    mw = run(tmp_path, "multiworker")
    np.testing.assert_allclose(mw["step_losses"], one_device["step_losses"], rtol=1e-4)
    np.testing.assert_allclose(mw["loss"], one_device["loss"], rtol=0.05)


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_trains_like_float32(one_device, tmp_path, precision):
    mixed = run(tmp_path, "default", precision)
    tol = 0.02 if precision == "mixed_float16" else 0.06  # bfloat16 keeps 8 bits of mantissa
    np.testing.assert_allclose(mixed["step_losses"], one_device["step_losses"], rtol=tol)
    assert mixed["accuracy"] > one_device["accuracy"] - 0.03


def test_dynamic_loss_scale_skips_overflow_and_grows():
    import tensorflow as tf

    from convnets.train.precision import DynamicLossScale

    ls = DynamicLossScale(initial=1024.0, growth_interval=3)
    grads, finite = ls.unscale([tf.constant([2048.0, 1024.0]), None])
    assert bool(finite) and grads[1] is None and grads[0].numpy().tolist() == [2.0, 1.0]
    _, finite = ls.unscale([tf.constant([np.inf])])
    assert not bool(finite) and float(ls.scale) == 512.0 and int(ls.good_steps) == 0
    for _ in range(3):
        ls.unscale([tf.constant([1.0])])
    assert float(ls.scale) == 1024.0  # doubled after 3 good steps
