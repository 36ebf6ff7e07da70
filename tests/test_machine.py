"""The library's TensorFlow start-up defaults and the machine record of a run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = "import convnets; from convnets.machine import machine_info; print(machine_info()['onednn'])"


@pytest.mark.parametrize("env_value,expected", [(None, "True"), ("0", "False")])
def test_importing_convnets_turns_onednn_on_unless_the_user_says_no(env_value, expected):
    """TensorFlow enables oneDNN only on AVX-512-class CPUs; we turn it on everywhere
    (1.2x-4x faster training on AMD EPYC), and TF_ENABLE_ONEDNN_OPTS=0 still wins."""
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    if env_value is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = env_value
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == expected


def test_machine_info_names_cpu_cores_and_versions():
    import tensorflow as tf

    from convnets.machine import describe, machine_info

    info = machine_info()
    assert info["cores"] == os.cpu_count() and info["tensorflow"] == tf.__version__ and info["cpu"]
    assert describe(info).startswith(f"{info['cpu']}, {info['cores']} cores, TensorFlow {tf.__version__}")
