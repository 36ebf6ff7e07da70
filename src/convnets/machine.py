"""What machine a result was measured on: CPU model, cores, versions.

Recorded in every run's ``metrics.json`` and in the benchmarks' JSON, so a
number always travels with the hardware that produced it.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def onednn_enabled() -> bool | None:
    """Whether TensorFlow runs its oneDNN CPU kernels in this process (None: unknown)."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # no public API says this

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return None


def machine_info() -> dict[str, Any]:
    """CPU, core count, Python and TensorFlow versions of this machine, and oneDNN on or off."""
    import tensorflow as tf

    return {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
            "tensorflow": tf.__version__, "onednn": onednn_enabled()}


def describe(info: dict[str, Any]) -> str:
    """One line for a results table: ``CPU, N cores, TensorFlow X, Python Y``."""
    return f"{info['cpu']}, {info['cores']} cores, TensorFlow {info['tensorflow']}, Python {info['python']}"
