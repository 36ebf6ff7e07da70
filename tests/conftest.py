"""Shared fixtures. Real data comes from ``$CONVNETS_TEST_DATA`` or ``../shared/data``
beside the checkout: absent, those tests skip, except in CI (``CI`` set) where
a missing data folder is a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CONVNETS_NO_DOWNLOAD"] = "1"  # tests never touch the network

import convnets  # noqa: E402

convnets.import_tensorflow()  # first, so TensorFlow starts with the library's settings (oneDNN on), quietly

REPO = Path(__file__).resolve().parents[1]


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto`` (pyproject's addopts): a worker per core, at most 4 (each holds a TensorFlow and the zoo's
    largest models in memory). Each keeps TensorFlow's default threads, as a user's process does: some results
    depend on the thread count at float32 rounding (fused and unfused BatchNorm agree to 1e-4 over five SGD
    steps with two threads, not with one)."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def _data_dir() -> Path:
    return Path(os.environ.get("CONVNETS_TEST_DATA") or REPO.parent / "shared" / "data")


def extra_or_skip(*modules: str) -> None:
    """Skip a test whose optional extra (e.g. ``[onnx]``: tf2onnx, onnxruntime) is not installed, except in CI,
    which installs every extra: there a missing one is a failure."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing and os.environ.get("CI"):
        pytest.fail(f"{', '.join(missing)} missing in CI (.ci/run installs the extras)")
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = _data_dir()
    if not (d / "mnist").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"real data folder {d} is missing in CI (set CONVNETS_TEST_DATA)")
        pytest.skip(f"real data folder {d} not present")
    return d


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Keep every test away from the user's ~/.cache/convnets and data env."""
    monkeypatch.setenv("CONVNETS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("CONVNETS_DATA_DIR", raising=False)


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same seeds. Op determinism is on for the whole
    session (the resume tests need it), and under it unseeded random ops refuse to run."""
    import tensorflow as tf

    from convnets.layers import init

    tf.config.experimental.enable_op_determinism()
    tf.random.set_seed(0)
    init.set_seed(0)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """LeNet-5 trained for 3 epochs on the bundled digits (~90% test accuracy): shared
    by the CLI, export and visualisation tests. Treat it as read-only."""
    from convnets.cli import main

    out = tmp_path_factory.mktemp("run") / "lenet5"
    assert main(["train", "lenet5", "--epochs", "3", "--out", str(out), "--quiet"]) == 0
    return out


def load_script(name: str):
    """Import scripts/NAME.py (not a package) as a module, for tests of generated files."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
