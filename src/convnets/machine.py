"""What machine a result was measured on: CPU model, cores, versions.

Recorded in every run's ``metrics.json`` and in the benchmarks' JSON, so a
number always travels with the hardware that produced it.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def _cpuinfo(field: str) -> str | None:
    """The first value of ``field`` in Linux's /proc/cpuinfo (None elsewhere, or if it has none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else what ``platform`` knows."""
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    """The instruction-set flags the CPU reports (Linux's /proc/cpuinfo; empty elsewhere)."""
    return set((_cpuinfo("flags") or "").split())


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (Intel AMX or AVX-512 BF16, through oneDNN), so that
    ``--precision mixed_bfloat16`` can be faster than float32 rather than emulated and slower."""
    return bool(cpu_flags() & {"amx_bf16", "avx512_bf16"}) and onednn_enabled() is not False


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
            "tensorflow": tf.__version__, "onednn": onednn_enabled(), "native_bfloat16": native_bfloat16()}


def describe(info: dict[str, Any]) -> str:
    """One line for a results table: ``CPU, N cores, TensorFlow X, Python Y``."""
    return f"{info['cpu']}, {info['cores']} cores, TensorFlow {info['tensorflow']}, Python {info['python']}"
